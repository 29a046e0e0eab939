// Turning a prompt into the forms the safety lists are matched against, undoing the tricks people use
// to slip words past a filter.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace storybrush::safety {

// The prompt as matched: NFKC with case folding (full-width letters become ASCII, zero-width and other
// ignorable characters vanish), accents and other combining marks removed, Cyrillic/Greek look-alikes
// turned into the Latin letters they imitate, Traditional Chinese turned into Simplified, and the
// prompt-weight syntax ((word:1.5), [word], BREAK) reduced to its words. UTF-8 in and out.
std::string normalizePrompt(std::string_view prompt);

// Latin words of a normalised prompt, in order, each with the variants that undo leetspeak (0->o,
// 3->e, 1->i or l, @->a, $->s, ...) and stretched letters ("nuuuude"). Letters written one by one
// ("n a k e d", "n.a.k.e.d") are also joined into one word.
struct Word {
    std::string text;                   // letters and digits as written (lower case)
    std::vector<std::string> variants;  // text itself first, then the decoded forms
    bool spelledOut = false;            // joined from single letters: matched alone, never inside a phrase
};
std::vector<Word> latinWords(const std::string& normalized);

}  // namespace storybrush::safety
