// LoRA style add-ons merged into a model's weights: kohya names (lora_unet_*, lora_te_*, lora_te1_*/lora_te2_*,
// lora_down/lora_up/alpha, LoCon convolutions) and diffusers/PEFT names (lora_A/lora_B); for Qwen-Image's
// transformer (target "transformer") also musubi-tuner/ComfyUI's "diffusion_model." names. Merging costs nothing per
// step; removing restores the saved original weights, so it is exact in every precision.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

namespace storybrush::models {

// One low-rank update of one weight: W += strength * scale * up @ down (reshaped to W's shape).
struct LoraDelta {
    std::string target;  // the parameter it changes: "unet:down_blocks.0....to_q.weight" or "te:text_model...."
    torch::Tensor down;  // [rank, in] or [rank, in, kh, kw]
    torch::Tensor up;    // [out, rank] or [out, rank, 1, 1]
    double scale = 1.0;  // alpha / rank (1 when the file gives no alpha)
};

struct LoraFile {
    std::string path;
    std::vector<LoraDelta> deltas;
    bool forSdxl = false;  // names of SDXL's two text encoders (lora_te1_ / lora_te2_) or its UNet layout
};

// The modules a LoRA may change, by prefix ("unet", "te", "te2"; "transformer" for Qwen-Image), each with its
// parameters by name.
using LoraTargets = std::map<std::string, torch::nn::Module*>;

// Reads a LoRA file and resolves every update to a parameter of `targets`. Throws Error(ModelFile) for a file
// that is no LoRA, and Error(UnsupportedModel) naming both families when it was made for another kind of model
// (modelFamily is what the message calls the loaded model: "SD 1.x", "SD 2.x", ...).
LoraFile readLora(const std::string& path, const LoraTargets& targets, bool modelIsSdxl,
                  const std::string& modelFamily);

// The merged state of a model: which LoRAs (path, strength) are in, and the original weights they replaced.
class LoraMerger {
public:
    // Makes the model's weights base + the given LoRAs (each with its strength), undoing whatever was merged
    // before. Nothing to do when the same set is asked again.
    void apply(const LoraTargets& targets, const std::vector<std::pair<LoraFile, float>>& loras);
    void restore(const LoraTargets& targets);  // back to the base weights, bit for bit
    const std::vector<std::pair<std::string, float>>& merged() const { return m_merged; }

private:
    std::map<std::string, torch::Tensor> m_originals;  // target -> the base weight (a copy, same dtype and device)
    std::vector<std::pair<std::string, float>> m_merged;
};

}  // namespace storybrush::models
