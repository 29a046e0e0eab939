// A cheap look at the picture while it is being drawn: latents projected straight to RGB, no VAE.
#pragma once

#include <storybrush/image.h>

#include <torch/types.h>

namespace storybrush::pipeline {

// latents [1, 4, h, w] (scaled, as the sampler holds them) -> an RGB picture of 8w x 8h (nearest upscale),
// colours roughly right. ref: the linear latent->RGB factors ComfyUI uses for previews (SDXL's VAE has its own).
Image latentPreview(const torch::Tensor& latents, bool sdxl = false);

}  // namespace storybrush::pipeline
