// Unicode helpers for the text part: UTF-8 coding by hand, character classes and normalisation through ICU.
#include "text/unicode_text.h"

#include <storybrush/error.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <vector>

namespace storybrush::text {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

std::u16string toUtf16(std::u32string_view codePoints) {
    std::u16string out;
    out.reserve(codePoints.size());
    for (char32_t cp : codePoints) {
        if (cp >= 0x10000) {
            out.push_back(static_cast<char16_t>(U16_LEAD(cp)));
            out.push_back(static_cast<char16_t>(U16_TRAIL(cp)));
        } else {
            out.push_back(static_cast<char16_t>(cp));
        }
    }
    return out;
}

std::u32string fromUtf16(const std::u16string& text) {
    std::u32string out;
    out.reserve(text.size());
    const auto* data = reinterpret_cast<const UChar*>(text.data());
    const auto length = static_cast<int32_t>(text.size());
    for (int32_t i = 0; i < length;) {
        UChar32 cp = 0;
        U16_NEXT(data, i, length, cp);
        out.push_back(static_cast<char32_t>(cp));
    }
    return out;
}

// Runs one ICU string transformation that writes into a caller's buffer, growing it once when short.
template <typename Fn>
std::u16string transform(const std::u16string& input, const char* what, Fn fn) {
    std::u16string output(input.size() + 16, u'\0');
    for (int attempt = 0; attempt < 2; ++attempt) {
        UErrorCode status = U_ZERO_ERROR;
        const int32_t length = fn(reinterpret_cast<UChar*>(output.data()), static_cast<int32_t>(output.size()),
                                  reinterpret_cast<const UChar*>(input.data()), static_cast<int32_t>(input.size()),
                                  &status);
        if (status == U_BUFFER_OVERFLOW_ERROR && attempt == 0) {
            output.assign(static_cast<std::size_t>(length) + 1, u'\0');
            continue;
        }
        if (U_FAILURE(status))
            throw Error(ErrorKind::Internal, std::string("ICU ") + what + " failed: " + u_errorName(status));
        output.resize(static_cast<std::size_t>(length));
        return output;
    }
    throw Error(ErrorKind::Internal, std::string("ICU ") + what + ": buffer size not settled");
}

}  // namespace

std::u32string decodeUtf8(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    const auto* data = reinterpret_cast<const uint8_t*>(text.data());
    const auto length = static_cast<int32_t>(text.size());
    for (int32_t i = 0; i < length;) {
        UChar32 cp = 0;
        U8_NEXT(data, i, length, cp);
        out.push_back(cp < 0 ? kReplacement : static_cast<char32_t>(cp));
    }
    return out;
}

void appendUtf8(std::string& out, char32_t codePoint) {
    if (codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF)) codePoint = kReplacement;
    if (codePoint < 0x80) {
        out.push_back(static_cast<char>(codePoint));
    } else if (codePoint < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (codePoint >> 6)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    } else if (codePoint < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (codePoint >> 12)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (codePoint >> 18)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    }
}

std::string encodeUtf8(std::u32string_view codePoints) {
    std::string out;
    out.reserve(codePoints.size());
    for (char32_t cp : codePoints) appendUtf8(out, cp);
    return out;
}

bool isLetter(char32_t codePoint) { return (U_GET_GC_MASK(static_cast<UChar32>(codePoint)) & U_GC_L_MASK) != 0; }

bool isNumber(char32_t codePoint) { return (U_GET_GC_MASK(static_cast<UChar32>(codePoint)) & U_GC_N_MASK) != 0; }

bool isWhitespace(char32_t codePoint) { return u_isUWhiteSpace(static_cast<UChar32>(codePoint)) != 0; }

bool isWordChar(char32_t codePoint) { return codePoint == U'_' || isLetter(codePoint) || isNumber(codePoint); }

namespace {

std::u16string composedUtf16(std::string_view text) {
    const std::u16string utf16 = toUtf16(decodeUtf8(text));
    if (utf16.empty()) return {};
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* nfc = unorm2_getNFCInstance(&status);
    if (U_FAILURE(status)) throw Error(ErrorKind::Internal, std::string("ICU NFC: ") + u_errorName(status));
    const auto normalize = [nfc](UChar* dest, int32_t capacity, const UChar* src, int32_t length, UErrorCode* error) {
        return unorm2_normalize(nfc, src, length, dest, capacity, error);
    };
    return transform(utf16, "NFC", normalize);
}

}  // namespace

std::u32string nfc(std::string_view text) { return fromUtf16(composedUtf16(text)); }

std::u32string nfcLower(std::string_view text) {
    const std::u16string composed = composedUtf16(text);
    if (composed.empty()) return {};
    const auto lower = [](UChar* dest, int32_t capacity, const UChar* src, int32_t length, UErrorCode* error) {
        return u_strToLower(dest, capacity, src, length, "", error);
    };
    return fromUtf16(transform(composed, "lower-casing", lower));
}

}  // namespace storybrush::text
