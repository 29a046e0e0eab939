// The sampler interface the pipeline drives, shaped like diffusers' scheduler protocol so a pipeline can do
// exactly what diffusers' StableDiffusion pipelines do; makeScheduler builds one per generation.
//
// How a pipeline uses it (ref: diffusers StableDiffusionPipeline.__call__):
//   auto s = makeScheduler(Sampler::Euler, schedulerConfigJson, steps, &noise);
//   latents = cpuNoise(seed, shape).to(device) * s->initNoiseSigma();
//   for (int i = 0; i < s->numSteps(); ++i) {
//       x = s->scaleModelInput(latents, i);                         // same dtype as latents
//       eps = applyCfg(unet(x, s->timesteps()[i]) ...);             // the model's raw output (eps / v / x0)
//       latents = s->step(eps, i, latents);                         // float32
//   }
// Image-to-image: img2imgStart(steps, strength) gives the first step index k; the init latents get
// s->addNoise(init, noise, k) and the loop runs i = k .. numSteps()-1 (diffusers' set_begin_index).
//
// Precision: step() works in float32 whatever the model's dtype (it upcasts model output and sample, as
// diffusers' Euler, Euler a and DPM++ upcast the sample) and returns float32. Diffusers' fp16 pipelines
// round latents back to fp16 after each step; we keep them in float32 (the fp32 parity fixtures are the same).
//
// Threads: a Scheduler is stateful (DPM++ keeps previous outputs, PNDM its history, Euler a its noise
// source): one per generation, used from one thread.
#pragma once

#include "sampling/noise.h"
#include "sampling/noise_schedule.h"

#include <storybrush/request.h>

#include <nlohmann/json_fwd.hpp>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace storybrush::sampling {

class Scheduler {
public:
    virtual ~Scheduler() = default;
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    virtual std::string_view name() const = 0;  // the diffusers class it follows

    // scheduler.timesteps: the model's timestep input for each step, in order. Integers for DDIM, DPM++,
    // LCM and PNDM (PNDM has steps + 1 entries: its second PLMS step repeats a timestep); float32 values
    // for Euler-family schedulers (fractional with Karras sigmas). Pass them to the UNet as float.
    const std::vector<double>& timesteps() const { return m_schedule.timesteps; }
    int numSteps() const { return static_cast<int>(m_schedule.timesteps.size()); }
    // scheduler.sigmas (numSteps() + 1 entries) for Euler, Euler a and DPM++; empty for the others.
    const std::vector<double>& sigmas() const { return m_schedule.sigmas; }
    // Multiply the initial noise by this (diffusers' init_noise_sigma: 1 except for Euler-family).
    double initNoiseSigma() const { return m_schedule.initNoiseSigma; }
    const SchedulerConfig& config() const { return m_config; }
    // alphas_cumprod of the training schedule (float32, CPU).
    const torch::Tensor& alphasCumprod() const { return m_alphasCumprod; }

    // The model input for step `stepIndex` (Euler-family: sample / sqrt(sigma^2 + 1); others: sample).
    virtual torch::Tensor scaleModelInput(const torch::Tensor& sample, int stepIndex);
    // One sampler step from the model's raw output at step `stepIndex`; returns the next sample (float32,
    // on the sample's device). Steps must be taken in order (stateful samplers check this).
    virtual torch::Tensor step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample) = 0;
    // Noise `original` to the level of step `stepIndex`'s input (img2img start, inpaint blending with
    // stepIndex = i + 1). ref: each scheduler's add_noise; the dtype of `original` is kept.
    virtual torch::Tensor addNoise(const torch::Tensor& original, const torch::Tensor& noise, int stepIndex) const;

protected:
    Scheduler(SchedulerConfig config, int steps);
    // Throws Error(Internal) when stepIndex is outside [0, numSteps()) or shapes differ.
    void checkStep(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample) const;
    // Throws Error(Internal) unless stepIndex follows the previous step (the first step may be any index).
    void checkOrder(int stepIndex);
    float alphaCumprod(double timestep) const;  // alphas_cumprod[t] (float32 value)
    // x0 clipping / dynamic thresholding as the config asks (DDIM, LCM, DPM++). ref: _threshold_sample.
    torch::Tensor clipOrThreshold(const torch::Tensor& x0) const;

    SchedulerConfig m_config;
    torch::Tensor m_alphasCumprod;
    std::vector<float> m_alphasCumprodValues;
    Schedule m_schedule;
    int m_lastStep = -1;
};

// Builds the scheduler that `which` names (docs/cli.md, the sampler names' table) from the model's
// scheduler_config.json, set to `steps` steps. dpmpp2m / dpmpp2m_karras force use_karras_sigmas off / on.
// `noise` is drawn from by Euler a (every step) and LCM (between steps); it must outlive the scheduler.
// Throws Error(InvalidRequest) when a sampler that needs noise gets none, or for bad steps.
std::unique_ptr<Scheduler> makeScheduler(Sampler which, const nlohmann::json& schedulerConfig, int steps,
                                         NoiseSource* noise);
// The same from a parsed config (SchedulerConfig::kind picks the class).
std::unique_ptr<Scheduler> makeScheduler(const SchedulerConfig& config, int steps, NoiseSource* noise);
SchedulerKind schedulerKindFor(Sampler which);

// Classifier-free guidance: uncond + scale * (cond - uncond) (diffusers' pipelines; v-prediction needs
// nothing else: the scheduler converts whatever the model predicts).
torch::Tensor applyCfg(const torch::Tensor& uncond, const torch::Tensor& cond, double scale);

// Image-to-image start. ref: diffusers StableDiffusionImg2ImgPipeline.get_timesteps:
// init_timestep = min(int(steps * strength), steps), t_start = max(steps - init_timestep, 0).
// startIndex = t_start (every scheduler here has order 1); stepsRun = numSteps - startIndex.
struct Img2ImgStart {
    int startIndex = 0;
    int stepsRun = 0;
};
// `steps` is the requested step count (set_timesteps' argument); `numSteps` the scheduler's list length
// (PNDM: steps + 1). Throws Error(InvalidRequest) for strength outside [0, 1] or nothing left to run.
Img2ImgStart img2imgStart(int steps, double strength, int numSteps);
// The strength a person typed, from the float a request carries: the shortest decimal that reads back as
// the same float (0.7f -> 0.7, not 0.699999988), so int(steps * strength) counts as Python does.
double strengthFromFloat(float strength);

// The denoise loop of a text-to-image pipeline, for the pipeline to call: for each step i from
// `startIndex`, model input = scaleModelInput(latents, i), output = cfgModel(input, timesteps()[i]) (the
// caller runs the batch-2 UNet and applyCfg), latents = step(output, i, latents); onStep(i) is called
// after each step and returning false stops early (cancel). Returns the final latents (float32).
torch::Tensor runSamplingLoop(Scheduler& scheduler, torch::Tensor latents,
                              const std::function<torch::Tensor(const torch::Tensor& x, double t)>& cfgModel,
                              const std::function<bool(int step)>& onStep, int startIndex = 0);

}  // namespace storybrush::sampling
