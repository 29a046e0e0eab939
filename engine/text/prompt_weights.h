// The prompt-weight syntax of A1111: (word:1.2), (word), [word], escapes and BREAK, parsed into weighted pieces.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace storybrush::text {

constexpr double kRoundBracketWeight = 1.1;  // (word) multiplies by 1.1, ((word)) by 1.21
constexpr double kSquareBracketWeight = 1.0 / 1.1;

// One piece of a parsed prompt: text with the weight its tokens get, or a BREAK (text empty, weight 1).
struct PromptPiece {
    std::string text;
    double weight = 1.0;
    bool isBreak = false;
};

// ref: A1111 modules/prompt_parser.py parse_prompt_attention. Recognised:
//   (abc)        abc x 1.1           ((abc)) x 1.21, nesting multiplies
//   (abc:3.12)   abc x 3.12          the number may be signed, spaces around it are allowed: ( abc : 0.5 )
//   [abc]        abc / 1.1
//   \( \) \[ \] \\   the character itself; a lone backslash before anything else is dropped (as A1111 does)
//   BREAK        (the whole word, upper-case) ends the current 75-token chunk; spaces around it are dropped
// Unbalanced brackets are never an error: a ')' or ']' with nothing open is plain text, a '(' or '[' left open
// applies its factor to everything after it. Neighbouring pieces of equal weight are joined; an empty prompt
// gives one empty piece of weight 1.
// Deliberate differences from A1111, both about its corner cases that lose the user's intent:
//   - BREAK inside brackets still breaks (A1111 turns it into the word "break" with a negative weight);
//     two BREAKs in a row give an empty chunk between them, as A1111 does when they are not merged.
//   - "(abc:1.2.3)" or "(abc:.)" (a number Python cannot read, where A1111 fails the whole generation):
//     the ":1.2.3)" is kept as text and the '(' stays open (x 1.1 to the end).
std::vector<PromptPiece> parsePromptWeights(std::string_view prompt);

}  // namespace storybrush::text
