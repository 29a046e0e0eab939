// Latent Consistency Model sampling: the boundary-condition scalings (c_skip, c_out) give the denoised
// sample, re-noised to the next timestep between steps. ref: diffusers LCMScheduler.step and
// get_scalings_for_boundary_condition_discrete (sigma_data 0.5, timestep_scaling 10).
#include "sampling/samplers.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <cmath>

namespace storybrush::sampling::detail {
namespace {

class Lcm final : public Scheduler {
public:
    Lcm(const SchedulerConfig& config, int steps, NoiseSource* noise) : Scheduler(config, steps), m_noise(noise) {
        m_finalAlphaCumprod = m_config.setAlphaToOne ? 1.0f : m_alphasCumprodValues.front();
        if (!m_noise && numSteps() > 1) {
            throw Error(ErrorKind::InvalidRequest, "the lcm sampler re-noises between steps and needs a noise "
                                                   "source (a seed) for more than one step");
        }
    }

    std::string_view name() const override { return "LCMScheduler"; }

    torch::Tensor step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample) override {
        checkStep(modelOutput, stepIndex, sample);
        checkOrder(stepIndex);
        const auto index = static_cast<std::size_t>(stepIndex);
        const double t = timesteps()[index];
        const double prevT = index + 1 < timesteps().size() ? timesteps()[index + 1] : t;
        const float alphaT = alphaCumprod(t);
        const float alphaPrev = prevT >= 0 ? alphaCumprod(prevT) : m_finalAlphaCumprod;
        const float betaT = 1.0f - alphaT;
        const float betaPrev = 1.0f - alphaPrev;

        // The pipeline passes t as an int64 tensor: t * timestep_scaling is float32.
        constexpr float kSigmaData2 = 0.25f;  // sigma_data 0.5, squared
        const float scaled = static_cast<float>(t) * static_cast<float>(m_config.timestepScaling);
        const float cSkip = kSigmaData2 / (scaled * scaled + kSigmaData2);
        const float cOut = scaled / std::sqrt(scaled * scaled + kSigmaData2);

        const torch::Tensor x = sample.to(torch::kFloat32);
        const torch::Tensor out = toFloat32(modelOutput, sample.device());
        torch::Tensor x0;
        switch (m_config.prediction) {
        case PredictionType::Epsilon:
            x0 = (x - static_cast<double>(std::sqrt(betaT)) * out) / static_cast<double>(std::sqrt(alphaT));
            break;
        case PredictionType::Sample: x0 = out; break;
        case PredictionType::VPrediction:
            x0 = static_cast<double>(std::sqrt(alphaT)) * x - static_cast<double>(std::sqrt(betaT)) * out;
            break;
        }
        x0 = clipOrThreshold(x0);
        const torch::Tensor denoised = static_cast<double>(cOut) * x0 + static_cast<double>(cSkip) * x;
        if (stepIndex == numSteps() - 1) return denoised;
        const torch::Tensor noise = m_noise->next(sample.sizes()).to(sample.device());
        return static_cast<double>(std::sqrt(alphaPrev)) * denoised + static_cast<double>(std::sqrt(betaPrev)) * noise;
    }

private:
    NoiseSource* m_noise;
    float m_finalAlphaCumprod = 1.0f;
};

}  // namespace

std::unique_ptr<Scheduler> makeLcm(const SchedulerConfig& config, int steps, NoiseSource* noise) {
    return std::make_unique<Lcm>(config, steps, noise);
}

}  // namespace storybrush::sampling::detail
