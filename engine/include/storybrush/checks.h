// The kid-safe checks as the CLI and the app call them apart from a generation: the prompt policy and the
// picture filter. Engine::generate runs both on every request by itself.
#pragma once

#include <storybrush/image.h>
#include <storybrush/request.h>
#include <storybrush/safety.h>

#include <array>
#include <memory>
#include <string>

namespace storybrush {

// The prompt policy (blocklists in English and Chinese, normalised text). Loaded once, then cheap.
class PromptChecker {
public:
    // Throws Error(ModelFile) when the lists are missing or were changed by hand.
    PromptChecker();
    ~PromptChecker();
    PromptChecker(PromptChecker&&) noexcept;
    SafetyVerdict check(const std::string& prompt) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// nsfwjs's five classes, in this order; the scores sum to 1.
inline constexpr std::array<const char*, 5> kPictureClassNames{"drawing", "hentai", "neutral", "porn", "sexy"};
using PictureScores = std::array<float, 5>;

// The picture filter (nsfwjs's MobileNetV2 run in libtorch).
class PictureFilter {
public:
    // Throws Error(ModelFile) when the filter is missing (a broken install).
    explicit PictureFilter(DevicePreference device = DevicePreference::Cpu);
    ~PictureFilter();
    PictureFilter(PictureFilter&&) noexcept;
    PictureScores scores(const Image& picture) const;
    static SafetyVerdict verdict(const PictureScores& scores);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace storybrush
