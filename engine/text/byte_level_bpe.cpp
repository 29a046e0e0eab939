// Byte-level BPE: vocab.json + merges.txt, GPT-2's byte alphabet, merging the lowest-ranked pair first.
// ref: openai/CLIP simple_tokenizer.py and GPT-2 encoder.py (bpe()), HF tokenizers' BPE model.
#include "text/byte_level_bpe.h"

#include "text/unicode_text.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <climits>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace storybrush::text {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kCacheLimit = 50000;  // entries; the cache is cleared when it grows past this

// ref: GPT-2/CLIP bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes are
// moved to U+0100 upwards in byte order, so every byte has a visible, non-space character.
const std::array<std::string, 256>& byteToUnicode() {
    static const std::array<std::string, 256> table = [] {
        std::array<std::string, 256> out;
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            appendUtf8(out[static_cast<std::size_t>(b)], printable ? static_cast<char32_t>(b) : next++);
        }
        return out;
    }();
    return table;
}

}  // namespace

void splitAtSpecialTokens(std::string_view text, const std::vector<std::pair<std::string, int>>& specials,
                          const std::function<void(std::string_view)>& encodeSegment, std::vector<int>& out) {
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t best = std::string_view::npos;
        const std::pair<std::string, int>* bestSpecial = nullptr;
        for (const auto& special : specials) {
            const std::size_t at = text.find(special.first, start);
            if (at != std::string_view::npos && (best == std::string_view::npos || at < best)) {
                best = at;
                bestSpecial = &special;
            }
        }
        if (!bestSpecial) {
            encodeSegment(text.substr(start));
            return;
        }
        encodeSegment(text.substr(start, best - start));
        out.push_back(bestSpecial->second);
        start = best + bestSpecial->first.size();
    }
}

std::string readTokenizerFile(const std::string& path, const std::string& owner, const std::string& where) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw Error(ErrorKind::ModelFile, owner + ": " + path + " not found; " + where);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (!in && !in.eof())
        throw Error(ErrorKind::ModelFile, owner + ": cannot read " + path + "; check its permissions");
    return buffer.str();
}

nlohmann::json parseTokenizerJson(const std::string& text, const std::string& path, const std::string& owner) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::ModelFile, owner + ": " + path + " is not valid JSON (" + e.what() +
                                              "); copy the file again from the model's tokenizer folder");
    }
}

std::string specialTokenText(const nlohmann::json& config, const char* key) {
    if (!config.is_object() || !config.contains(key)) return {};
    const auto& value = config[key];
    if (value.is_string()) return value.get<std::string>();
    if (value.is_object() && value.contains("content") && value["content"].is_string())
        return value["content"].get<std::string>();
    return {};
}

ByteLevelBpe::ByteLevelBpe(const std::string& vocabPath, const std::string& mergesPath, std::string owner,
                           const std::string& where)
    : m_owner(std::move(owner)) {
    const nlohmann::json vocab = parseTokenizerJson(readTokenizerFile(vocabPath, m_owner, where), vocabPath, m_owner);
    if (!vocab.is_object() || vocab.empty())
        throw Error(ErrorKind::ModelFile,
                    m_owner + ": " + vocabPath + " must be a JSON object of token -> id; copy it again from the model");
    for (const auto& [token, id] : vocab.items()) {
        if (!id.is_number_integer() || id.get<long long>() < 0 || id.get<long long>() > 10'000'000)
            throw Error(ErrorKind::ModelFile, m_owner + ": " + vocabPath + ": token \"" + token +
                                                  "\" has no valid id; copy the file again from the model");
        addToken(token, id.get<int>());
    }

    const std::string merges = readTokenizerFile(mergesPath, m_owner, where);
    std::istringstream lines(merges);
    std::string line;
    int lineNumber = 0;
    int rank = 0;
    while (std::getline(lines, line)) {
        ++lineNumber;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || (lineNumber == 1 && line.rfind("#version", 0) == 0)) continue;
        const std::size_t space = line.find(' ');
        if (space == std::string::npos || space == 0 || space + 1 >= line.size() ||
            line.find(' ', space + 1) != std::string::npos)
            throw Error(ErrorKind::ModelFile, m_owner + ": " + mergesPath + " line " + std::to_string(lineNumber) +
                                                  " is not a merge of two symbols (\"a b\"); copy the file again");
        m_mergeRanks.emplace(line, rank++);  // the first listing of a pair keeps its rank
    }
    if (m_mergeRanks.empty())
        throw Error(ErrorKind::ModelFile, m_owner + ": " + mergesPath + " holds no merges; copy it again");
}

