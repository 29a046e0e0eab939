// Flow matching with Euler steps and resolution-dependent shift: the sampler of Qwen-Image (diffusers'
// FlowMatchEulerDiscreteScheduler as QwenImagePipeline configures it). The model predicts the velocity
// noise - picture; sigma runs from 1 (noise) to 0 (picture).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace storybrush::sampling {

// scheduler/scheduler_config.json. Defaults are Qwen-Image's published config.
struct FlowMatchConfig {
    std::int64_t numTrainTimesteps = 1000;
    bool useDynamicShifting = true;
    double shift = 1.0;  // the fixed shift when dynamic shifting is off
    double baseShift = 0.5;
    double maxShift = 0.9;
    std::int64_t baseImageSeqLen = 256;
    std::int64_t maxImageSeqLen = 8192;
    double shiftTerminal = 0.02;       // 0: none
    bool exponentialTimeShift = true;  // time_shift_type "exponential", else "linear"

    // Throws Error(ModelFile) for a malformed field or an option this sampler does not follow (Karras,
    // exponential or beta sigmas, stochastic sampling, inverted sigmas).
    static FlowMatchConfig fromJson(const nlohmann::json& json, const std::string& source);
    static FlowMatchConfig fromFile(const std::string& path);
};

struct FlowMatchSchedule {
    double mu = 0.0;                // the shift for this picture size (dynamic shifting)
    std::vector<double> sigmas;     // steps + 1 entries, the last 0
    std::vector<double> timesteps;  // sigma x num_train_timesteps, one per step
};

// ref: QwenImagePipeline: sigmas = linspace(1, 1/steps, steps), mu = calculate_shift(imageSeqLen), then
// FlowMatchEulerDiscreteScheduler.set_timesteps(sigmas=..., mu=mu), in float32 as it computes them.
// imageSeqLen is the number of 2x2 latent patches. Throws Error(InvalidRequest) for steps < 1.
FlowMatchSchedule flowMatchSchedule(const FlowMatchConfig& config, int steps, std::int64_t imageSeqLen);

// One Euler step: sample + (sigma[i+1] - sigma[i]) * velocity, in float32.
torch::Tensor flowMatchStep(const FlowMatchSchedule& schedule, int stepIndex, const torch::Tensor& velocity,
                            const torch::Tensor& sample);

// The picture `clean` noised to `sigma` (ref: scale_noise): sigma * noise + (1 - sigma) * clean.
torch::Tensor flowMatchNoise(const torch::Tensor& clean, const torch::Tensor& noise, double sigma);

}  // namespace storybrush::sampling
