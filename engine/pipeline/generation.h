// One picture from a request: text-to-image, image-to-image or inpainting, exactly as diffusers' pipelines
// draw it (StableDiffusionPipeline, StableDiffusionImg2ImgPipeline, StableDiffusionInpaintPipeline).
#pragma once

#include "pipeline/diffusion.h"

#include <storybrush/request.h>

#include <cstdint>

namespace storybrush::pipeline {

// The pictures a drawing starts from, already at the drawing size (the engine resizes and crops them).
struct PictureInputs {
    torch::Tensor image;  // [1, 3, H, W] in [-1, 1]: image-to-image and inpainting
    torch::Tensor mask;   // [1, 1, H, W] in [0, 1], 1 = repaint; needs `image`
};

// For tests that replay the reference's own random draws; the engine leaves them empty.
struct PictureOverrides {
    torch::Tensor latents;                  // initial noise (before init_noise_sigma), as diffusers' `latents`
    sampling::NoiseSource* noise = nullptr;  // the generator for VAE samples, img2img noise and per-step noise
};

struct Picture {
    torch::Tensor latents;  // the sampler's final latents, float32
    Image image;
    bool stopped = false;   // the step callback asked to stop; latents/image are empty then
};

// Draws the picture of `seed`: a fresh CPU generator seeded `seed` makes every random draw in the order one
// diffusers generator would (VAE samples, start noise, per-step noise). width/height: the size to draw,
// multiples of 8; inputs must have that size. Inpainting models given no mask repaint everything.
Picture drawPicture(LoadedModel& model, PromptCache& prompts, const GenerationRequest& request, std::uint64_t seed,
                    int width, int height, const StepCallback& onStep, const PictureInputs& inputs = {},
                    const PictureOverrides& overrides = {});

// The same for Qwen-Image (drawPicture hands over to it). Sizes are rounded down to the 2x2 patch grid.
Picture drawQwenPicture(QwenImageParts& parts, const GenerationRequest& request, std::uint64_t seed, int width,
                        int height, const StepCallback& onStep, const PictureInputs& inputs = {},
                        const PictureOverrides& overrides = {});

}  // namespace storybrush::pipeline
