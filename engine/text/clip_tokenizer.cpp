// The CLIP byte-level BPE tokenizer: normalise, split with the CLIP pattern, map bytes to unicode, merge pairs.
// ref: openai/CLIP simple_tokenizer.py and HF CLIPTokenizer (the slow one and its tokenizer.json twin).
#include "text/clip_tokenizer.h"

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

constexpr const char* kEndOfWord = "</w>";
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

std::string readFile(const fs::path& path, const std::string& what) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw Error(ErrorKind::ModelFile, "CLIP tokenizer: " + path.string() + " not found; " + what);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (!in && !in.eof())
        throw Error(ErrorKind::ModelFile, "CLIP tokenizer: cannot read " + path.string() + "; check its permissions");
    return buffer.str();
}

nlohmann::json parseJson(const std::string& text, const std::string& path) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::ModelFile, "CLIP tokenizer: " + path + " is not valid JSON (" + e.what() +
                                              "); copy the file again from the model's tokenizer folder");
    }
}

// A special token in tokenizer_config.json / special_tokens_map.json: a string, or {"content": "..."}.
std::string specialTokenText(const nlohmann::json& config, const char* key) {
    if (!config.is_object() || !config.contains(key)) return {};
    const auto& value = config[key];
    if (value.is_string()) return value.get<std::string>();
    if (value.is_object() && value.contains("content") && value["content"].is_string())
        return value["content"].get<std::string>();
    return {};
}

bool startsWith(const std::u32string& text, std::size_t at, std::u32string_view prefix) {
    return text.size() - at >= prefix.size() && std::u32string_view(text).substr(at, prefix.size()) == prefix;
}

// Splits normalised text into pre-tokens with the CLIP pattern
//   <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// as a regex engine would: at each position the first alternative that matches wins, runs are greedy,
// whitespace between matches is dropped.
std::vector<std::u32string> preTokenize(const std::u32string& text) {
    static const std::u32string_view kSpecials[] = {U"<|startoftext|>", U"<|endoftext|>"};
    static const std::u32string_view kContractions[] = {U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};
    std::vector<std::u32string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        const char32_t c = text[i];
        std::size_t matched = 0;
        for (auto special : kSpecials)
            if (!matched && startsWith(text, i, special)) matched = special.size();
        if (!matched && c == U'\'') {
            for (auto contraction : kContractions)
                if (!matched && startsWith(text, i, contraction)) matched = contraction.size();
        }
        if (!matched) {
            if (isLetter(c)) {
                std::size_t end = i + 1;
                while (end < text.size() && isLetter(text[end])) ++end;
                matched = end - i;
            } else if (isNumber(c)) {
                matched = 1;
            } else if (!isWhitespace(c)) {
                std::size_t end = i + 1;
                while (end < text.size() && !isWhitespace(text[end]) && !isLetter(text[end]) && !isNumber(text[end]))
                    ++end;
                matched = end - i;
            }
        }
        if (matched) {
            out.emplace_back(text.substr(i, matched));
            i += matched;
        } else {
            ++i;  // whitespace: not part of any token
        }
    }
    return out;
}

}  // namespace

ClipTokenizer::ClipTokenizer(const std::string& folder) {
    const fs::path dir(folder);
    const std::string where = "a CLIP tokenizer folder (diffusers: MODEL/tokenizer/) holds vocab.json and merges.txt";
    load((dir / "vocab.json").string(), (dir / "merges.txt").string());
    // ref: transformers loads tokenizer_config.json, and special_tokens_map.json fills what it leaves out.
    nlohmann::json merged = nlohmann::json::object();
    for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
        const fs::path path = dir / name;
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) continue;
        const nlohmann::json config = parseJson(readFile(path, where), path.string());
        for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"}) {
            const std::string value = specialTokenText(config, key);
            if (!value.empty() && specialTokenText(merged, key).empty()) merged[key] = value;
        }
    }
    setSpecials(folder, specialTokenText(merged, "bos_token"), specialTokenText(merged, "eos_token"),
                specialTokenText(merged, "unk_token"), specialTokenText(merged, "pad_token"));
}

ClipTokenizer::ClipTokenizer(const std::string& vocabPath, const std::string& mergesPath, const std::string& padToken) {
    load(vocabPath, mergesPath);
    setSpecials(vocabPath, {}, {}, {}, padToken);
}

void ClipTokenizer::load(const std::string& vocabPath, const std::string& mergesPath) {
    const std::string where = "a CLIP tokenizer folder (diffusers: MODEL/tokenizer/) holds vocab.json and merges.txt";
    const nlohmann::json vocab = parseJson(readFile(vocabPath, where), vocabPath);
    if (!vocab.is_object() || vocab.empty())
        throw Error(ErrorKind::ModelFile, "CLIP tokenizer: " + vocabPath +
                                              " must be a JSON object of token -> id; copy it again from the model");
    int maxId = -1;
    for (const auto& [token, id] : vocab.items()) {
        if (!id.is_number_integer() || id.get<long long>() < 0 || id.get<long long>() > 10'000'000)
            throw Error(ErrorKind::ModelFile, "CLIP tokenizer: " + vocabPath + ": token \"" + token +
                                                  "\" has no valid id; copy the file again from the model");
        const int value = id.get<int>();
        m_vocab.emplace(token, value);
        maxId = std::max(maxId, value);
    }
    m_idToToken.assign(static_cast<std::size_t>(maxId) + 1, std::string());
    for (const auto& [token, id] : m_vocab) m_idToToken[static_cast<std::size_t>(id)] = token;

    const std::string merges = readFile(mergesPath, where);
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
            throw Error(ErrorKind::ModelFile, "CLIP tokenizer: " + mergesPath + " line " + std::to_string(lineNumber) +
                                                  " is not a merge of two symbols (\"a b\"); copy the file again");
        m_mergeRanks.emplace(line, rank++);  // the first listing of a pair keeps its rank
    }
    if (m_mergeRanks.empty())
        throw Error(ErrorKind::ModelFile, "CLIP tokenizer: " + mergesPath + " holds no merges; copy it again");
}

