// What a generation returns. Pictures the classifier blocks keep their slot in the batch (so seeds
// stay aligned) but carry no pixels: they never leave the engine.
#pragma once

#include <storybrush/image.h>
#include <storybrush/safety.h>

#include <cstdint>
#include <string>
#include <vector>

namespace storybrush {

struct GeneratedImage {
    Image image;  // empty when blocked
    std::uint64_t seed = 0;
    SafetyVerdict verdict;
    std::string parameters;  // A1111 "parameters" text: prompt, Negative prompt:, Steps: ..., Seed: ...
};

struct GenerationResult {
    SafetyVerdict promptVerdict;  // when !allowed nothing was generated
    std::vector<GeneratedImage> images;
    bool cancelled = false;  // stopped early: images holds the pictures finished before the stop
    double seconds = 0.0;
    std::string modelName;
    std::string deviceName;  // "CPU", "CUDA: NVIDIA H100 80GB HBM3"
    std::string precisionName;
};

}  // namespace storybrush
