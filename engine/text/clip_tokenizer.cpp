// The CLIP byte-level BPE tokenizer: normalise, split with the CLIP pattern, map bytes to unicode, merge pairs.
// ref: openai/CLIP simple_tokenizer.py and HF CLIPTokenizer (the slow one and its tokenizer.json twin).
#include "text/clip_tokenizer.h"

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

constexpr const char* kEndOfWord = "</w>";
constexpr const char* kOwner = "CLIP tokenizer";
constexpr const char* kWhere = "a CLIP tokenizer folder (diffusers: MODEL/tokenizer/) holds vocab.json and merges.txt";
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

ClipTokenizer::ClipTokenizer(const std::string& folder)
    : m_bpe((fs::path(folder) / "vocab.json").string(), (fs::path(folder) / "merges.txt").string(), kOwner, kWhere) {
    const fs::path dir(folder);
    // ref: transformers loads tokenizer_config.json, and special_tokens_map.json fills what it leaves out.
    nlohmann::json merged = nlohmann::json::object();
    for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
        const fs::path path = dir / name;
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) continue;
        const nlohmann::json config =
            parseTokenizerJson(readTokenizerFile(path.string(), kOwner, kWhere), path.string(), kOwner);
        for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"}) {
            const std::string value = specialTokenText(config, key);
            if (!value.empty() && specialTokenText(merged, key).empty()) merged[key] = value;
        }
    }
    setSpecials(folder, specialTokenText(merged, "bos_token"), specialTokenText(merged, "eos_token"),
                specialTokenText(merged, "unk_token"), specialTokenText(merged, "pad_token"));
}

ClipTokenizer::ClipTokenizer(const std::string& vocabPath, const std::string& mergesPath, const std::string& padToken)
    : m_bpe(vocabPath, mergesPath, kOwner, kWhere) {
    setSpecials(vocabPath, {}, {}, {}, padToken);
}

void ClipTokenizer::setSpecials(const std::string& source, const std::string& bos, const std::string& eos,
                                const std::string& unk, const std::string& pad) {
    auto idOf = [&](const std::string& token, const char* role) {
        const auto found = m_bpe.tokenId(token);
        if (!found)
            throw Error(ErrorKind::ModelFile, "CLIP tokenizer: the " + std::string(role) + " token \"" + token +
                                                  "\" (from " + source + ") is not in vocab.json");
        return *found;
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
    splitAtSpecialTokens(
        text, m_specials, [&](std::string_view segment) { encodeSegment(segment, out); }, out);
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

void ClipTokenizer::encodeSegment(std::string_view segment, std::vector<int>& out) const {
    if (segment.empty()) return;
    for (const std::u32string& piece : preTokenize(nfcLower(segment))) {
        const std::string utf8 = encodeUtf8(piece);
        if (piece == U"<|startoftext|>" || piece == U"<|endoftext|>") {
            // ref: the slow CLIPTokenizer seeds its bpe cache with these two: they stay whole
            out.push_back(m_bpe.tokenId(utf8).value_or(m_unk));
            continue;
        }
        m_bpe.encodeWord(ByteLevelBpe::byteLevel(utf8), kEndOfWord, m_unk, out);
    }
}

}  // namespace storybrush::text
