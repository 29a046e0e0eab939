// Qwen2's tokenizer: NFC, its pre-tokenizer pattern, byte-level BPE without an end-of-word mark.
// ref: transformers Qwen2TokenizerFast and the tokenizer.json every Qwen-Image folder ships.
#include "text/qwen_tokenizer.h"

#include "text/unicode_text.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace storybrush::text {

namespace {

namespace fs = std::filesystem;

constexpr const char* kOwner = "Qwen tokenizer";
constexpr const char* kWhere =
    "a Qwen-Image folder holds tokenizer/vocab.json and tokenizer/merges.txt; copy the whole tokenizer folder";

bool isNewline(char32_t c) { return c == U'\r' || c == U'\n'; }

char32_t lowerAscii(char32_t c) { return (c >= U'A' && c <= U'Z') ? c + 32 : c; }

// (?i:'s|'t|'re|'ve|'m|'ll|'d) at `at`: its length, or 0.
std::size_t contractionAt(const std::u32string& text, std::size_t at) {
    if (text[at] != U'\'') return 0;
    static const std::u32string_view kEndings[] = {U"re", U"ve", U"ll", U"s", U"t", U"m", U"d"};
    for (auto ending : kEndings) {
        if (text.size() - at - 1 < ending.size()) continue;
        bool same = true;
        for (std::size_t k = 0; k < ending.size() && same; ++k) same = lowerAscii(text[at + 1 + k]) == ending[k];
        if (same) return 1 + ending.size();
    }
    return 0;
}

// The pattern's alternatives in order: the first that matches at `at` wins (regex alternation, not longest).
std::size_t pieceAt(const std::u32string& text, std::size_t at) {
    const std::size_t n = text.size();
    const char32_t c = text[at];
    auto letterRun = [&](std::size_t from) {
        std::size_t end = from;
        while (end < n && isLetter(text[end])) ++end;
        return end;
    };
    if (const std::size_t length = contractionAt(text, at)) return length;
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (isLetter(c)) return letterRun(at) - at;
    if (!isNewline(c) && !isNumber(c) && at + 1 < n && isLetter(text[at + 1])) return letterRun(at + 1) - at;
    // \p{N}
    if (isNumber(c)) return 1;
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    auto isSymbol = [&](char32_t s) { return !isWhitespace(s) && !isLetter(s) && !isNumber(s); };
    const std::size_t symbolsFrom = (c == U' ' && at + 1 < n && isSymbol(text[at + 1])) ? at + 1 : at;
    if (isSymbol(text[symbolsFrom])) {
        std::size_t end = symbolsFrom;
        while (end < n && isSymbol(text[end])) ++end;
        while (end < n && isNewline(text[end])) ++end;
        return end - at;
    }
    // Only whitespace is left: the run of it from here.
    std::size_t runEnd = at;
    while (runEnd < n && isWhitespace(text[runEnd])) ++runEnd;
    // \s*[\r\n]+ : up to the run's last newline (greedy \s* backs off to it; [\r\n]+ cannot go further)
    for (std::size_t k = runEnd; k > at; --k)
        if (isNewline(text[k - 1])) return k - at;
    // \s+(?!\S) : the whole run at the end of the text, else all but its last character
    if (runEnd == n) return runEnd - at;
    if (runEnd - at >= 2) return runEnd - at - 1;
    return 1;  // \s+
}

}  // namespace

std::vector<std::u32string> qwenPreTokenize(const std::u32string& text) {
    std::vector<std::u32string> out;
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t length = std::max<std::size_t>(1, pieceAt(text, at));
        out.emplace_back(text.substr(at, length));
        at += length;
    }
    return out;
}

QwenTokenizer::QwenTokenizer(const std::string& folder)
    : m_bpe((fs::path(folder) / "vocab.json").string(), (fs::path(folder) / "merges.txt").string(), kOwner, kWhere) {
    const fs::path dir(folder);
    auto readJson = [&](const char* name) -> nlohmann::json {
        const fs::path path = dir / name;
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) return nullptr;
        return parseTokenizerJson(readTokenizerFile(path.string(), kOwner, kWhere), path.string(), kOwner);
    };
    // The added tokens live outside vocab.json: tokenizer.json lists them, older folders have
    // added_tokens.json, and tokenizer_config.json repeats them in added_tokens_decoder.
    std::vector<std::pair<std::string, int>> added;
    const nlohmann::json full = readJson("tokenizer.json");
    if (full.is_object() && full.contains("added_tokens") && full["added_tokens"].is_array()) {
        for (const auto& token : full["added_tokens"])
            if (token.is_object() && token.value("content", nlohmann::json()).is_string() &&
                token.value("id", nlohmann::json()).is_number_integer())
                added.emplace_back(token["content"].get<std::string>(), token["id"].get<int>());
    }
    const nlohmann::json config = readJson("tokenizer_config.json");
    if (added.empty()) {
        const nlohmann::json list = readJson("added_tokens.json");
        if (list.is_object())
            for (const auto& [content, id] : list.items())
                if (id.is_number_integer()) added.emplace_back(content, id.get<int>());
    }
    if (added.empty() && config.is_object() && config.contains("added_tokens_decoder") &&
        config["added_tokens_decoder"].is_object()) {
        for (const auto& [id, token] : config["added_tokens_decoder"].items()) {
            const std::string content = specialTokenText(nlohmann::json{{"t", token}}, "t");
            if (!content.empty() && !id.empty() && std::all_of(id.begin(), id.end(), ::isdigit))
                added.emplace_back(content, std::stoi(id));
        }
    }
    for (const auto& [content, id] : added) {
        if (id < 0 || id > 10'000'000)
            throw Error(ErrorKind::ModelFile, std::string(kOwner) + ": the added token \"" + content + "\" in " +
                                                  folder + " has no valid id; copy the tokenizer again");
        m_bpe.addToken(content, id);
        m_specials.emplace_back(content, id);
    }
    std::sort(m_specials.begin(), m_specials.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });

    std::string pad = specialTokenText(config, "pad_token");
    if (pad.empty()) pad = "<|endoftext|>";
    const auto padId = m_bpe.tokenId(pad);
    if (!padId)
        throw Error(ErrorKind::ModelFile,
                    std::string(kOwner) + ": the pad token \"" + pad + "\" of " + folder +
                        " is in neither vocab.json nor the added tokens; copy the tokenizer again");
    m_pad = *padId;
}

std::vector<int> QwenTokenizer::encode(std::string_view text) const {
    std::vector<int> out;
    splitAtSpecialTokens(
        text, m_specials, [&](std::string_view segment) { encodeSegment(segment, out); }, out);
    return out;
}

void QwenTokenizer::encodeSegment(std::string_view segment, std::vector<int>& out) const {
    if (segment.empty()) return;
    for (const std::u32string& piece : qwenPreTokenize(nfc(segment)))
        m_bpe.encodeWord(ByteLevelBpe::byteLevel(encodeUtf8(piece)), {}, m_pad, out);
}

}  // namespace storybrush::text
