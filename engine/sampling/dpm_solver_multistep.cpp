// DPM-Solver++ multistep (2M by default: order 2, midpoint, first order at the last step).
// ref: diffusers DPMSolverMultistepScheduler.step / convert_model_output / dpm_solver_first_order_update /
// multistep_dpm_solver_second_order_update / ..._third_order_update (algorithm dpmsolver++).
#include "sampling/samplers.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <cmath>

namespace storybrush::sampling::detail {
namespace {

// alpha_t = 1 / sqrt(sigma^2 + 1), sigma_t = sigma * alpha_t, lambda = log(alpha_t) - log(sigma_t); float32 as
// diffusers' 0-d tensors.
struct Point {
    float alpha = 1.0f;
    float sigma = 0.0f;
    float lambda = 0.0f;
};

Point pointAt(float sigma) {
    Point p;
    p.alpha = 1.0f / std::sqrt(sigma * sigma + 1.0f);
    p.sigma = sigma * p.alpha;
    p.lambda = std::log(p.alpha) - std::log(p.sigma);  // +inf at sigma 0: exp(-h) is then 0, the update x0
    return p;
}

class DpmSolverMultistep final : public Scheduler {
public:
    DpmSolverMultistep(const SchedulerConfig& config, int steps)
        : Scheduler(config, steps), m_outputs(static_cast<std::size_t>(config.solverOrder)) {}

    std::string_view name() const override { return "DPMSolverMultistepScheduler"; }

    torch::Tensor step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample) override {
        checkStep(modelOutput, stepIndex, sample);
        checkOrder(stepIndex);
        const int n = numSteps();
        const bool lowerOrderFinal =
            stepIndex == n - 1 &&
            (m_config.eulerAtFinal || (m_config.lowerOrderFinal && n < 15) || m_config.finalSigmaZero);
        const bool lowerOrderSecond = stepIndex == n - 2 && m_config.lowerOrderFinal && n < 15;

        const torch::Tensor x = sample.to(torch::kFloat32);
        const torch::Tensor x0 = convertModelOutput(toFloat32(modelOutput, sample.device()), x, stepIndex);
        for (std::size_t i = 0; i + 1 < m_outputs.size(); ++i) m_outputs[i] = m_outputs[i + 1];
        m_outputs.back() = x0;

        const int order = m_config.solverOrder;
        torch::Tensor next;
        if (order == 1 || m_lowerOrderNums < 1 || lowerOrderFinal) {
            next = firstOrder(x0, x, stepIndex);
        } else if (order == 2 || m_lowerOrderNums < 2 || lowerOrderSecond) {
            next = secondOrder(x, stepIndex);
        } else {
            next = thirdOrder(x, stepIndex);
        }
        if (m_lowerOrderNums < order) ++m_lowerOrderNums;
        return next;
    }

    torch::Tensor addNoise(const torch::Tensor& original, const torch::Tensor& noise, int stepIndex) const override {
        if (stepIndex < 0 || stepIndex >= numSteps()) {
            throw Error(ErrorKind::Internal, "DPMSolverMultistepScheduler: addNoise at step " +
                                                 std::to_string(stepIndex) + " outside the schedule");
        }
        const Point p = pointAt(sigmaAt(stepIndex));
        return static_cast<double>(p.alpha) * original +
               static_cast<double>(p.sigma) * noise.to(original.device(), original.scalar_type());
    }

private:
    float sigmaAt(int index) const { return static_cast<float>(sigmas()[static_cast<std::size_t>(index)]); }

    // dpmsolver++ works on the data prediction x0.
    torch::Tensor convertModelOutput(const torch::Tensor& out, const torch::Tensor& x, int stepIndex) const {
        const Point p = pointAt(sigmaAt(stepIndex));
        torch::Tensor x0;
        switch (m_config.prediction) {
        case PredictionType::Epsilon:
            x0 = (x - static_cast<double>(p.sigma) * out) / static_cast<double>(p.alpha);
            break;
        case PredictionType::Sample: x0 = out; break;
        case PredictionType::VPrediction:
            x0 = static_cast<double>(p.alpha) * x - static_cast<double>(p.sigma) * out;
            break;
        }
        return m_config.thresholding ? clipOrThreshold(x0) : x0;
    }

