// Loading the safety lists (with their integrity check) and matching prompts against them.
#include "safety/prompt_policy.h"

#include "safety/text_normalizer.h"

#include "runtime/resources.h"

#include <storybrush/error.h>

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace storybrush::safety {

namespace fs = std::filesystem;

namespace {

// The order in which categories are reported when a prompt matches several: the most serious first.
constexpr std::array<SafetyCategory, 8> kSeverity{
    SafetyCategory::Minors,  SafetyCategory::Sexual, SafetyCategory::SelfHarm, SafetyCategory::Violence,
    SafetyCategory::Weapons, SafetyCategory::Hate,   SafetyCategory::Drugs,    SafetyCategory::Horror};

// Endings that keep a listed word's meaning ("kills", "killing", "killer"); the word must still stand
// alone, so "therapist" never matches "rapist" nor "Scunthorpe" anything.
constexpr std::array<const char*, 7> kEndings{"s", "es", "ed", "d", "ing", "er", "ers"};

constexpr const char* kListFolders[] = {"en", "zh-Hans", "zh-Hant", "pinyin"};

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::ModelFile, "Cannot read the safety list " + path.u8string() + ".");
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

std::string sha256Hex(const std::string& data) {
    static const int ready = sodium_init();
    if (ready < 0) throw Error(ErrorKind::Internal, "libsodium could not start");
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    return hex;
}

std::optional<SafetyCategory> categoryFromName(const std::string& name) {
    for (SafetyCategory category : kSeverity) {
        if (safetyCategoryName(category) == name) return category;
    }
    return std::nullopt;
}

std::vector<std::string> splitWords(const std::string& normalized) {
    std::vector<std::string> words;
    for (const auto& word : latinWords(normalized)) {
        if (!word.spelledOut) words.push_back(word.text);
    }
    return words;
}

bool matchesWord(const Word& word, const std::string& term, bool allowEndings) {
    for (const auto& variant : word.variants) {
        if (variant == term) return true;
        if (!allowEndings || variant.size() <= term.size() || variant.compare(0, term.size(), term) != 0) continue;
        const std::string ending = variant.substr(term.size());
        for (const char* allowed : kEndings) {
            if (ending == allowed) return true;
        }
        // A doubled last consonant before -ing/-er/-ed ("shooting" is listed whole; "stabbing" -> "stab").
        if (ending.size() > 1 && ending[0] == term.back() &&
            (ending.substr(1) == "ing" || ending.substr(1) == "er" || ending.substr(1) == "ed")) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string childMessageFor(SafetyCategory category) {
    switch (category) {
    case SafetyCategory::None: return {};
    case SafetyCategory::Horror: return "That sounds a bit too scary. Let's draw something cosy instead!";
    case SafetyCategory::Weapons:
    case SafetyCategory::Violence: return "Let's try another idea! How about a friendly adventure?";
    default: return "Let's try another idea!";
    }
}

std::string PromptPolicy::defaultFolder() {
    std::string tried;
    const fs::path manifest = runtime::findResource(fs::path("safety") / "MANIFEST.sha256", &tried);
    if (manifest.empty())
        throw Error(ErrorKind::Internal, "The kid-safe word lists were not found. Looked in:" + tried);
    return manifest.parent_path().u8string();
}

void PromptPolicy::addTerm(const std::string& line, SafetyCategory category, bool chinese) {
    const std::string normalized = normalizePrompt(line);
    Term term;
    term.category = category;
    term.original = line;
    if (chinese) {
        term.text = normalized;
        const auto start = term.text.find_first_not_of(' ');
        const auto end = term.text.find_last_not_of(' ');
        if (start == std::string::npos) return;
        term.text = term.text.substr(start, end - start + 1);
        m_chineseTerms.push_back(std::move(term));
    } else {
        term.words = splitWords(normalized);
        if (term.words.empty()) return;
        m_latinTerms.push_back(std::move(term));
    }
}

PromptPolicy PromptPolicy::load(const std::string& folder) {
    const fs::path root = fs::u8path(folder);
    const fs::path manifestPath = root / "MANIFEST.sha256";
    std::map<std::string, std::string> manifest;  // relative path -> hash
    {
        std::istringstream lines(readFile(manifestPath));
        std::string line;
        while (std::getline(lines, line)) {
            if (line.empty() || line[0] == '#') continue;
            if (line.size() < 67 || line[64] != ' ') {
                throw Error(ErrorKind::ModelFile, "The safety manifest " + manifestPath.u8string() + " is damaged.");
            }
            manifest[line.substr(66)] = line.substr(0, 64);
        }
    }
    std::set<std::string> seen;
    PromptPolicy policy;
    for (const char* sub : kListFolders) {
        const bool chinese = std::string(sub).rfind("zh", 0) == 0;
        std::error_code error;
        for (const auto& entry : fs::directory_iterator(root / sub, error)) {
            if (entry.path().extension() != ".txt") continue;
            const std::string relative = std::string(sub) + "/" + entry.path().filename().u8string();
            const std::string content = readFile(entry.path());
            const auto listed = manifest.find(relative);
            if (listed == manifest.end() || listed->second != sha256Hex(content)) {
                throw Error(ErrorKind::ModelFile,
                            "The kid-safe word list " + entry.path().u8string() +
                                " was changed or added outside a "
                                "release, so Storybrush will not draw until it is restored (reinstall Storybrush).");
            }
            seen.insert(relative);
            const std::string kind = entry.path().stem().u8string();
            std::istringstream lines(content);
            std::string line;
            while (std::getline(lines, line)) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (line.empty() || line[0] == '#') continue;
                if (kind == "allow") {
                    if (chinese) {
                        policy.m_chineseAllowed.push_back(normalizePrompt(line));
                    } else {
                        policy.m_latinAllowed.push_back(splitWords(normalizePrompt(line)));
                    }
                } else if (kind == "minor_context") {
                    (chinese ? policy.m_chineseMinorContext : policy.m_latinMinorContext)
                        .push_back(normalizePrompt(line));
                } else if (const auto category = categoryFromName(kind)) {
                    policy.addTerm(line, *category, chinese);
                } else {
                    throw Error(ErrorKind::ModelFile, "Unknown safety list " + entry.path().u8string() + ".");
                }
            }
        }
    }
    for (const auto& [relative, hash] : manifest) {
        if (!seen.count(relative)) {
            throw Error(ErrorKind::ModelFile, "The kid-safe word list " + (root / relative).u8string() +
                                                  " is missing, so Storybrush will not draw until it is restored "
                                                  "(reinstall Storybrush).");
        }
    }
    if (policy.m_latinTerms.empty() || policy.m_chineseTerms.empty()) {
        throw Error(ErrorKind::ModelFile, "The kid-safe word lists in " + folder + " are empty.");
    }
    return policy;
}

SafetyVerdict PromptPolicy::check(std::string_view prompt) const {
    SafetyVerdict verdict;
    verdict.checked = true;
    std::string text = normalizePrompt(prompt);
    // Innocent Chinese words are blanked out before dictionary matching (小鸡, 水枪, ...).
    for (const auto& allowed : m_chineseAllowed) {
        for (auto at = text.find(allowed); !allowed.empty() && at != std::string::npos; at = text.find(allowed, at)) {
            text.replace(at, allowed.size(), std::string(allowed.size(), ' '));
        }
    }
    const std::vector<Word> words = latinWords(text);
    std::vector<bool> setAside(words.size(), false);
    for (const auto& phrase : m_latinAllowed) {
        for (std::size_t i = 0; i + phrase.size() <= words.size(); ++i) {
            bool same = true;
            for (std::size_t k = 0; k < phrase.size() && same; ++k) {
                same = !words[i + k].spelledOut && words[i + k].text == phrase[k];
            }
            if (same)
                std::fill(setAside.begin() + static_cast<long>(i),
                          setAside.begin() + static_cast<long>(i + phrase.size()), true);
        }
    }

    std::map<SafetyCategory, const Term*> found;
    for (const auto& term : m_latinTerms) {
        if (found.count(term.category)) continue;
        const std::size_t n = term.words.size();
        std::string joined;
        for (const auto& w : term.words) joined += w;
        for (std::size_t i = 0; i < words.size() && !found.count(term.category); ++i) {
            if (setAside[i]) continue;
            // The words of a phrase written together ("bloodbath", "luoti") count as the phrase.
            if (matchesWord(words[i], n == 1 ? term.words[0] : joined, true)) {
                found[term.category] = &term;
                break;
            }
            if (n == 1 || words[i].spelledOut || i + n > words.size()) continue;
            bool phrase = true;
            for (std::size_t k = 0; k < n && phrase; ++k) {
                const Word& word = words[i + k];
                phrase = !setAside[i + k] && !word.spelledOut && matchesWord(word, term.words[k], k + 1 == n);
            }
            if (phrase) found[term.category] = &term;
        }
    }
    for (const auto& term : m_chineseTerms) {
        if (!found.count(term.category) && text.find(term.text) != std::string::npos) found[term.category] = &term;
    }
    if (found.empty()) return verdict;

    const Term* worst = nullptr;
    for (SafetyCategory category : kSeverity) {
        if (found.count(category)) {
            worst = found[category];
            break;
        }
    }
    verdict.allowed = false;
    verdict.category = worst->category;
    verdict.matchedTerm = worst->original;
    // A sexual word next to a word for a child is the most serious case there is.
    if (verdict.category == SafetyCategory::Sexual) {
        bool aboutChildren = false;
        for (const auto& word : words) {
            for (const auto& child : m_latinMinorContext)
                aboutChildren = aboutChildren || matchesWord(word, child, true);
        }
        for (const auto& child : m_chineseMinorContext)
            aboutChildren = aboutChildren || text.find(child) != std::string::npos;
        if (aboutChildren) verdict.category = SafetyCategory::Minors;
    }
    verdict.childMessage = childMessageFor(verdict.category);
    return verdict;
}

}  // namespace storybrush::safety
