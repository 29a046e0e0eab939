// The CompVis safety checker that Stable Diffusion repositories ship in safety_checker/ (CLIP ViT image tower,
// projection, 17 concept and 3 special-care embeddings with thresholds). Run as a second opinion when a model
// folder has it in safetensors form. ref: diffusers StableDiffusionSafetyChecker.forward.
#pragma once

#include <storybrush/image.h>

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace storybrush::safety {

struct CompVisResult {
    torch::Tensor imageEmbeds;          // [projection_dim]
    std::vector<float> specialCosDist;  // 3
    std::vector<float> cosDist;         // 17
    bool hasNsfw = false;               // any concept score > 0 (after the 0.01 adjustment on a special-care hit)
};

class CompVisSafetyChecker {
public:
    // `folder`: a safety_checker folder (config.json + model.safetensors). Throws Error(ModelFile) naming what is
    // missing or wrong. Pickle weights (pytorch_model.bin) are never read. `device`: where it runs (CLIP ViT-L takes
    // seconds a picture on a CPU).
    static std::shared_ptr<CompVisSafetyChecker> load(const std::string& folder, torch::Device device = torch::kCPU);
    // The folder's safety checker when it ships one in safetensors form: "" otherwise.
    static std::string findIn(const std::string& modelFolder);

    // clipInput [B, 3, 224, 224], already CLIPImageProcessor-normalised.
    std::vector<CompVisResult> check(const torch::Tensor& clipInput) const;
    // A picture: shortest side to 224 (bicubic), centre crop, /255, CLIP's mean and std.
    CompVisResult check(const Image& picture) const;

    struct Impl;
    ~CompVisSafetyChecker();

private:
    CompVisSafetyChecker();
    std::unique_ptr<Impl> m_impl;
};

}  // namespace storybrush::safety
