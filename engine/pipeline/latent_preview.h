// A cheap look at the picture while it is being drawn: latents projected straight to RGB, no VAE.
#pragma once

#include <storybrush/image.h>

#include "models/autoencoder_tiny.h"

#include <torch/types.h>

#include <cstdint>

namespace storybrush::pipeline {

// latents [1, 4, h, w] (scaled, as the sampler holds them) -> an RGB picture of 8w x 8h (nearest upscale),
// colours roughly right. ref: the linear latent->RGB factors ComfyUI uses for previews (SDXL's VAE has its own).
Image latentPreview(const torch::Tensor& latents, bool sdxl = false);

// TAESD previews are decoded from latents of at most this side (512 px pictures).
constexpr std::int64_t kPreviewLatentSide = 64;

// The step preview the studio shows: TAESD when the model has one (a real look at the picture), else the
// projection above. latents: the sampler's [B, 4, h, w]; the first picture of the batch is shown.
Image stepPreview(const models::TinyDecoder* taesd, const torch::Tensor& latents, bool sdxl);

}  // namespace storybrush::pipeline
