// The sampler interface's shared parts: the base class, makeScheduler, CFG, the img2img start and the
// denoise loop.
#include "sampling/sampler.h"

#include "sampling/samplers.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace storybrush::sampling {

namespace detail {

torch::Tensor toFloat32(const torch::Tensor& tensor, const torch::Device& device) {
    return tensor.to(device, torch::kFloat32);
}

}  // namespace detail

Scheduler::Scheduler(SchedulerConfig config, int steps) : m_config(std::move(config)) {
    m_alphasCumprod = sampling::alphasCumprod(m_config);
    m_alphasCumprodValues.assign(m_alphasCumprod.data_ptr<float>(),
                                 m_alphasCumprod.data_ptr<float>() + m_alphasCumprod.numel());
    m_schedule = makeSchedule(m_config, m_alphasCumprod, steps);
}

torch::Tensor Scheduler::scaleModelInput(const torch::Tensor& sample, int stepIndex) {
    if (stepIndex < 0 || stepIndex >= numSteps()) {
        throw Error(ErrorKind::Internal, std::string(name()) + ": step " + std::to_string(stepIndex) +
                                             " outside the schedule of " + std::to_string(numSteps()) + " steps");
    }
    return sample;
}

void Scheduler::checkStep(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample) const {
    if (stepIndex < 0 || stepIndex >= numSteps()) {
        throw Error(ErrorKind::Internal, std::string(name()) + ": step " + std::to_string(stepIndex) +
                                             " outside the schedule of " + std::to_string(numSteps()) + " steps");
    }
    if (!modelOutput.defined() || !sample.defined() || modelOutput.sizes() != sample.sizes()) {
        throw Error(ErrorKind::Internal,
                    std::string(name()) + ": the model output and the sample must have the same shape");
    }
}

void Scheduler::checkOrder(int stepIndex) {
    if (m_lastStep >= 0 && stepIndex != m_lastStep + 1) {
        throw Error(ErrorKind::Internal, std::string(name()) + " keeps state between steps: step " +
                                             std::to_string(stepIndex) + " after step " + std::to_string(m_lastStep) +
                                             "; make a new scheduler for each generation and take steps in order");
    }
    m_lastStep = stepIndex;
}

float Scheduler::alphaCumprod(double timestep) const {
    const auto index = static_cast<std::int64_t>(timestep);
    if (index < 0 || index >= static_cast<std::int64_t>(m_alphasCumprodValues.size())) {
        throw Error(ErrorKind::Internal,
                    std::string(name()) + ": timestep " + std::to_string(timestep) + " outside the training schedule");
    }
    return m_alphasCumprodValues[static_cast<std::size_t>(index)];
}

torch::Tensor Scheduler::clipOrThreshold(const torch::Tensor& x0) const {
    if (m_config.thresholding) {
        // ref: diffusers DDPMScheduler._threshold_sample (Imagen dynamic thresholding), per picture.
        const auto sizes = x0.sizes();
        torch::Tensor flat = x0.reshape({sizes[0], -1});
        torch::Tensor s = torch::quantile(flat.abs(), m_config.dynamicThresholdingRatio, 1);
        s = torch::clamp(s, 1.0, m_config.sampleMaxValue).unsqueeze(1);
        return (torch::max(torch::min(flat, s), -s) / s).reshape(sizes);
    }
    if (m_config.clipSample) return x0.clamp(-m_config.clipSampleRange, m_config.clipSampleRange);
    return x0;
}

torch::Tensor Scheduler::addNoise(const torch::Tensor& original, const torch::Tensor& noise, int stepIndex) const {
    if (stepIndex < 0 || stepIndex >= numSteps()) {
        throw Error(ErrorKind::Internal, std::string(name()) + ": addNoise at step " + std::to_string(stepIndex) +
                                             " outside the schedule of " + std::to_string(numSteps()) + " steps");
    }
    // ref: DDPMScheduler.add_noise: sqrt(a_t) x0 + sqrt(1 - a_t) noise, in the original's dtype.
    const float alpha = alphaCumprod(m_schedule.timesteps[static_cast<std::size_t>(stepIndex)]);
    const float sqrtAlpha = std::sqrt(alpha);
    const float sqrtOneMinusAlpha = std::sqrt(1.0f - alpha);
    return original * static_cast<double>(sqrtAlpha) +
           noise.to(original.device(), original.scalar_type()) * static_cast<double>(sqrtOneMinusAlpha);
}

