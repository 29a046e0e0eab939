// Euler ancestral (k-diffusion's sample_euler_ancestral, eta 1). ref: diffusers EulerAncestralDiscreteScheduler.step:
// step down to sigma_down deterministically, then add fresh noise of size sigma_up, drawn every step.
#include "sampling/samplers.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <cmath>

namespace storybrush::sampling::detail {

namespace {

class EulerAncestral final : public Scheduler {
public:
    EulerAncestral(const SchedulerConfig& config, int steps, NoiseSource& noise)
        : Scheduler(config, steps), m_noise(noise) {}

    std::string_view name() const override { return "EulerAncestralDiscreteScheduler"; }

    torch::Tensor scaleModelInput(const torch::Tensor& sample, int stepIndex) override {
        Scheduler::scaleModelInput(sample, stepIndex);
        return eulerScaleInput(sample, sigmaAt(stepIndex));
    }

    torch::Tensor step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample) override {
        checkStep(modelOutput, stepIndex, sample);
        checkOrder(stepIndex);  // the noise stream must be drawn in step order
        const float sigma = sigmaAt(stepIndex);
        const float sigmaTo = sigmaAt(stepIndex + 1);
        const torch::Tensor x = sample.to(torch::kFloat32);
        const torch::Tensor out = toFloat32(modelOutput, sample.device());
        const torch::Tensor x0 = eulerDenoised(m_config.prediction, sigma, out, x);

        const float sigmaFrom2 = sigma * sigma;
        const float sigmaTo2 = sigmaTo * sigmaTo;
        const float sigmaUp = std::sqrt(sigmaTo2 * (sigmaFrom2 - sigmaTo2) / sigmaFrom2);
        const float sigmaDown = std::sqrt(sigmaTo2 - sigmaUp * sigmaUp);

        const torch::Tensor derivative = (x - x0) / static_cast<double>(sigma);
        const float dt = sigmaDown - sigma;
        torch::Tensor next = x + derivative * static_cast<double>(dt);
        // Drawn on every step, the last one too (sigma_up = 0 there), so the stream matches diffusers'.
        const torch::Tensor noise = m_noise.next(sample.sizes()).to(sample.device());
        return next + noise * static_cast<double>(sigmaUp);
    }

    torch::Tensor addNoise(const torch::Tensor& original, const torch::Tensor& noise, int stepIndex) const override {
        if (stepIndex < 0 || stepIndex >= numSteps()) {
            throw Error(ErrorKind::Internal, "EulerAncestralDiscreteScheduler: addNoise at step " +
                                                 std::to_string(stepIndex) + " outside the schedule");
        }
        return original + noise.to(original.device(), original.scalar_type()) * static_cast<double>(sigmaAt(stepIndex));
    }

private:
    float sigmaAt(int index) const { return static_cast<float>(sigmas()[static_cast<std::size_t>(index)]); }

    NoiseSource& m_noise;
};

}  // namespace

std::unique_ptr<Scheduler> makeEulerAncestral(const SchedulerConfig& config, int steps, NoiseSource& noise) {
    return std::make_unique<EulerAncestral>(config, steps, noise);
}

}  // namespace storybrush::sampling::detail
