// PNDM: pseudo linear multistep (PLMS) on a history of up to 4 model outputs, with an optional Runge-Kutta
// warm-up (skip_prk_steps false). ref: diffusers PNDMScheduler.step_plms / step_prk / _get_prev_sample
// (formula (9) of the PNDM paper).
#include "sampling/samplers.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <cmath>

namespace storybrush::sampling::detail {
namespace {

class Pndm final : public Scheduler {
public:
    Pndm(const SchedulerConfig& config, int steps) : Scheduler(config, steps), m_steps(steps) {
        m_finalAlphaCumprod = m_config.setAlphaToOne ? 1.0f : m_alphasCumprodValues.front();
        m_prkSteps = m_config.skipPrkSteps ? 0 : 12;
    }

    std::string_view name() const override { return "PNDMScheduler"; }

    torch::Tensor step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample) override {
        checkStep(modelOutput, stepIndex, sample);
        checkOrder(stepIndex);
        const double t = timesteps()[static_cast<std::size_t>(stepIndex)];
        const torch::Tensor x = sample.to(torch::kFloat32);
        const torch::Tensor out = toFloat32(modelOutput, sample.device());
        torch::Tensor next = m_counter < m_prkSteps ? stepPrk(out, t, x) : stepPlms(out, t, x);
        ++m_counter;
        return next;
    }

private:
    torch::Tensor stepPrk(const torch::Tensor& out, double t, const torch::Tensor& x) {
        const int half = m_config.numTrainTimesteps / m_steps / 2;
        const double prevT = t - (m_counter % 2 ? 0 : half);
        const double base = timesteps()[static_cast<std::size_t>(m_counter / 4 * 4)];
        torch::Tensor modelOutput = out;
        switch (m_counter % 4) {
        case 0:
            m_prkSum = out * (1.0 / 6.0);
            m_ets.push_back(out);
            m_curSample = x;
            break;
        case 1:
        case 2: m_prkSum = m_prkSum + out * (1.0 / 3.0); break;
        default:
            modelOutput = m_prkSum + out * (1.0 / 6.0);
            m_prkSum = torch::Tensor();
            break;
        }
        return prevSample(m_curSample.defined() ? m_curSample : x, base, prevT, modelOutput);
    }

    torch::Tensor stepPlms(const torch::Tensor& out, double t, const torch::Tensor& x) {
        const int ratio = m_config.numTrainTimesteps / m_steps;
        double prevT = t - ratio;
        if (m_counter != 1) {
            if (m_ets.size() > 3) m_ets.erase(m_ets.begin(), m_ets.end() - 3);
            m_ets.push_back(out);
        } else {
            // The second step repeats the first one's interval with the averaged output (a Heun-like start).
            prevT = t;
            t = t + ratio;
        }
        torch::Tensor sample = x;
        torch::Tensor modelOutput;
        const std::size_t n = m_ets.size();
        if (n == 1 && m_counter == 0) {
            modelOutput = out;
            m_curSample = x;
        } else if (n == 1 && m_counter == 1) {
            modelOutput = (out + m_ets.back()) / 2.0;
            sample = m_curSample;
            m_curSample = torch::Tensor();
        } else if (n == 2) {
            modelOutput = (3 * m_ets[n - 1] - m_ets[n - 2]) / 2.0;
        } else if (n == 3) {
            modelOutput = (23 * m_ets[n - 1] - 16 * m_ets[n - 2] + 5 * m_ets[n - 3]) / 12.0;
        } else {
            modelOutput = (1.0 / 24.0) * (55 * m_ets[n - 1] - 59 * m_ets[n - 2] + 37 * m_ets[n - 3] - 9 * m_ets[n - 4]);
        }
        return prevSample(sample, t, prevT, modelOutput);
    }

    torch::Tensor prevSample(const torch::Tensor& sample, double t, double prevT, torch::Tensor modelOutput) const {
        const float alphaT = alphaCumprod(t);
        const float alphaPrev = prevT >= 0 ? alphaCumprod(prevT) : m_finalAlphaCumprod;
        const float betaT = 1.0f - alphaT;
        const float betaPrev = 1.0f - alphaPrev;
        if (m_config.prediction == PredictionType::VPrediction) {
            modelOutput =
                static_cast<double>(std::sqrt(alphaT)) * modelOutput + static_cast<double>(std::sqrt(betaT)) * sample;
        }
        const float sampleCoeff = std::sqrt(alphaPrev / alphaT);
        const float denom = alphaT * std::sqrt(betaPrev) + std::sqrt(alphaT * betaT * alphaPrev);
        return static_cast<double>(sampleCoeff) * sample -
               static_cast<double>(alphaPrev - alphaT) * modelOutput / static_cast<double>(denom);
    }

    int m_steps;
    int m_prkSteps = 0;
    int m_counter = 0;
    float m_finalAlphaCumprod = 1.0f;
    std::vector<torch::Tensor> m_ets;  // model outputs of past steps (the PLMS history), oldest first
    torch::Tensor m_curSample;
    torch::Tensor m_prkSum;
};

}  // namespace

std::unique_ptr<Scheduler> makePndm(const SchedulerConfig& config, int steps) {
    return std::make_unique<Pndm>(config, steps);
}

}  // namespace storybrush::sampling::detail
