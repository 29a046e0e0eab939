// One picture from a request: text-to-image, image-to-image or inpainting, exactly as diffusers' pipelines
// draw it (StableDiffusionPipeline, StableDiffusionImg2ImgPipeline, StableDiffusionInpaintPipeline).
#pragma once

#include "pipeline/diffusion.h"

#include <storybrush/request.h>

#include <cstdint>

namespace storybrush::pipeline {

// Draws the picture of `seed`: a fresh CPU generator seeded `seed` makes every random draw in the order one
// diffusers generator would (VAE samples, start noise, per-step noise). width/height: the size to draw,
// multiples of 8; inputs must have that size. Inpainting models given no mask repaint everything.
Picture drawStableDiffusion(StableDiffusionModel& model, PromptCache& prompts, const GenerationRequest& request,
                            std::uint64_t seed, int width, int height, const StepCallback& onStep,
                            const PictureInputs& inputs = {}, const PictureOverrides& overrides = {});

}  // namespace storybrush::pipeline
