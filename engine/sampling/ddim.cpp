// DDIM (eta 0, deterministic). ref: diffusers DDIMScheduler.step, formulas (12) and (16) of the DDIM paper.
#include "sampling/samplers.h"

#include <torch/torch.h>

#include <cmath>

namespace storybrush::sampling::detail {
namespace {

class Ddim final : public Scheduler {
public:
    Ddim(const SchedulerConfig& config, int steps) : Scheduler(config, steps), m_steps(steps) {
        m_finalAlphaCumprod = m_config.setAlphaToOne ? 1.0f : m_alphasCumprodValues.front();
    }

    std::string_view name() const override { return "DDIMScheduler"; }

    torch::Tensor step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample) override {
        checkStep(modelOutput, stepIndex, sample);
        const double t = timesteps()[static_cast<std::size_t>(stepIndex)];
        // The previous timestep is t - T / steps, not the next list entry (diffusers does the same).
        const double prevT = t - static_cast<double>(m_config.numTrainTimesteps / m_steps);
        // Coefficients in float32, as diffusers' 0-d float32 tensors.
        const float alphaT = alphaCumprod(t);
        const float alphaPrev = prevT >= 0 ? alphaCumprod(prevT) : m_finalAlphaCumprod;
        const float betaT = 1.0f - alphaT;
        const double sqrtAlphaT = std::sqrt(alphaT);
        const double sqrtBetaT = std::sqrt(betaT);

        const torch::Tensor x = sample.to(torch::kFloat32);
        const torch::Tensor out = toFloat32(modelOutput, sample.device());
        torch::Tensor x0;
        torch::Tensor eps;
        switch (m_config.prediction) {
        case PredictionType::Epsilon:
            x0 = (x - sqrtBetaT * out) / sqrtAlphaT;
            eps = out;
            break;
        case PredictionType::Sample:
            x0 = out;
            eps = (x - sqrtAlphaT * x0) / sqrtBetaT;
            break;
        case PredictionType::VPrediction:
            x0 = sqrtAlphaT * x - sqrtBetaT * out;
            eps = sqrtAlphaT * out + sqrtBetaT * x;
            break;
        }
        x0 = clipOrThreshold(x0);
        // eta = 0: no variance term; direction pointing to x_t, then x_{t-1}.
        const float directionCoeff = std::sqrt(1.0f - alphaPrev);
        return static_cast<double>(std::sqrt(alphaPrev)) * x0 + static_cast<double>(directionCoeff) * eps;
    }

private:
    int m_steps;
    float m_finalAlphaCumprod = 1.0f;
};

}  // namespace

std::unique_ptr<Scheduler> makeDdim(const SchedulerConfig& config, int steps) {
    return std::make_unique<Ddim>(config, steps);
}

}  // namespace storybrush::sampling::detail
