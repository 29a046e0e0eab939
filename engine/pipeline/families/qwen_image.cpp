// Qwen-Image (MMDiT, Qwen2.5-VL text encoder, flow matching): a diffusers folder, or ComfyUI's lone transformer
// file with a Qwen-Image folder beside it.
#include "pipeline/families/qwen_image.h"

#include "runtime/warm_up.h"

#include <filesystem>

namespace storybrush::pipeline {

namespace fs = std::filesystem;

void QwenImageModel::describeParts() {
    target = parts->target;
    vaeTarget = parts->vaeTarget;
    latentChannels = static_cast<int>(parts->vae->config.zDim);
    // ref: QwenImagePipeline: default_sample_size 128 latents
    nativeSize = static_cast<int>(128 * parts->vae->config.scaleFactor());
}

models::LoraTargets QwenImageModel::loraTargets() { return {{"transformer", parts->transformer.ptr().get()}}; }

std::pair<int, int> QwenImageModel::drawableSize(int width, int height) const {
    // Qwen-Image draws on 2x2 patches of its latent grid.
    const int grid = static_cast<int>(2 * parts->vae->config.scaleFactor());
    return {std::max(grid, width / grid * grid), std::max(grid, height / grid * grid)};
}

Picture QwenImageModel::draw(const GenerationRequest& request, std::uint64_t seed, int width, int height,
                             const StepCallback& onStep, const PictureInputs& inputs,
                             const PictureOverrides& overrides) {
    return drawQwenPicture(*parts, request, seed, width, height, onStep, inputs, overrides);
}

void QwenImageModel::encodePrompts(const GenerationRequest& request) {
    (void)encodeQwenPrompt(*parts, request.prompt);
    // True CFG needs a negative prompt; with none given, a single space, as drawQwenPicture encodes it.
    if (request.cfgScale > 1.0f)
        (void)encodeQwenPrompt(*parts, request.negativePrompt.empty() ? std::string(" ") : request.negativePrompt);
}

void QwenImageModel::clearPromptCache() { parts->promptCache.clear(); }

Image QwenImageModel::stepPreview(const torch::Tensor& latents) { return qwenStepPreview(*parts, latents); }

void QwenImageModel::reportStreamedLayers(std::function<void(int arrived, int total)> report) {
    if (parts->transformer->streamingBlocks()) parts->transformer->onBlockStreamed = std::move(report);
}

Offload QwenImageModel::offload() const { return parts->offload; }

namespace {

class QwenImageFamily final : public Family {
public:
    std::string_view id() const override { return "qwenimage"; }
    std::string_view displayName() const override { return "Qwen-Image"; }
    // ref: QwenImagePipeline: true_cfg_scale 4; it takes 50 steps, 30 keep a picture in reach of a child's wait.
    FamilyDefaults defaults() const override { return {1024, 30, 4.0f, Sampler::Euler}; }
    std::string samplerLabel(Sampler) const override { return "flowmatch-euler"; }

    bool claims(Probe& probe) const override { return isQwenImage(probe.path()); }

    ModelSummary check(Probe& probe) const override {
        ModelSummary summary;
        summary.family = this;
        summary.nativeSize = checkQwenImage(probe.path());
        return summary;
    }

    std::shared_ptr<LoadedModel> load(Probe& probe, const runtime::ComputeTarget& target,
                                      const LoadOptions& options) const override {
        const std::string& path = probe.path();
        const runtime::GpuWarmUp warmUp(target.device,
                                        {target.dtype, runtime::vaeTarget(target, /*forceUpcast=*/true).dtype});
        auto model = std::make_shared<QwenImageModel>();
        model->family = this;
        model->path = path;
        fs::path name = fs::u8path(path);
        if (name.filename().empty()) name = name.parent_path();
        model->name = name.stem().u8string();
        model->parts = loadQwenImageParts(path, target, options);
        model->describeParts();
        return model;
    }
};

}  // namespace

const Family& qwenImageFamily() {
    static const QwenImageFamily family;
    return family;
}

}  // namespace storybrush::pipeline
