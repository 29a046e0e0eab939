// One picture from a request: text-to-image or image-to-image, exactly as diffusers' pipelines draw it.
#pragma once

#include "pipeline/diffusion.h"

#include <storybrush/request.h>

#include <cstdint>

namespace storybrush::pipeline {

// For tests that replay the reference's own random draws; the engine leaves them empty.
struct PictureOverrides {
    torch::Tensor latents;                  // initial noise (before init_noise_sigma), as diffusers' `latents`
    sampling::NoiseSource* noise = nullptr;  // the generator for VAE samples, img2img noise and per-step noise
    torch::Tensor initImage;                // [1, 3, H, W] in [-1, 1] instead of request.initImage
};

struct Picture {
    torch::Tensor latents;  // the sampler's final latents, float32
    Image image;
    bool stopped = false;   // the step callback asked to stop; latents/image are empty then
};

// Draws the picture of `seed` (a fresh CPU generator seeded `seed` draws the initial latents, then any
// noise the sampler needs, as one diffusers generator would). width/height: the size to draw, multiples of 8.
Picture drawPicture(LoadedModel& model, PromptCache& prompts, const GenerationRequest& request, std::uint64_t seed,
                    int width, int height, const StepCallback& onStep, const PictureOverrides& overrides = {});

}  // namespace storybrush::pipeline
