// Noise schedules of the diffusers schedulers: scheduler_config.json parsed with each scheduler's own
// defaults, the training betas / alphas_cumprod, and what set_timesteps leaves behind (timesteps,
// sigmas, init_noise_sigma) for DDIM, Euler, Euler ancestral, DPM++ multistep, LCM and PNDM.
//
// Precision: diffusers computes betas and alphas_cumprod as float32 torch tensors and the spacing,
// interpolation and Karras maths in numpy float64 (casting to float32 at fixed points). We follow the
// same stages (libtorch float32 ops for the tensors, double for the numpy parts, a float cast where
// numpy casts) so timesteps and sigmas equal the reference's float32 values.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <torch/types.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace storybrush::sampling {

// The diffusers scheduler classes we follow; each has its own constructor defaults.
enum class SchedulerKind { Ddim, Euler, EulerAncestral, DpmSolverMultistep, Lcm, Pndm };

enum class TimestepSpacing { Leading, Trailing, Linspace };
enum class PredictionType { Epsilon, VPrediction, Sample };

// The scheduler_config.json fields the schedulers read. Fields absent from the JSON (or null) take the
// default of the diffusers class named by `kind`, as SchedulerClass.from_config(model_config) does.
struct SchedulerConfig {
    SchedulerKind kind = SchedulerKind::Ddim;
    int numTrainTimesteps = 1000;
    double betaStart = 0.0001;
    double betaEnd = 0.02;
    std::string betaSchedule = "linear";  // linear | scaled_linear | squaredcos_cap_v2
    std::vector<double> trainedBetas;     // when non-empty, replaces beta_schedule
    bool rescaleBetasZeroSnr = false;
    int stepsOffset = 0;
    TimestepSpacing spacing = TimestepSpacing::Leading;
    PredictionType prediction = PredictionType::Epsilon;

    // DDIM / LCM / PNDM
    bool setAlphaToOne = true;
    bool clipSample = true;
    double clipSampleRange = 1.0;
    bool thresholding = false;
    double dynamicThresholdingRatio = 0.995;
    double sampleMaxValue = 1.0;
    bool skipPrkSteps = false;        // PNDM
    int originalInferenceSteps = 50;  // LCM
    double timestepScaling = 10.0;    // LCM

    // Euler / DPM
    bool useKarrasSigmas = false;
    std::optional<double> sigmaMin;  // Euler only (DPM's class has no such field)
    std::optional<double> sigmaMax;
    bool finalSigmaZero = true;                // final_sigmas_type: zero | sigma_min
    std::string interpolationType = "linear";  // Euler: only linear is supported

    // DPM-Solver multistep
    int solverOrder = 2;
    std::string solverType = "midpoint";  // midpoint | heun
    bool lowerOrderFinal = true;
    bool eulerAtFinal = false;
    double lambdaMinClipped = -std::numeric_limits<double>::infinity();

    // Parses scheduler_config.json for `kind`. Throws Error(UnsupportedModel) for values we do not
    // implement (e.g. exponential/beta sigmas, sde-dpmsolver++), naming the field.
    static SchedulerConfig fromJson(SchedulerKind kind, const nlohmann::json& json);
};

// Training schedule: betas and alphas_cumprod, float32 on the CPU, [numTrainTimesteps].
// ref: diffusers scheduler __init__ (torch.linspace(...)**2, torch.cumprod), betas_for_alpha_bar,
// rescale_zero_terminal_snr.
torch::Tensor trainingBetas(const SchedulerConfig& config);
torch::Tensor alphasCumprod(const SchedulerConfig& config);

// sqrt((1 - alphas_cumprod) / alphas_cumprod), float32, in training order (index = timestep).
std::vector<float> trainingSigmas(const torch::Tensor& alphasCumprod);

// What set_timesteps(steps) leaves in the scheduler.
struct Schedule {
    // scheduler.timesteps: what the model receives as its timestep input, in sampling order. Integer
    // valued except for Euler with Karras sigmas (float32 values, stored exactly in double).
    std::vector<double> timesteps;
    // scheduler.sigmas (Euler, Euler a, DPM): float32 values, timesteps().size() + 1 entries (the last
    // is 0 or sigma_min). Empty for DDIM, LCM and PNDM, which work in alphas_cumprod.
    std::vector<double> sigmas;
    double initNoiseSigma = 1.0;
};

// ref: the set_timesteps of each diffusers scheduler. Throws Error(InvalidRequest) for steps < 1 or
// more steps than the schedule allows.
Schedule makeSchedule(const SchedulerConfig& config, const torch::Tensor& alphasCumprod, int steps);

std::string_view spacingName(TimestepSpacing spacing);

}  // namespace storybrush::sampling
