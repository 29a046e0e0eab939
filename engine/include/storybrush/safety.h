// Kid-safe verdicts on prompts and pictures. The category and matched term are for the adult log;
// the child only ever sees childMessage, which never repeats the term.
#pragma once

#include <string>
#include <string_view>

namespace storybrush {

enum class SafetyCategory { None, Sexual, Minors, Violence, Weapons, SelfHarm, Drugs, Horror, Hate };

// CLI/JSON spelling: "sexual", "minors", "violence", "weapons", "self_harm", "drugs", "horror", "hate"
// (None has no name: JSON writes null).
std::string_view safetyCategoryName(SafetyCategory category);

// What kid mode adds to every negative prompt (the studio shows it under "Leave out"), so pictures stay
// gentle even when a prompt slips through.
std::string_view kidModeNegativePrompt();

struct SafetyVerdict {
    bool allowed = true;
    bool checked = false;  // false when no check ran (adult mode with the check switched off)
    SafetyCategory category = SafetyCategory::None;
    std::string matchedTerm;   // adult log only
    std::string childMessage;  // kind words for the child's screen when !allowed
};

}  // namespace storybrush
