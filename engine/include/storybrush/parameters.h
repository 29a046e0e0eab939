// The generation parameters as A1111 writes them into a PNG's "parameters" chunk, so its PNG Info (and every
// tool that reads A1111's format) understands our pictures, and ours read theirs back.
#pragma once

#include <storybrush/request.h>

#include <cstdint>
#include <string>

namespace storybrush {

std::string a1111SamplerName(Sampler sampler);  // "DPM++ 2M Karras", "Euler a", ...

// prompt, "Negative prompt: ..." (when any), then "Steps: 25, Sampler: ..., CFG scale: 7.5, Seed: 42,
// Size: 512x512, Model: name" (+ "Denoising strength" for image-to-image, "Clip skip" when above 1).
std::string parametersText(const GenerationRequest& request, std::uint64_t seed, int width, int height,
                           const std::string& modelName);

}  // namespace storybrush
