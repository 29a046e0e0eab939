// Qwen2's byte-level BPE tokenizer (Qwen-Image's text encoder reads its prompts with it): vocab.json + merges.txt
// of the model folder's tokenizer/, special tokens (<|im_start|>, ...) from tokenizer.json, added_tokens.json or
// tokenizer_config.json. Ids identical to transformers' Qwen2TokenizerFast.
#pragma once

#include "text/byte_level_bpe.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace storybrush::text {

class QwenTokenizer {
public:
    // Throws Error(ModelFile) naming the missing or corrupt file.
    explicit QwenTokenizer(const std::string& folder);

    // Ids of `text`: NFC, special tokens written in the text matched whole, nothing added around it.
    std::vector<int> encode(std::string_view text) const;

    const std::string& tokenString(int id) const { return m_bpe.tokenString(id); }
    std::optional<int> tokenId(const std::string& token) const { return m_bpe.tokenId(token); }
    int padId() const { return m_pad; }
    int vocabSize() const { return m_bpe.vocabSize(); }

private:
    void encodeSegment(std::string_view segment, std::vector<int>& out) const;

    ByteLevelBpe m_bpe;
    std::vector<std::pair<std::string, int>> m_specials;  // matched whole in the raw text, longest first
    int m_pad = -1;
};

// Splits NFC text with Qwen2's pre-tokenizer pattern, as the regex engine would:
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// Unlike CLIP's, it keeps every character (spaces included): the pieces join back to the text.
std::vector<std::u32string> qwenPreTokenize(const std::u32string& text);

}  // namespace storybrush::text
