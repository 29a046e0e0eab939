// Prompt text -> the cross-attention context the UNet reads, as A1111 builds it for weights and long
// prompts and exactly as diffusers does for plain ones.
#pragma once

#include "pipeline/families/stable_diffusion.h"

#include <torch/types.h>

#include <string>

namespace storybrush::pipeline {

struct TextConditioning {
    torch::Tensor cond;    // [1, 77 * chunks, dim] in the model's dtype, on its device
    torch::Tensor uncond;  // the same shape; undefined when no classifier-free guidance runs
    // SDXL: the second encoder's projected pooled embedding [1, projection_dim] for each side.
    torch::Tensor pooled;
    torch::Tensor uncondPooled;
};

// clipSkip: A1111's numbering (1 = the last layer). withUncond: encode the negative prompt as well.
// Plain prompts (no weight syntax, at most 75 tokens) give exactly diffusers' encode_prompt output.
// SDXL: both encoders' penultimate states side by side; the pooled embedding is the first chunk's.
TextConditioning encodePrompts(StableDiffusionModel& model, const std::string& prompt, const std::string& negative,
                               int clipSkip, bool withUncond);

// Remembers the last prompt pair of one model, so "draw again" skips the text encoder.
class PromptCache {
public:
    TextConditioning get(StableDiffusionModel& model, const std::string& prompt, const std::string& negative,
                         int clipSkip, bool withUncond);

private:
    const StableDiffusionModel* m_model = nullptr;
    std::string m_prompt, m_negative;
    int m_clipSkip = 0;
    bool m_withUncond = false;
    TextConditioning m_value;
};

}  // namespace storybrush::pipeline
