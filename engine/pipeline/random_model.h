// Full-size models with random weights, built in memory, for benchmarks and overflow checks on machines
// that hold no real checkpoint (and for comparing against other engines on the same shapes).
#pragma once

#include "pipeline/families/qwen_image.h"
#include "pipeline/families/stable_diffusion.h"

#include <memory>
#include <string>

namespace storybrush::pipeline {

// kind: "sd15" (SD 1.5: CLIP ViT-L text encoder, 860 M-parameter UNet, the SD VAE), "sd15-inpaint" (the
// same with the 9-channel inpainting UNet) or "sd2" (SD 2.x 768-v:
// OpenCLIP-H text encoder, linear projections, head dim 64, v-prediction). Weights are drawn from a CPU
// generator seeded `seed` (fan-in scaled normal, as PyTorch's default init keeps activations in range).
// "qwenimage": Qwen-Image at full size (the 20.4 B MMDiT, Qwen2.5-VL 7B's language model, the 16-channel VAE),
// made directly in the device's memory; its tokenizer is a plain byte-level one written to a temporary folder
// (the real vocabulary is not here: prompts take more tokens than with it).
// Throws Error(InvalidRequest) for an unknown kind.
// options: the preview decoder, and Qwen-Image's memory plan (offload, FP8 blocks).
std::shared_ptr<LoadedModel> makeRandomModel(const std::string& kind, const runtime::ComputeTarget& target,
                                             std::uint64_t seed = 0, const LoadOptions& options = {});

// The same as makeRandomModel("qwenimage"), weights placed (offloaded, FP8) as loading would place them.
std::shared_ptr<LoadedModel> makeRandomQwenImage(const runtime::ComputeTarget& target, std::uint64_t seed,
                                                 const LoadOptions& options);

// Writes a model made by makeRandomModel(kind) as a diffusers folder (model_index.json, each part's config.json
// and FP16 .safetensors, the tokenizer, the scheduler) that Storybrush, diffusers and transformers all load:
// so other engines can be timed on the very same weights, and loading from disk can be timed. Throws Error(Io).
void writeModelFolder(const std::string& kind, const LoadedModel& model, const std::string& folder);

}  // namespace storybrush::pipeline
