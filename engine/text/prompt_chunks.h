// Long and weighted prompts: tokens packed into 75-token chunks of 77 ids (BOS ... EOS, padded), each with weights.
#pragma once

#include "text/clip_tokenizer.h"

#include <string_view>
#include <vector>

namespace storybrush::text {

constexpr int kChunkTokens = 75;     // tokens between BOS and EOS in one chunk
constexpr int kCommaBacktrack = 20;  // ref: A1111 opts.comma_padding_backtrack default

// One chunk: 77 ids (BOS, up to 75 tokens, EOS, then the tokenizer's pad id) and 77 weights (1.0 for BOS,
// EOS and padding). length: how many of the ids are the prompt's tokens (ids[1] .. ids[length]).
struct TokenChunk {
    std::vector<int> ids;
    std::vector<float> weights;
    int length = 0;
};

// chunks: at least one. tokenCount: what A1111's token counter shows (BOS/EOS not counted): 75 for every
// chunk but the last, plus the tokens of the last (so padding moved in by a BREAK or a comma counts).
struct EncodedPrompt {
    std::vector<TokenChunk> chunks;
    int tokenCount = 0;
};

// Tokenizes `prompt` as A1111's FrozenCLIPEmbedderWithCustomWords.tokenize_line does:
// - parseWeights: the weight syntax is read (parsePromptWeights) and each piece is tokenized on its own,
//   without BOS/EOS; otherwise the whole prompt is one piece of weight 1 (no BREAK either).
// - Tokens go into the current chunk until it holds 75. When a token arrives at a full chunk and it is not a
//   comma, and the chunk's last comma is at most 20 tokens back, the tokens after that comma move on to the
//   next chunk (so a phrase is not cut in half); the comma stays at the end of the full chunk.
// - BREAK closes the current chunk (even an empty one, as A1111 does).
// - Each chunk is written as BOS + tokens + EOS + padding to 77 (A1111 pads with EOS, then SD 2.x models
//   rewrite everything after the first EOS to their pad id: the same as padding with the tokenizer's pad id).
// A plain prompt (no weight syntax, at most 75 tokens) gives one chunk equal to tokenizer.encodePadded(prompt).
//
// How the weights are applied (the pipeline's job; ref: A1111 sd_hijack_clip.process_tokens with
// emphasis "Original"): encode each chunk with the text encoder to z [batch, 77, dim]; then
//     original_mean = z.mean();  z = z * weights[..., None];  z = z * (original_mean / z.mean())
// (the means over the whole tensor of that chunk); the chunks' z are concatenated along the token axis
// ([batch, 77 * chunks, dim]) for cross-attention. A negative prompt with a different chunk count is padded
// with chunks of the empty prompt so both sides match. Plain prompts (all weights 1) are unchanged by this.
EncodedPrompt encodePrompt(const ClipTokenizer& tokenizer, std::string_view prompt, bool parseWeights);

}  // namespace storybrush::text
