// A cheap look at the picture while it is being drawn: latents projected straight to RGB, no VAE.
#pragma once

#include <storybrush/image.h>

#include <torch/types.h>

namespace storybrush::pipeline {

// latents [1, 4, h, w] (scaled, as the sampler holds them) -> an RGB picture of 8w x 8h (nearest upscale),
// colours roughly right. ref: the linear SD 1.x latent->RGB factors ComfyUI and A1111 use for previews.
Image latentPreview(const torch::Tensor& latents);

}  // namespace storybrush::pipeline
