// Internal: the constructors of the concrete samplers (one .cpp each), for makeScheduler.
#pragma once

#include "sampling/sampler.h"

#include <memory>

namespace storybrush::sampling::detail {

std::unique_ptr<Scheduler> makeDdim(const SchedulerConfig& config, int steps);
std::unique_ptr<Scheduler> makeEuler(const SchedulerConfig& config, int steps);
std::unique_ptr<Scheduler> makeEulerAncestral(const SchedulerConfig& config, int steps, NoiseSource& noise);
std::unique_ptr<Scheduler> makeDpmSolverMultistep(const SchedulerConfig& config, int steps);
std::unique_ptr<Scheduler> makeLcm(const SchedulerConfig& config, int steps, NoiseSource* noise);
std::unique_ptr<Scheduler> makePndm(const SchedulerConfig& config, int steps);

// Converts a model output to float32 on the sample's device (the sampler maths runs in float32).
torch::Tensor toFloat32(const torch::Tensor& tensor, const torch::Device& device);

// Euler-family helpers (euler.cpp), float32 maths: x0 from the model output at sigma (c_skip / c_out for
// v-prediction), and the model input sample / sqrt(sigma^2 + 1) in the sample's dtype.
torch::Tensor eulerDenoised(PredictionType prediction, float sigma, const torch::Tensor& out, const torch::Tensor& x);
torch::Tensor eulerScaleInput(const torch::Tensor& sample, float sigma);

}  // namespace storybrush::sampling::detail
