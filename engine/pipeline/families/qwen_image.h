// Qwen-Image as a loaded model: the pipeline of pipeline/qwen_image.h behind the family seam.
#pragma once

#include "pipeline/family.h"
#include "pipeline/qwen_image.h"

#include <memory>

namespace storybrush::pipeline {

class QwenImageModel final : public LoadedModel {
public:
    std::unique_ptr<QwenImageParts> parts;

    // Fills the fields every loaded model has from `parts` (set first).
    void describeParts();

    models::LoraTargets loraTargets() override;
    std::pair<int, int> drawableSize(int width, int height) const override;
    Picture draw(const GenerationRequest& request, std::uint64_t seed, int width, int height,
                 const StepCallback& onStep, const PictureInputs& inputs = {},
                 const PictureOverrides& overrides = {}) override;
    void encodePrompts(const GenerationRequest& request) override;
    void clearPromptCache() override;
    Image stepPreview(const torch::Tensor& latents) override;
    std::string previewDecoderName() const override { return "vae"; }
    void reportStreamedLayers(std::function<void(int arrived, int total)> report) override;
    Offload offload() const override;
};

}  // namespace storybrush::pipeline
