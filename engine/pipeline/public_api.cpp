// The public descriptions and checks of <storybrush/models.h>, <storybrush/checks.h> and <storybrush/tokens.h>,
// over the engine's internals.
#include <storybrush/checks.h>
#include <storybrush/error.h>
#include <storybrush/models.h>
#include <storybrush/tokens.h>

#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "pipeline/family.h"
#include "runtime/device.h"
#include "safety/picture_classifier.h"
#include "safety/prompt_policy.h"
#include "text/clip_tokenizer.h"
#include "text/prompt_chunks.h"

namespace storybrush {

ModelDescription describeModel(const std::string& path) {
    ModelDescription description;
    description.path = path;
    if (path == kBuiltinModel) {
        description.path = io::builtinModelDir();
        if (description.path.empty())
            throw Error(ErrorKind::ModelFile, "The built-in model is not installed: reinstall Storybrush.");
    }
    const pipeline::ModelSummary summary = pipeline::checkModel(description.path);
    const pipeline::FamilyDefaults defaults = summary.family->defaults();
    description.family = std::string(summary.family->id());
    description.familyName = std::string(summary.family->displayName());
    description.vPrediction = summary.prediction == io::Prediction::VPrediction;
    description.inpainting = summary.inpainting;
    description.nativeSize = summary.nativeSize;
    description.defaultSteps = defaults.steps;
    description.defaultGuidance = defaults.guidance;
    description.ownSampler = defaults.ownSampler.has_value();
    return description;
}

std::string builtinModelFolder() { return io::builtinModelDir(); }

bool isPickleFile(const std::string& path) { return io::isPicklePath(path); }

std::string pickleRefusal(const std::string& path, const std::string& why) { return io::pickleRefusal(path, why); }

bool isLoraFile(const std::string& path) {
    const auto file = io::SafetensorsFile::open(path);
    for (const auto& info : file->tensors()) {
        for (const char* part : {".lora_down.", ".lora_up.", ".lora_A.", ".lora_B."}) {
            if (info.name.find(part) != std::string::npos) return true;
        }
    }
    return false;
}

struct PromptChecker::Impl {
    safety::PromptPolicy policy;
};

PromptChecker::PromptChecker()
    : m_impl(std::make_unique<Impl>(Impl{safety::PromptPolicy::load(safety::PromptPolicy::defaultFolder())})) {}
PromptChecker::~PromptChecker() = default;
PromptChecker::PromptChecker(PromptChecker&&) noexcept = default;

SafetyVerdict PromptChecker::check(const std::string& prompt) const { return m_impl->policy.check(prompt); }

struct PictureFilter::Impl {
    std::shared_ptr<safety::PictureClassifier> classifier;
};

PictureFilter::PictureFilter(DevicePreference device) : m_impl(std::make_unique<Impl>()) {
    const std::string model = safety::PictureClassifier::defaultPath();
    if (model.empty())
        throw Error(ErrorKind::ModelFile, "The picture filter is missing (resources/safety/classifier).");
    m_impl->classifier = safety::PictureClassifier::load(model, runtime::chooseTarget(device, Precision::Auto).device);
}
PictureFilter::~PictureFilter() = default;
PictureFilter::PictureFilter(PictureFilter&&) noexcept = default;

PictureScores PictureFilter::scores(const Image& picture) const { return m_impl->classifier->classify(picture); }

SafetyVerdict PictureFilter::verdict(const PictureScores& scores) { return safety::judgePicture(scores); }

struct TokenCounter::Impl {
    text::ClipTokenizer tokenizer;
};

TokenCounter::TokenCounter()
    : m_impl(std::make_shared<const Impl>(Impl{text::ClipTokenizer(io::bundledClipTokenizerDir())})) {}
TokenCounter::~TokenCounter() = default;

TokenCount TokenCounter::count(const std::string& prompt) const {
    const auto encoded = text::encodePrompt(m_impl->tokenizer, prompt, /*parseWeights=*/true);
    return {encoded.tokenCount, static_cast<int>(encoded.chunks.size())};
}

}  // namespace storybrush
