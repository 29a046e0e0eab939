// The byte-level BPE both tokenizers share (CLIP's and Qwen2's): vocab.json + merges.txt as GPT-2 wrote them,
// bytes shown as printable characters, pairs merged by rank. What differs (normalising, pre-token splitting,
// CLIP's end-of-word mark, special tokens) stays with each tokenizer.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace storybrush::text {

// Thread safety: const members may be called from any thread at the same time (the cache is locked).
class ByteLevelBpe {
public:
    // `owner` starts every message ("CLIP tokenizer"); `where` tells the user where the files belong.
    // Throws Error(ModelFile) naming the missing or corrupt file.
    ByteLevelBpe(const std::string& vocabPath, const std::string& mergesPath, std::string owner,
                 const std::string& where);

    // UTF-8 bytes -> their byte-level characters (ref: GPT-2 bytes_to_unicode), e.g. " a" -> "Ġa".
    static std::string byteLevel(std::string_view utf8);

    // Appends the ids of one pre-token given in byte-level characters. `endOfWord` (CLIP's "</w>") is
    // appended to the last symbol before merging; symbols missing from the vocabulary become `unknownId`.
    void encodeWord(const std::string& byteLevelWord, std::string_view endOfWord, int unknownId,
                    std::vector<int>& out) const;

    const std::string& tokenString(int id) const;  // "" when out of range
    std::optional<int> tokenId(const std::string& token) const;
    int vocabSize() const { return static_cast<int>(m_idToToken.size()); }
    // Makes room for ids that live outside vocab.json (Qwen's added tokens).
    void addToken(const std::string& token, int id);
    const std::string& owner() const { return m_owner; }

private:
    std::string m_owner;
    std::unordered_map<std::string, int> m_vocab;
    std::vector<std::string> m_idToToken;
    std::unordered_map<std::string, int> m_mergeRanks;  // "left right" -> rank (line order in merges.txt)

    // Pre-token -> ids, as the reference's bpe cache. Behind a pointer so the owner stays movable.
    struct Cache {
        std::mutex mutex;
        std::unordered_map<std::string, std::vector<int>> entries;
    };
    std::unique_ptr<Cache> m_cache = std::make_unique<Cache>();
};

// Cuts special tokens (matched whole in the raw text, before any normalising, as transformers does) out of
// `text`: the text between them goes to `encodeSegment`, each special's id is appended to `out`.
// `specials` is sorted longest first, so the longest wins where several start at the same place.
void splitAtSpecialTokens(std::string_view text, const std::vector<std::pair<std::string, int>>& specials,
                          const std::function<void(std::string_view)>& encodeSegment, std::vector<int>& out);

// Reading a tokenizer's files with messages that say which file is wrong and what to do.
std::string readTokenizerFile(const std::string& path, const std::string& owner, const std::string& where);
nlohmann::json parseTokenizerJson(const std::string& text, const std::string& path, const std::string& owner);
// A special token in tokenizer_config.json / special_tokens_map.json: a string, or {"content": "..."}.
std::string specialTokenText(const nlohmann::json& config, const char* key);

}  // namespace storybrush::text
