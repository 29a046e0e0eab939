// The CLIP byte-level BPE tokenizer (vocab.json + merges.txt, as HF CLIPTokenizer reads them), ids identical
// to the reference for SD 1.x/2.x/XL prompts.
#pragma once

#include "text/byte_level_bpe.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storybrush::text {

// Thread safety: const members may be called from any thread at the same time (the BPE cache is locked).
class ClipTokenizer {
public:
    static constexpr int kContextLength = 77;  // CLIP's position count: BOS + 75 tokens + EOS

    // Reads `folder`/vocab.json and `folder`/merges.txt, and the special tokens (bos, eos, unk, pad) from
    // special_tokens_map.json or tokenizer_config.json when present. Pad defaults to EOS (SD 1.x/XL); SD 2.x
    // folders name "!" (id 0). Throws Error(ModelFile) naming the missing or corrupt file.
    explicit ClipTokenizer(const std::string& folder);
    // The same from explicit files; `padToken` empty means EOS.
    ClipTokenizer(const std::string& vocabPath, const std::string& mergesPath, const std::string& padToken);

    // Ids of `text` without BOS/EOS, no padding, no truncation.
    std::vector<int> encode(std::string_view text) const;
    // BOS ... EOS, no padding, no truncation (transformers: tokenizer(text).input_ids).
    std::vector<int> encodeWithSpecials(std::string_view text) const;
    // BOS ... EOS padded with the pad token and truncated to `length` keeping EOS last (transformers:
    // padding="max_length", truncation=True, max_length=77).
    std::vector<int> encodePadded(std::string_view text, int length = kContextLength) const;

    // The vocabulary entry of `id` (byte-level text as in vocab.json, e.g. "cute</w>"); "" when out of range.
    const std::string& tokenString(int id) const { return m_bpe.tokenString(id); }
    // The id of a vocabulary entry, or std::nullopt.
    std::optional<int> tokenId(const std::string& token) const { return m_bpe.tokenId(token); }
    int bosId() const { return m_bos; }
    int eosId() const { return m_eos; }
    int padId() const { return m_pad; }
    int unkId() const { return m_unk; }
    int vocabSize() const { return m_bpe.vocabSize(); }

private:
    void setSpecials(const std::string& source, const std::string& bos, const std::string& eos, const std::string& unk,
                     const std::string& pad);
    void encodeSegment(std::string_view segment, std::vector<int>& out) const;

    ByteLevelBpe m_bpe;
    std::vector<std::pair<std::string, int>> m_specials;  // matched whole in the raw text, longest first
    int m_bos = -1;
    int m_eos = -1;
    int m_pad = -1;
    int m_unk = -1;
};

}  // namespace storybrush::text