void ClipTokenizer::setSpecials(const std::string& source, const std::string& bos, const std::string& eos,
                                const std::string& unk, const std::string& pad) {
    auto idOf = [&](const std::string& token, const char* role) {
        const auto found = m_vocab.find(token);
        if (found == m_vocab.end())
            throw Error(ErrorKind::ModelFile, "CLIP tokenizer: the " + std::string(role) + " token \"" + token +
                                                  "\" (from " + source + ") is not in vocab.json");
        return found->second;
    };
    const std::string bosText = bos.empty() ? "<|startoftext|>" : bos;
    const std::string eosText = eos.empty() ? "<|endoftext|>" : eos;
    const std::string unkText = unk.empty() ? eosText : unk;
    const std::string padText = pad.empty() ? eosText : pad;
    m_bos = idOf(bosText, "bos");
    m_eos = idOf(eosText, "eos");
    m_unk = idOf(unkText, "unk");
    m_pad = idOf(padText, "pad");
    // ref: transformers keeps special tokens whole: they are cut out of the raw text before normalising and
    // map to their own id (this is why SD 2.x's "!" pad token turns every "!" into id 0, as the reference does).
    m_specials.clear();
    for (const auto& [text, id] : {std::pair{bosText, m_bos}, {eosText, m_eos}, {unkText, m_unk}, {padText, m_pad}})
        if (std::none_of(m_specials.begin(), m_specials.end(), [&](const auto& s) { return s.first == text; }))
            m_specials.emplace_back(text, id);
    std::sort(m_specials.begin(), m_specials.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::vector<int> ClipTokenizer::encode(std::string_view text) const {
    std::vector<int> out;
    std::size_t start = 0;
    while (start < text.size()) {
        // the leftmost special token (the longest one where several start at the same place)
        std::size_t best = std::string_view::npos;
        const std::pair<std::string, int>* bestSpecial = nullptr;
        for (const auto& special : m_specials) {
            const std::size_t at = text.find(special.first, start);
            if (at != std::string_view::npos && (best == std::string_view::npos || at < best)) {
                best = at;
                bestSpecial = &special;
            }
        }
        if (!bestSpecial) {
            encodeSegment(text.substr(start), out);
            break;
        }
        encodeSegment(text.substr(start, best - start), out);
        out.push_back(bestSpecial->second);
        start = best + bestSpecial->first.size();
    }
    return out;
}

std::vector<int> ClipTokenizer::encodeWithSpecials(std::string_view text) const {
    std::vector<int> ids = encode(text);
    ids.insert(ids.begin(), m_bos);
    ids.push_back(m_eos);
    return ids;
}

std::vector<int> ClipTokenizer::encodePadded(std::string_view text, int length) const {
    if (length < 2)
        throw Error(ErrorKind::InvalidRequest, "CLIP tokenizer: padded length " + std::to_string(length) +
                                                   " leaves no room for BOS and EOS; use at least 2");
    std::vector<int> content = encode(text);
    const std::size_t room = static_cast<std::size_t>(length) - 2;
    if (content.size() > room) content.resize(room);  // ref: transformers truncation keeps BOS and EOS
    std::vector<int> ids;
    ids.reserve(static_cast<std::size_t>(length));
    ids.push_back(m_bos);
    ids.insert(ids.end(), content.begin(), content.end());
    ids.push_back(m_eos);
    ids.resize(static_cast<std::size_t>(length), m_pad);
    return ids;
}

const std::string& ClipTokenizer::tokenString(int id) const {
    static const std::string kEmpty;
    if (id < 0 || static_cast<std::size_t>(id) >= m_idToToken.size()) return kEmpty;
    return m_idToToken[static_cast<std::size_t>(id)];
}

std::optional<int> ClipTokenizer::tokenId(const std::string& token) const {
    const auto found = m_vocab.find(token);
    if (found == m_vocab.end()) return std::nullopt;
    return found->second;
}

void ClipTokenizer::encodeSegment(std::string_view segment, std::vector<int>& out) const {
    if (segment.empty()) return;
    const auto& bytesTable = byteToUnicode();
    for (const std::u32string& piece : preTokenize(nfcLower(segment))) {
        const std::string utf8 = encodeUtf8(piece);
        if (piece == U"<|startoftext|>" || piece == U"<|endoftext|>") {
            // ref: the slow CLIPTokenizer seeds its bpe cache with these two: they stay whole
            const auto found = m_vocab.find(utf8);
            out.push_back(found != m_vocab.end() ? found->second : m_unk);
            continue;
        }
        std::string word;
        for (unsigned char byte : utf8) word += bytesTable[byte];
        bpe(word, out);
    }
}

void ClipTokenizer::bpe(const std::string& word, std::vector<int>& out) const {
    if (m_cache) {
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
    symbols.back() += kEndOfWord;

    // ref: CLIP bpe(): repeatedly merge the pair with the lowest merge rank, every occurrence left to right.
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
        ids.push_back(found != m_vocab.end() ? found->second : m_unk);  // ref: transformers maps unknowns to unk
    }
    out.insert(out.end(), ids.begin(), ids.end());
    if (m_cache) {
        std::lock_guard<std::mutex> lock(m_cache->mutex);
        if (m_cache->entries.size() >= kCacheLimit) m_cache->entries.clear();
        m_cache->entries.emplace(word, std::move(ids));
    }
}

}  // namespace storybrush::text
