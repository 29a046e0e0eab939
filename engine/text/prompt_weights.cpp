// Parses A1111's prompt-weight syntax into weighted pieces. ref: A1111 modules/prompt_parser.py
// (parse_prompt_attention, re_attention, re_break); the regex alternatives are followed in their order.
#include "text/prompt_weights.h"

#include "text/unicode_text.h"

#include <charconv>
#include <optional>

namespace storybrush::text {

namespace {

bool isSpecial(char32_t c) { return c == U'\\' || c == U'(' || c == U')' || c == U'[' || c == U']' || c == U':'; }

// Python's float() on the text that [+-]?[.\d]+ matched; nullopt where Python would raise ("1.2.3", ".").
std::optional<double> parseWeight(const std::u32string& number) {
    std::string ascii;
    for (char32_t c : number) ascii.push_back(static_cast<char>(c));
    std::size_t start = 0;
    bool negative = false;
    if (!ascii.empty() && (ascii[0] == '+' || ascii[0] == '-')) {
        negative = ascii[0] == '-';
        start = 1;
    }
    double value = 0.0;
    const char* first = ascii.data() + start;
    const char* last = ascii.data() + ascii.size();
    const auto [end, error] = std::from_chars(first, last, value, std::chars_format::fixed);
    if (error != std::errc() || end != last) return std::nullopt;
    return negative ? -value : value;
}

// Tries ":\s*([+-]?[.\d]+)\s*\)" at `at`; returns the match length and the number's text.
std::size_t matchWeight(const std::u32string& text, std::size_t at, std::u32string& number) {
    std::size_t i = at;
    if (i >= text.size() || text[i] != U':') return 0;
    ++i;
    while (i < text.size() && isWhitespace(text[i])) ++i;
    const std::size_t numberStart = i;
    if (i < text.size() && (text[i] == U'+' || text[i] == U'-')) ++i;
    const std::size_t digitsStart = i;
    while (i < text.size() && (text[i] == U'.' || (text[i] >= U'0' && text[i] <= U'9'))) ++i;
    if (i == digitsStart) return 0;
    number = text.substr(numberStart, i - numberStart);
    while (i < text.size() && isWhitespace(text[i])) ++i;
    if (i >= text.size() || text[i] != U')') return 0;
    return i + 1 - at;
}

// Appends plain text, split at BREAK as re.split(r"\s*\bBREAK\b\s*", text) splits it.
void appendText(const std::u32string& text, std::vector<PromptPiece>& out) {
    static const std::u32string_view kBreak = U"BREAK";
    std::size_t partStart = 0;  // where the current part begins (after the previous separator)
    std::size_t search = 0;
    while (true) {
        std::size_t at = text.find(kBreak, search);
        if (at == std::u32string::npos) break;
        const std::size_t after = at + kBreak.size();
        const bool wordStart = at == 0 || !isWordChar(text[at - 1]);
        const bool wordEnd = after == text.size() || !isWordChar(text[after]);
        if (!wordStart || !wordEnd) {
            search = at + 1;
            continue;
        }
        // the separator also takes the whitespace on both sides (but not what an earlier separator took)
        std::size_t sepStart = at;
        while (sepStart > partStart && isWhitespace(text[sepStart - 1])) --sepStart;
        std::size_t sepEnd = after;
        while (sepEnd < text.size() && isWhitespace(text[sepEnd])) ++sepEnd;
        out.push_back({encodeUtf8(std::u32string_view(text).substr(partStart, sepStart - partStart)), 1.0, false});
        out.push_back({std::string(), 1.0, true});
        partStart = sepEnd;
        search = sepEnd;
    }
    out.push_back({encodeUtf8(std::u32string_view(text).substr(partStart)), 1.0, false});
}

}  // namespace

std::vector<PromptPiece> parsePromptWeights(std::string_view prompt) {
    const std::u32string text = decodeUtf8(prompt);
    std::vector<PromptPiece> res;
    std::vector<std::size_t> roundBrackets;
    std::vector<std::size_t> squareBrackets;
    auto multiplyRange = [&res](std::size_t start, double multiplier) {
        for (std::size_t p = start; p < res.size(); ++p)
            if (!res[p].isBreak) res[p].weight *= multiplier;
    };

    std::size_t i = 0;
    while (i < text.size()) {
        const char32_t c = text[i];
        if (c == U'\\') {
            // \( \) \[ \] \\ give the character; a backslash before anything else gives nothing
            const bool escapes = i + 1 < text.size() &&
                                 (text[i + 1] == U'(' || text[i + 1] == U')' || text[i + 1] == U'[' ||
                                  text[i + 1] == U']' || text[i + 1] == U'\\');
            std::string literal = escapes ? encodeUtf8(std::u32string_view(text).substr(i + 1, 1)) : std::string();
            res.push_back({std::move(literal), 1.0, false});
            i += escapes ? 2 : 1;
            continue;
        }
        if (c == U'(') {
            roundBrackets.push_back(res.size());
            ++i;
            continue;
        }
        if (c == U'[') {
            squareBrackets.push_back(res.size());
            ++i;
            continue;
        }
        if (c == U':') {
            std::u32string number;
            const std::size_t length = matchWeight(text, i, number);
            if (length > 0) {
                const std::optional<double> weight = parseWeight(number);
                if (weight && !roundBrackets.empty()) {
                    multiplyRange(roundBrackets.back(), *weight);
                    roundBrackets.pop_back();
                } else {
                    appendText(text.substr(i, length), res);  // no '(' open (or no number): plain text
                }
                i += length;
            } else {
                appendText(U":", res);
                ++i;
            }
            continue;
        }
        if (c == U')' && !roundBrackets.empty()) {
            multiplyRange(roundBrackets.back(), kRoundBracketWeight);
            roundBrackets.pop_back();
            ++i;
            continue;
        }
        if (c == U']' && !squareBrackets.empty()) {
            multiplyRange(squareBrackets.back(), kSquareBracketWeight);
            squareBrackets.pop_back();
            ++i;
            continue;
        }
        if (c == U')' || c == U']') {  // nothing open: the bracket is text
            appendText(text.substr(i, 1), res);
            ++i;
            continue;
        }
        std::size_t end = i + 1;
        while (end < text.size() && !isSpecial(text[end])) ++end;
        appendText(text.substr(i, end - i), res);
        i = end;
    }
    for (std::size_t position : roundBrackets) multiplyRange(position, kRoundBracketWeight);
    for (std::size_t position : squareBrackets) multiplyRange(position, kSquareBracketWeight);

    if (res.empty()) res.push_back({std::string(), 1.0, false});

    // join neighbours of equal weight (never across a BREAK)
    std::vector<PromptPiece> merged;
    for (auto& piece : res) {
        if (!merged.empty() && !piece.isBreak && !merged.back().isBreak && merged.back().weight == piece.weight)
            merged.back().text += piece.text;
        else merged.push_back(std::move(piece));
    }
    return merged;
}

}  // namespace storybrush::text