SchedulerKind schedulerKindFor(Sampler which) {
    switch (which) {
    case Sampler::Euler: return SchedulerKind::Euler;
    case Sampler::EulerAncestral: return SchedulerKind::EulerAncestral;
    case Sampler::Ddim: return SchedulerKind::Ddim;
    case Sampler::DpmPP2M:
    case Sampler::DpmPP2MKarras: return SchedulerKind::DpmSolverMultistep;
    case Sampler::Lcm: return SchedulerKind::Lcm;
    case Sampler::Pndm: return SchedulerKind::Pndm;
    }
    throw Error(ErrorKind::InvalidRequest, "unknown sampler");
}

std::unique_ptr<Scheduler> makeScheduler(Sampler which, const nlohmann::json& schedulerConfig, int steps,
                                         NoiseSource* noise) {
    SchedulerConfig config = SchedulerConfig::fromJson(schedulerKindFor(which), schedulerConfig);
    if (which == Sampler::DpmPP2M) config.useKarrasSigmas = false;
    if (which == Sampler::DpmPP2MKarras) config.useKarrasSigmas = true;
    return makeScheduler(config, steps, noise);
}

std::unique_ptr<Scheduler> makeScheduler(const SchedulerConfig& config, int steps, NoiseSource* noise) {
    switch (config.kind) {
    case SchedulerKind::Ddim: return detail::makeDdim(config, steps);
    case SchedulerKind::Euler: return detail::makeEuler(config, steps);
    case SchedulerKind::EulerAncestral:
        if (!noise) throw Error(ErrorKind::InvalidRequest, "the euler_a sampler needs a noise source (a seed)");
        return detail::makeEulerAncestral(config, steps, *noise);
    case SchedulerKind::DpmSolverMultistep: return detail::makeDpmSolverMultistep(config, steps);
    case SchedulerKind::Lcm: return detail::makeLcm(config, steps, noise);
    case SchedulerKind::Pndm: return detail::makePndm(config, steps);
    }
    throw Error(ErrorKind::InvalidRequest, "unknown scheduler kind");
}

torch::Tensor applyCfg(const torch::Tensor& uncond, const torch::Tensor& cond, double scale) {
    // ref: StableDiffusionPipeline: noise_pred_uncond + guidance_scale * (noise_pred_text - noise_pred_uncond)
    return uncond + scale * (cond - uncond);
}

Img2ImgStart img2imgStart(int steps, double strength, int numSteps) {
    if (!(strength >= 0.0 && strength <= 1.0)) {
        throw Error(ErrorKind::InvalidRequest,
                    "strength = " + std::to_string(strength) + " must be between 0 and 1 (1 repaints everything)");
    }
    const int initTimestep = std::min(static_cast<int>(steps * strength), steps);  // int() truncates, as Python
    Img2ImgStart start;
    start.startIndex = std::max(steps - initTimestep, 0);
    start.stepsRun = numSteps - start.startIndex;
    if (start.stepsRun < 1 || initTimestep < 1) {
        throw Error(ErrorKind::InvalidRequest, "strength " + std::to_string(strength) + " with " +
                                                   std::to_string(steps) +
                                                   " steps leaves no step to run; raise the strength or the steps");
    }
    return start;
}

double strengthFromFloat(float strength) {
    char text[32];
    for (int digits = 1; digits <= 9; ++digits) {
        std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(strength));
        if (std::strtof(text, nullptr) == strength) return std::strtod(text, nullptr);
    }
    return static_cast<double>(strength);
}

torch::Tensor runSamplingLoop(Scheduler& scheduler, torch::Tensor latents,
                              const std::function<torch::Tensor(const torch::Tensor& x, double t)>& cfgModel,
                              const std::function<bool(int step)>& onStep, int startIndex) {
    if (startIndex < 0 || startIndex >= scheduler.numSteps()) {
        throw Error(ErrorKind::Internal, "runSamplingLoop: start step " + std::to_string(startIndex) +
                                             " outside the schedule of " + std::to_string(scheduler.numSteps()));
    }
    for (int i = startIndex; i < scheduler.numSteps(); ++i) {
        const torch::Tensor input = scheduler.scaleModelInput(latents, i);
        const torch::Tensor output = cfgModel(input, scheduler.timesteps()[static_cast<std::size_t>(i)]);
        latents = scheduler.step(output, i, latents);
        if (onStep && !onStep(i)) break;
    }
    return latents;
}

}  // namespace storybrush::sampling
