// The steps every generation mode shares: the guided denoise loop, the VAE on either side of it, and
// the conversions between pictures and tensors.
#pragma once

#include "pipeline/families/stable_diffusion.h"
#include "pipeline/prompt_encoder.h"
#include "sampling/noise.h"
#include "sampling/sampler.h"

#include <storybrush/image.h>

#include <functional>

namespace storybrush::pipeline {

// What inpainting adds to the denoise loop (ref: StableDiffusionInpaintPipeline.__call__).
struct LatentInpaint {
    // Inpainting UNets (9 input channels): [1, 5, h, w] = binarised mask and the masked picture's latents,
    // concatenated to every UNet input.
    torch::Tensor unetExtra;
    // Ordinary UNets: after every step the kept part is put back at the next step's noise level. mask
    // [1, 1, h, w] in [0, 1] (1 = repaint); grey values repaint for the last `value` share of the steps
    // (differential diffusion), so 0/1 masks blend exactly as the reference does.
    torch::Tensor blendMask;
    torch::Tensor imageLatents;  // the clean latents of the picture
    torch::Tensor noise;         // the noise the start latents were made with
};

// Runs the sampler from `startIndex` to the end on `latents` (already at that step's noise level), with
// classifier-free guidance when conditioning.uncond is defined (ref: StableDiffusionPipeline.__call__:
// one batched UNet call on [uncond, cond], then uncond + cfg * (cond - uncond)). Returns float32 latents;
// stopped early, it returns the latents reached so far and sets *stopped.
torch::Tensor denoise(StableDiffusionModel& model, sampling::Scheduler& scheduler, torch::Tensor latents,
                      const TextConditioning& conditioning, double cfgScale, int startIndex, const StepCallback& onStep,
                      bool* stopped = nullptr, const LatentInpaint* inpaint = nullptr);

// The UNet alone as the denoise loop calls it, `calls` times back to back (one picture's context, a width x height
// picture, a mid-schedule timestep), after one call that captures its CUDA graph: milliseconds a call. What a
// step costs without the sampler's own arithmetic and without waiting for each step to finish.
double timeUNetCalls(StableDiffusionModel& model, const TextConditioning& conditioning, int width, int height,
                     int calls);

// The VAE decoder on scaled latents: decode(latents / scaling_factor), float32 [B, 3, H, W] about [-1, 1].
torch::Tensor decodeLatents(StableDiffusionModel& model, const torch::Tensor& latents);

// Image-to-image start latents: (mean + std * noise) * scaling_factor, the noise drawn from `generator`
// (ref: DiagonalGaussianDistribution.sample(generator) in StableDiffusionImg2ImgPipeline.prepare_latents).
torch::Tensor encodeImageLatents(StableDiffusionModel& model, const torch::Tensor& image,
                                 sampling::NoiseSource& generator);

// [1, 3, H, W] in [-1, 1] <-> 8-bit RGB (ref: VaeImageProcessor: (x / 2 + 0.5).clamp(0, 1), * 255, round).
Image tensorToImage(const torch::Tensor& image);
torch::Tensor imageToTensor(const Image& image);  // RGB or RGBA (alpha dropped) or grey; float32 CPU
torch::Tensor maskToTensor(const Image& mask);    // 1-channel 0..255 -> [1, 1, H, W] in [0, 1], float32 CPU

}  // namespace storybrush::pipeline
