// The kid-safe prompt policy: word lists per category in English, Chinese (Simplified and Traditional)
// and pinyin, integrity-checked, matched on whole words after undoing the usual obfuscations.
#pragma once

#include <storybrush/safety.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace storybrush::safety {

class PromptPolicy {
public:
    // Reads `folder` (resources/safety: en/, zh-Hans/, zh-Hant/, pinyin/ and MANIFEST.sha256). Every list
    // file must be in the manifest with its SHA-256 and every manifest entry must exist: otherwise
    // Error(ModelFile) says the lists were changed, and no policy is built (a weakened list never runs).
    static PromptPolicy load(const std::string& folder);

    // The resources/safety folder: $STORYBRUSH_RESOURCES/safety, the source tree's, then
    // ../share/storybrush/safety beside the executable. Throws Error(Internal) listing the places tried.
    static std::string defaultFolder();

    SafetyVerdict check(std::string_view prompt) const;

private:
    struct Term {
        std::vector<std::string> words;  // Latin terms: one or more words
        std::string text;                // Chinese terms: matched as dictionary words in the text
        SafetyCategory category = SafetyCategory::None;
        std::string original;  // as written in the list, for the adult log
    };
    void addTerm(const std::string& line, SafetyCategory category, bool chinese);

    std::vector<Term> m_latinTerms;
    std::vector<Term> m_chineseTerms;
    std::vector<std::vector<std::string>> m_latinAllowed;  // innocent phrases, set aside before matching
    std::vector<std::string> m_chineseAllowed;
    std::vector<std::string> m_latinMinorContext;
    std::vector<std::string> m_chineseMinorContext;
};

// The kind words a child sees for a blocked prompt; never the matched term.
std::string childMessageFor(SafetyCategory category);

}  // namespace storybrush::safety
