// Euler (k-diffusion's sample_euler, churn 0). ref: diffusers EulerDiscreteScheduler.step / scale_model_input /
// add_noise; Karras sigmas come from the schedule.
#include "sampling/samplers.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <cmath>

namespace storybrush::sampling::detail {

torch::Tensor eulerDenoised(PredictionType prediction, float sigma, const torch::Tensor& out, const torch::Tensor& x) {
    switch (prediction) {
    case PredictionType::Epsilon: return x - static_cast<double>(sigma) * out;
    case PredictionType::VPrediction: {
        // c_out = -sigma / sqrt(sigma^2 + 1), c_skip = 1 / (sigma^2 + 1)
        const float squaredPlusOne = sigma * sigma + 1.0f;
        const float cOut = -sigma / std::sqrt(squaredPlusOne);
        return out * static_cast<double>(cOut) + x / static_cast<double>(squaredPlusOne);
    }
    case PredictionType::Sample: return out;
    }
    return out;
}

torch::Tensor eulerScaleInput(const torch::Tensor& sample, float sigma) {
    const float squaredPlusOne = sigma * sigma + 1.0f;
    return sample / static_cast<double>(std::sqrt(squaredPlusOne));
}

namespace {

class Euler final : public Scheduler {
public:
    Euler(const SchedulerConfig& config, int steps) : Scheduler(config, steps) {}

    std::string_view name() const override { return "EulerDiscreteScheduler"; }

    torch::Tensor scaleModelInput(const torch::Tensor& sample, int stepIndex) override {
        Scheduler::scaleModelInput(sample, stepIndex);
        return eulerScaleInput(sample, sigmaAt(stepIndex));
    }

    torch::Tensor step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample) override {
        checkStep(modelOutput, stepIndex, sample);
        const float sigma = sigmaAt(stepIndex);
        const float sigmaNext = sigmaAt(stepIndex + 1);
        const torch::Tensor x = sample.to(torch::kFloat32);  // diffusers upcasts the sample here
        const torch::Tensor out = toFloat32(modelOutput, sample.device());
        const torch::Tensor x0 = eulerDenoised(m_config.prediction, sigma, out, x);
        const torch::Tensor derivative = (x - x0) / static_cast<double>(sigma);  // churn 0: sigma_hat = sigma
        const float dt = sigmaNext - sigma;
        return x + derivative * static_cast<double>(dt);
    }

    torch::Tensor addNoise(const torch::Tensor& original, const torch::Tensor& noise, int stepIndex) const override {
        if (stepIndex < 0 || stepIndex >= numSteps()) {
            throw Error(ErrorKind::Internal, "EulerDiscreteScheduler: addNoise at step " + std::to_string(stepIndex) +
                                                 " outside the schedule");
        }
        return original + noise.to(original.device(), original.scalar_type()) * static_cast<double>(sigmaAt(stepIndex));
    }

private:
    float sigmaAt(int index) const { return static_cast<float>(sigmas()[static_cast<std::size_t>(index)]); }
};

}  // namespace

std::unique_ptr<Scheduler> makeEuler(const SchedulerConfig& config, int steps) {
    return std::make_unique<Euler>(config, steps);
}

}  // namespace storybrush::sampling::detail
