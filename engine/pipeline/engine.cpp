// The Engine facade: validates a request, keeps the loaded model, and runs the stages of a generation (stages.h).
#include <storybrush/engine.h>
#include <storybrush/parameters.h>

#include "pipeline/family.h"
#include "pipeline/stages.h"
#include "runtime/device.h"
#include "runtime/torch_compat.h"
#include "safety/prompt_policy.h"

#include <optional>
#include <utility>

namespace storybrush {

struct Engine::Impl {
    EngineOptions options;
    std::shared_ptr<pipeline::LoadedModel> model;
    std::string modelKey;
    std::optional<safety::PromptPolicy> policy;  // loaded on first use; a tampered list fails the request
    pipeline::PictureJudge judge;
    models::LoraMerger loras;  // the style add-ons merged into `model` now

    const safety::PromptPolicy& promptPolicy() {
        if (!policy) policy = safety::PromptPolicy::load(safety::PromptPolicy::defaultFolder());
        return *policy;
    }

    // The model stays loaded while requests ask for the same file, device, precision and VAE.
    pipeline::LoadedModel& load(const std::string& path, const runtime::ComputeTarget& target,
                                const std::string& vaePath) {
        const std::string key =
            path + "|" + target.device.str() + "|" + runtime::dtypeName(target.dtype) + "|" + vaePath;
        if (!model || key != modelKey) {
            model.reset();  // free the old networks before the new ones take memory
            loras = {};
            model = pipeline::loadModel(path, target);
            if (!vaePath.empty()) model->replaceVae(vaePath);
            judge.useModelChecker(path, target.device);
            modelKey = key;
        }
        return *model;
    }

    // Stage: the prompt policy. A blocked prompt draws nothing.
    std::optional<GenerationResult> blockedPrompt(const GenerationRequest& asked, pipeline::Clock::time_point started) {
        if (!asked.safetyCheck) return std::nullopt;
        // Only the prompt is checked: negative prompts name what to keep out, often in exactly these words.
        SafetyVerdict verdict = promptPolicy().check(asked.prompt);
        if (verdict.allowed) return std::nullopt;
        GenerationResult blocked;
        blocked.promptVerdict = std::move(verdict);
        blocked.seconds = pipeline::secondsSince(started);
        return blocked;
    }

    GenerationResult draw(const GenerationRequest& asked, const runtime::ComputeTarget& target, const std::string& path,
                          pipeline::Clock::time_point started) {
        if (asked.safetyCheck) judge.startLoading(target.device);
        pipeline::LoadedModel& loaded = load(path, target, asked.vaePath);
        const GenerationRequest recorded = pipeline::recordedRequest(asked, loaded);
        GenerationRequest drawn = recorded;  // the prompt without its LoRA tags
        pipeline::applyLoras(loaded, loras, asked.loras, pipeline::takeLoraTags(drawn.prompt), options.loraFolders);
        const pipeline::PicturePlan plan = pipeline::planPicture(asked, loaded);

        GenerationResult result;
        result.modelName = loaded.name;
        result.deviceName = runtime::describeDevice(target.device);
        result.precisionName = runtime::dtypeName(target.dtype);
        result.promptVerdict.allowed = true;
        result.promptVerdict.checked = asked.safetyCheck;

        pipeline::ProgressReporter reporter(asked, loaded, started);
        for (int i = 0; i < asked.batchSize; ++i) {
            if (asked.cancel.isCancelled()) {
                result.cancelled = true;
                break;
            }
            const std::uint64_t seed = asked.seed + static_cast<std::uint64_t>(i);
            pipeline::Picture picture =
                loaded.draw(drawn, seed, plan.width, plan.height, reporter.forPicture(i), plan.inputs);
            if (picture.stopped) {
                result.cancelled = true;
                break;
            }
            GeneratedImage generated;
            generated.image = pipeline::finishPicture(plan, std::move(picture.image), asked.maskOptions.colorMatch);
            generated.seed = seed;
            generated.parameters =
                parametersText(recorded, seed, generated.image.width, generated.image.height, loaded.name);
            if (asked.safetyCheck) {
                // Every final picture is judged before anyone sees it; a held-back one never leaves the engine.
                generated.verdict = judge.judge(generated.image, target.device);
                if (!generated.verdict.allowed) generated.image = Image();
            } else {
                generated.verdict.allowed = true;
            }
            result.images.push_back(std::move(generated));
        }
        result.seconds = pipeline::secondsSince(started);
        return result;
    }
};

Engine::Engine(EngineOptions options) : m_impl(std::make_unique<Impl>()) {
    m_impl->options = std::move(options);
    if (m_impl->options.cpuThreads > 0) at::set_num_threads(m_impl->options.cpuThreads);
}

Engine::~Engine() = default;

std::string Engine::deviceDescription(DevicePreference preference) const {
    const auto target = runtime::chooseTarget(preference, Precision::Auto);
    return runtime::describeDevice(target.device) + ", " + runtime::dtypeName(target.dtype);
}

GenerationResult Engine::generate(const GenerationRequest& asked) {
    validateRequest(asked);
    const auto started = pipeline::Clock::now();
    if (auto blocked = m_impl->blockedPrompt(asked, started)) return std::move(*blocked);
    const auto target = runtime::chooseTarget(asked.device, asked.precision);
    const std::string path = pipeline::resolveModelPath(asked.model, m_impl->options.builtinModelDir);
    runtime::InferenceGuard inference;
    return pipeline::translateTorchErrors(target.device, [&] { return m_impl->draw(asked, target, path, started); });
}

}  // namespace storybrush
