// Unicode helpers for the text part (UTF-8 <-> code points, character classes, NFC + lower-case), on ICU.
#pragma once

#include <string>
#include <string_view>

namespace storybrush::text {

// UTF-8 -> code points. Invalid bytes become U+FFFD (as Python's "replace" decoding does), so corrupt
// input never throws and never reads out of bounds.
std::u32string decodeUtf8(std::string_view text);
void appendUtf8(std::string& out, char32_t codePoint);
std::string encodeUtf8(std::u32string_view codePoints);

// Character classes as the reference regexes use them: \p{L}, \p{N}, \s (Unicode White_Space) and
// Python's \w (letters, numbers, underscore).
bool isLetter(char32_t codePoint);
bool isNumber(char32_t codePoint);
bool isWhitespace(char32_t codePoint);
bool isWordChar(char32_t codePoint);

// NFC, then full Unicode lower-casing (root locale). ref: the CLIP normaliser of HF tokenizers
// (Sequence[NFC, Replace(\s+ -> " "), Lowercase]); whitespace is handled by the caller's splitting.
std::u32string nfcLower(std::string_view text);
// NFC alone (Qwen2's normaliser keeps case).
std::u32string nfc(std::string_view text);

}  // namespace storybrush::text