    torch::Tensor firstOrder(const torch::Tensor& m0, const torch::Tensor& x, int i) const {
        const Point t = pointAt(sigmaAt(i + 1));
        const Point s = pointAt(sigmaAt(i));
        const float h = t.lambda - s.lambda;
        const float sampleCoeff = t.sigma / s.sigma;
        const float d0Coeff = t.alpha * (std::exp(-h) - 1.0f);
        return static_cast<double>(sampleCoeff) * x - static_cast<double>(d0Coeff) * m0;
    }

    torch::Tensor secondOrder(const torch::Tensor& x, int i) const {
        const Point t = pointAt(sigmaAt(i + 1));
        const Point s0 = pointAt(sigmaAt(i));
        const Point s1 = pointAt(sigmaAt(i - 1));
        const torch::Tensor& m0 = m_outputs[m_outputs.size() - 1];
        const torch::Tensor& m1 = m_outputs[m_outputs.size() - 2];
        const float h = t.lambda - s0.lambda;
        const float h0 = s0.lambda - s1.lambda;
        const float r0 = h0 / h;
        const torch::Tensor d1 = static_cast<double>(1.0f / r0) * (m0 - m1);
        const float sampleCoeff = t.sigma / s0.sigma;
        const float expTerm = t.alpha * (std::exp(-h) - 1.0f);
        if (m_config.solverType == "heun") {
            const float d1Coeff = t.alpha * ((std::exp(-h) - 1.0f) / h + 1.0f);
            return static_cast<double>(sampleCoeff) * x - static_cast<double>(expTerm) * m0 +
                   static_cast<double>(d1Coeff) * d1;
        }
        const float d1Coeff = 0.5f * expTerm;  // midpoint
        return static_cast<double>(sampleCoeff) * x - static_cast<double>(expTerm) * m0 -
               static_cast<double>(d1Coeff) * d1;
    }

    torch::Tensor thirdOrder(const torch::Tensor& x, int i) const {
        const Point t = pointAt(sigmaAt(i + 1));
        const Point s0 = pointAt(sigmaAt(i));
        const Point s1 = pointAt(sigmaAt(i - 1));
        const Point s2 = pointAt(sigmaAt(i - 2));
        const torch::Tensor& m0 = m_outputs[m_outputs.size() - 1];
        const torch::Tensor& m1 = m_outputs[m_outputs.size() - 2];
        const torch::Tensor& m2 = m_outputs[m_outputs.size() - 3];
        const float h = t.lambda - s0.lambda;
        const float h0 = s0.lambda - s1.lambda;
        const float h1 = s1.lambda - s2.lambda;
        const float r0 = h0 / h;
        const float r1 = h1 / h;
        const torch::Tensor d10 = static_cast<double>(1.0f / r0) * (m0 - m1);
        const torch::Tensor d11 = static_cast<double>(1.0f / r1) * (m1 - m2);
        const torch::Tensor d1 = d10 + static_cast<double>(r0 / (r0 + r1)) * (d10 - d11);
        const torch::Tensor d2 = static_cast<double>(1.0f / (r0 + r1)) * (d10 - d11);
        const float e = std::exp(-h) - 1.0f;
        const float c0 = t.alpha * e;
        const float c1 = t.alpha * (e / h + 1.0f);
        const float c2 = t.alpha * ((e + h) / (h * h) - 0.5f);
        return static_cast<double>(t.sigma / s0.sigma) * x - static_cast<double>(c0) * m0 +
               static_cast<double>(c1) * d1 - static_cast<double>(c2) * d2;
    }

    std::vector<torch::Tensor> m_outputs;  // the last solver_order x0 predictions, newest last
    int m_lowerOrderNums = 0;
};

}  // namespace

std::unique_ptr<Scheduler> makeDpmSolverMultistep(const SchedulerConfig& config, int steps) {
    return std::make_unique<DpmSolverMultistep>(config, steps);
}

}  // namespace storybrush::sampling::detail