void ByteLevelBpe::addToken(const std::string& token, int id) {
    m_vocab[token] = id;
    if (static_cast<std::size_t>(id) >= m_idToToken.size()) m_idToToken.resize(static_cast<std::size_t>(id) + 1);
    m_idToToken[static_cast<std::size_t>(id)] = token;
}

std::string ByteLevelBpe::byteLevel(std::string_view utf8) {
    const auto& table = byteToUnicode();
    std::string out;
    out.reserve(utf8.size() * 2);
    for (unsigned char byte : utf8) out += table[byte];
    return out;
}

const std::string& ByteLevelBpe::tokenString(int id) const {
    static const std::string kEmpty;
    if (id < 0 || static_cast<std::size_t>(id) >= m_idToToken.size()) return kEmpty;
    return m_idToToken[static_cast<std::size_t>(id)];
}

std::optional<int> ByteLevelBpe::tokenId(const std::string& token) const {
    const auto found = m_vocab.find(token);
    if (found == m_vocab.end()) return std::nullopt;
    return found->second;
}

void ByteLevelBpe::encodeWord(const std::string& word, std::string_view endOfWord, int unknownId,
                              std::vector<int>& out) const {
    {
        std::lock_guard<std::mutex> lock(m_cache->mutex);
        const auto hit = m_cache->entries.find(word);
        if (hit != m_cache->entries.end()) {
            out.insert(out.end(), hit->second.begin(), hit->second.end());
            return;
        }
    }
    // Symbols are the word's characters (each one byte, as UTF-8 text); the last carries the end-of-word mark.
    std::vector<std::string> symbols;
    for (const char32_t cp : decodeUtf8(word)) {
        symbols.emplace_back();
        appendUtf8(symbols.back(), cp);
    }
    if (symbols.empty()) return;
    symbols.back() += endOfWord;

    // ref: GPT-2 bpe(): repeatedly merge the pair with the lowest merge rank, every occurrence left to right.
    std::string key;
    while (symbols.size() > 1) {
        int bestRank = INT_MAX;
        std::size_t bestAt = 0;
        for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
            key.assign(symbols[i]).append(1, ' ').append(symbols[i + 1]);
            const auto found = m_mergeRanks.find(key);
            if (found != m_mergeRanks.end() && found->second < bestRank) {
                bestRank = found->second;
                bestAt = i;
            }
        }
        if (bestRank == INT_MAX) break;
        const std::string first = symbols[bestAt];
        const std::string second = symbols[bestAt + 1];
        std::vector<std::string> merged;
        merged.reserve(symbols.size());
        for (std::size_t i = 0; i < symbols.size();) {
            if (i + 1 < symbols.size() && symbols[i] == first && symbols[i + 1] == second) {
                merged.push_back(first + second);
                i += 2;
            } else {
                merged.push_back(std::move(symbols[i]));
                ++i;
            }
        }
        symbols = std::move(merged);
    }

    std::vector<int> ids;
    ids.reserve(symbols.size());
    for (const auto& symbol : symbols) {
        const auto found = m_vocab.find(symbol);
        ids.push_back(found != m_vocab.end() ? found->second : unknownId);  // ref: transformers maps unknowns to unk
    }
    out.insert(out.end(), ids.begin(), ids.end());
    std::lock_guard<std::mutex> lock(m_cache->mutex);
    if (m_cache->entries.size() >= kCacheLimit) m_cache->entries.clear();
    m_cache->entries.emplace(word, std::move(ids));
}

}  // namespace storybrush::text
