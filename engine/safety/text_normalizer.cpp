// Prompt normalisation with ICU (NFKC case folding, mark removal, Traditional -> Simplified).
#include "safety/text_normalizer.h"

#include <storybrush/error.h>

#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>

namespace storybrush::safety {

namespace {

// Look-alike letters from other scripts that render like Latin ones (the common subset of Unicode's
// confusables.txt for Cyrillic and Greek lower case, after case folding).
UChar32 latinLookAlike(UChar32 c) {
    switch (c) {
    case 0x0430: return 'a';  // а
    case 0x0435: return 'e';  // е
    case 0x043E: return 'o';  // о
    case 0x0440: return 'p';  // р
    case 0x0441: return 'c';  // с
    case 0x0443: return 'y';  // у
    case 0x0445: return 'x';  // х
    case 0x0456: return 'i';  // і
    case 0x0458: return 'j';  // ј
    case 0x0455: return 's';  // ѕ
    case 0x0501: return 'd';  // ԁ
    case 0x04BB: return 'h';  // һ
    case 0x043A: return 'k';  // к
    case 0x043C: return 'm';  // м
    case 0x043D: return 'h';  // н (looks like H)
    case 0x0442: return 't';  // т
    case 0x0432: return 'b';  // в
    case 0x0491: return 'r';  // ґ
    case 0x03B1: return 'a';  // α
    case 0x03BF: return 'o';  // ο
    case 0x03C1: return 'p';  // ρ
    case 0x03BD: return 'v';  // ν
    case 0x03C4: return 't';  // τ
    case 0x03B9: return 'i';  // ι
    case 0x03BA: return 'k';  // κ
    case 0x03B5: return 'e';  // ε
    case 0x03C5: return 'u';  // υ
    case 0x03C7: return 'x';  // χ
    case 0x03B7: return 'n';  // η
    default: return c;
    }
}

icu::Transliterator* simplifier() {
    static std::once_flag once;
    static std::unique_ptr<icu::Transliterator> instance;
    std::call_once(once, [] {
        UErrorCode status = U_ZERO_ERROR;
        instance.reset(icu::Transliterator::createInstance("Traditional-Simplified", UTRANS_FORWARD, status));
        if (U_FAILURE(status)) instance.reset();
    });
    return instance.get();
}

// One leet character -> the letters it may stand for.
std::string leetOptions(char c) {
    switch (c) {
    case '0': return "o";
    case '1': return "il";
    case '3': return "e";
    case '4': return "a";
    case '5': return "s";
    case '7': return "t";
    case '8': return "b";
    case '9': return "g";
    case '@': return "a";
    case '$': return "s";
    case '!': return "i";
    case '+': return "t";
    case '|': return "l";
    default: return std::string(1, c);
    }
}

bool isWordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '@' || c == '$' || c == '!' || c == '+' || c == '|';
}

bool hasLetter(const std::string& s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// Runs of 3+ equal letters squeezed to one ("nuuuude" -> "nude"); only when such a run exists, so real
// double letters ("kill", "booze") are left alone.
std::string squeezed(const std::string& word) {
    bool stretched = false;
    for (std::size_t i = 2; i < word.size(); ++i) {
        if (word[i] == word[i - 1] && word[i] == word[i - 2]) stretched = true;
    }
    if (!stretched) return {};
    std::string out;
    for (char c : word) {
        if (out.empty() || out.back() != c) out += c;
    }
    return out;
}

std::vector<std::string> decodeLeet(const std::string& word) {
    std::vector<std::string> results{""};
    for (char c : word) {
        const std::string options = leetOptions(c);
        std::vector<std::string> next;
        for (const auto& prefix : results) {
            for (char option : options) next.push_back(prefix + option);
        }
        results = std::move(next);
        if (results.size() > 16) results.resize(16);  // bound the work for very leet-heavy words
    }
    return results;
}

void addVariants(Word& word) {
    std::set<std::string> seen{word.text};
    const auto add = [&](const std::string& v) {
        if (!v.empty() && seen.insert(v).second) word.variants.push_back(v);
    };
    word.variants.push_back(word.text);
    for (const auto& decoded : decodeLeet(word.text)) {
        add(decoded);
        add(squeezed(decoded));
    }
    add(squeezed(word.text));
}

}  // namespace

std::string normalizePrompt(std::string_view prompt) {
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString text =
        icu::UnicodeString::fromUTF8(icu::StringPiece(prompt.data(), static_cast<int32_t>(prompt.size())));
    const icu::Normalizer2* nfkcCasefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
    const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status)) throw Error(ErrorKind::Internal, "ICU normalisation data is missing");
    if (auto* toSimplified = simplifier()) toSimplified->transliterate(text);
    text = nfkcCasefold->normalize(text, status);
    text = nfd->normalize(text, status);
    icu::UnicodeString cleaned;
    for (int32_t i = 0; i < text.length();) {
        const UChar32 c = text.char32At(i);
        i += U16_LENGTH(c);
        const int8_t type = u_charType(c);
        if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK || type == U_FORMAT_CHAR) continue;
        cleaned.append(latinLookAlike(c));
    }
    cleaned = nfc->normalize(cleaned, status);
    if (U_FAILURE(status)) throw Error(ErrorKind::Internal, "ICU could not normalise a prompt");
    // Chinese is written without spaces: spaces between two ideographs only split a word to hide it ("裸 体").
    icu::UnicodeString joined;
    for (int32_t i = 0; i < cleaned.length();) {
        const UChar32 c = cleaned.char32At(i);
        const int32_t next = i + U16_LENGTH(c);
        if (u_isUWhiteSpace(c) && joined.length() > 0) {
            int32_t after = next;
            while (after < cleaned.length() && u_isUWhiteSpace(cleaned.char32At(after)))
                after += U16_LENGTH(cleaned.char32At(after));
            const UChar32 before = joined.char32At(joined.length() - 1);
            if (after < cleaned.length() && u_hasBinaryProperty(before, UCHAR_IDEOGRAPHIC) &&
                u_hasBinaryProperty(cleaned.char32At(after), UCHAR_IDEOGRAPHIC)) {
                i = after;
                continue;
            }
        }
        joined.append(c);
        i = next;
    }
    cleaned = joined;
    std::string out;
    cleaned.toUTF8String(out);
    // Prompt-weight syntax: "(word:1.5)" -> " word ", brackets and BREAK are not words.
    std::string plain;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const char c = out[i];
        if (c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == '\\') {
            plain += ' ';
        } else if (c == ':' && i + 1 < out.size() &&
                   ((out[i + 1] >= '0' && out[i + 1] <= '9') || out[i + 1] == '.' || out[i + 1] == '-')) {
            plain += ' ';
            ++i;
            while (i < out.size() && ((out[i] >= '0' && out[i] <= '9') || out[i] == '.')) ++i;
            --i;
        } else {
            plain += c;
        }
    }
    return plain;
}

std::vector<Word> latinWords(const std::string& normalized) {
    std::vector<Word> words;
    std::string current;
    const auto flush = [&] {
        // A word of symbols only ("$$$", "!!") is punctuation, not leetspeak.
        if (!current.empty() && (hasLetter(current) || current.find_first_of("0123456789") != std::string::npos)) {
            Word word;
            word.text = current;
            words.push_back(std::move(word));
        }
        current.clear();
    };
    for (char c : normalized) {
        if (isWordChar(c)) {
            current += c;
        } else {
            flush();
        }
    }
    flush();
    // Letters spelled out one by one ("n a k e d", "n-a-k-e-d") become one more word.
    std::vector<Word> joined;
    for (std::size_t i = 0; i < words.size();) {
        std::size_t j = i;
        std::string letters;
        while (j < words.size() && words[j].text.size() == 1) letters += words[j++].text;
        if (j - i >= 3) {
            Word word;
            word.text = letters;
            word.spelledOut = true;
            joined.push_back(std::move(word));
        }
        i = j == i ? i + 1 : j;
    }
    for (auto& word : words) addVariants(word);
    for (auto& word : joined) addVariants(word);
    words.insert(words.end(), joined.begin(), joined.end());
    return words;
}

}  // namespace storybrush::safety
