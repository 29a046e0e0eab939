// Samplers on a toy denoiser with a known exact answer: data drawn from N(0, s^2), for which the optimal
// eps (and v) prediction is closed-form and the probability-flow ODE keeps x_t / sqrt(a s^2 + 1 - a)
// constant. Every sampler must land where the flow lands; higher-order samplers closer; the stateful ones
// (DPM++ 2M, PNDM, Euler a) must use their history / noise stream as diffusers does.
#include "sampling/noise.h"
#include "sampling/sampler.h"

#include <storybrush/error.h>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>

using namespace storybrush;
using namespace storybrush::sampling;

namespace {

// The SD 1.5 scheduler config as published (a PNDMScheduler config, leading spacing, steps_offset 1).
nlohmann::json sd15Config(const char* prediction = "epsilon") {
    return {{"_class_name", "PNDMScheduler"},
            {"beta_end", 0.012},
            {"beta_schedule", "scaled_linear"},
            {"beta_start", 0.00085},
            {"clip_sample", false},
            {"num_train_timesteps", 1000},
            {"prediction_type", prediction},
            {"set_alpha_to_one", false},
            {"skip_prk_steps", true},
            {"steps_offset", 1},
            {"timestep_spacing", "leading"}};
}

// alphas_cumprod of step i's model input: from the sigma the scheduler steps with, or from the timestep.
double levelAt(const Scheduler& s, int i) {
    if (!s.sigmas().empty()) {
        const double sigma = s.sigmas()[static_cast<std::size_t>(i)];
        return 1.0 / (1.0 + sigma * sigma);
    }
    return s.alphasCumprod()[static_cast<std::int64_t>(s.timesteps()[static_cast<std::size_t>(i)])].item<double>();
}

// The exact denoiser for data ~ N(0, sData^2): model input x is x_t = sqrt(a) x0 + sqrt(1-a) eps.
torch::Tensor exactOutput(const torch::Tensor& x, double a, double sData, bool vPrediction) {
    const double variance = a * sData * sData + 1.0 - a;
    const torch::Tensor eps = x * (std::sqrt(1.0 - a) / variance);
    if (!vPrediction) return eps;
    const torch::Tensor x0 = x * (std::sqrt(a) * sData * sData / variance);
    return std::sqrt(a) * eps - std::sqrt(1.0 - a) * x0;  // v = sqrt(a) eps - sqrt(1-a) x0
}

struct Run {
    torch::Tensor final;
    torch::Tensor expected;  // where the probability flow ends
};

Run sample(Scheduler& s, const torch::Tensor& z, double sData, bool vPrediction = false) {
    const torch::Tensor latents = z * s.initNoiseSigma();
    const torch::Tensor xT = s.scaleModelInput(latents, 0);
    int calls = 0;
    Run run;
    run.final = runSamplingLoop(
        s, latents,
        [&](const torch::Tensor& x, double) { return exactOutput(x, levelAt(s, calls++), sData, vPrediction); },
        [](int) { return true; });
    // The last level: 1 when the last sigma is 0, alphas_cumprod[0] for DDIM/PNDM (set_alpha_to_one false).
    const double aT = levelAt(s, 0);
    double aEnd = 1.0;
    if (s.sigmas().empty() && s.name() != "LCMScheduler") aEnd = s.alphasCumprod()[0].item<double>();
    run.expected = xT * std::sqrt(aEnd * sData * sData + 1.0 - aEnd) / std::sqrt(aT * sData * sData + 1.0 - aT);
    return run;
}

double relativeError(const Run& run) {
    return (run.final - run.expected).norm().item<double>() / run.expected.norm().item<double>();
}

// The CLI's sampler names (the public samplerName() lives in the pipeline part, which this suite does not link).
const std::vector<std::pair<Sampler, const char*>>& everySampler() {
    static const std::vector<std::pair<Sampler, const char*>> all = {
        {Sampler::Euler, "euler"},     {Sampler::EulerAncestral, "euler_a"},       {Sampler::Ddim, "ddim"},
        {Sampler::DpmPP2M, "dpmpp2m"}, {Sampler::DpmPP2MKarras, "dpmpp2m_karras"}, {Sampler::Lcm, "lcm"},
        {Sampler::Pndm, "pndm"}};
    return all;
}

const char* nameOf(Sampler which) {
    for (const auto& [sampler, name] : everySampler()) {
        if (sampler == which) return name;
    }
    return "?";
}

torch::Tensor startNoise() { return cpuNoise(2024, {1, 4, 16, 16}); }

class CountingNoise final : public NoiseSource {
public:
    explicit CountingNoise(std::uint64_t seed) : m_inner(seed) {}
    torch::Tensor next(at::IntArrayRef shape) override {
        ++draws;
        return m_inner.next(shape);
    }
    int draws = 0;

private:
    CpuNoiseSource m_inner;
};

}  // namespace

class TestSamplers : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everySamplerRemovesAllNoiseWhenTheDataIsZero() {
        const torch::Tensor z = startNoise();
        for (const auto& [which, name] : everySampler()) {
            CpuNoiseSource noise(1);
            const int steps = which == Sampler::Lcm ? 4 : 20;
            auto s = makeScheduler(which, sd15Config(), steps, &noise);
            const Run run = sample(*s, z, 0.0);
            const double left = run.final.std().item<double>() / z.std().item<double>();
            // DDIM and PNDM stop at the noise level of timestep 0 (sigma 0.029), the others at sigma 0.
            const bool stopsAtTimestepZero = which == Sampler::Ddim || which == Sampler::Pndm;
            const double bound = stopsAtTimestepZero ? 0.05 : 1e-4;
            QVERIFY2(left < bound,
                     qPrintable(QStringLiteral("%1: %2 of the noise left").arg(QString::fromUtf8(name)).arg(left)));
            QCOMPARE(run.final.scalar_type(), torch::kFloat32);
        }
    }

    void deterministicSamplersFollowTheProbabilityFlow() {
        const torch::Tensor z = startNoise();
        std::map<Sampler, double> errors;
        for (Sampler which : {Sampler::Ddim, Sampler::Euler, Sampler::DpmPP2M, Sampler::DpmPP2MKarras, Sampler::Pndm}) {
            auto s = makeScheduler(which, sd15Config(), 25, nullptr);
            auto finer = makeScheduler(which, sd15Config(), 100, nullptr);
            errors[which] = relativeError(sample(*s, z, 0.5));
            const double finerError = relativeError(sample(*finer, z, 0.5));
            qInfo("%s: relative error %.2e after 25 steps, %.2e after 100", nameOf(which), errors[which], finerError);
            QVERIFY2(errors[which] < 0.15, nameOf(which));
            QVERIFY2(finerError < errors[which] / 2, nameOf(which));  // converges as the steps grow
        }
        // With leading spacing the last (first-order) step, from t = 1 or t = 39 to the end, dominates; with
        // Karras sigmas it is tiny and the second-order DPM++ shows. PLMS uses its 4-output history.
        QVERIFY(errors[Sampler::DpmPP2MKarras] < errors[Sampler::Ddim] / 3);
        QVERIFY(errors[Sampler::Pndm] < errors[Sampler::Ddim] / 3);
    }

    void dpmSolverSecondOrderUsesThePreviousOutput() {
        nlohmann::json firstOrderConfig = sd15Config();
        firstOrderConfig["solver_order"] = 1;
        auto first = makeScheduler(Sampler::DpmPP2M, firstOrderConfig, 10, nullptr);
        auto second = makeScheduler(Sampler::DpmPP2M, sd15Config(), 10, nullptr);
        const torch::Tensor x = startNoise();
        const torch::Tensor out0 = exactOutput(x, levelAt(*second, 0), 0.5, false);
        const torch::Tensor a1 = first->step(out0, 0, x);
        const torch::Tensor b1 = second->step(out0, 0, x);
        QVERIFY(torch::allclose(a1, b1));  // the first step is first order in both
        const torch::Tensor out1 = exactOutput(b1, levelAt(*second, 1), 0.5, false);
        const torch::Tensor a2 = first->step(out1, 1, b1);
        const torch::Tensor b2 = second->step(out1, 1, b1);
        QVERIFY((a2 - b2).abs().max().item<double>() > 1e-4);  // the second uses out0 as well
        // With x0 predicted directly, feeding the same output twice makes the correction vanish (D1 = 0).
        nlohmann::json sampleConfig = sd15Config("sample");
        auto flat = makeScheduler(Sampler::DpmPP2M, sampleConfig, 10, nullptr);
        sampleConfig["solver_order"] = 1;
        auto flatFirst = makeScheduler(Sampler::DpmPP2M, sampleConfig, 10, nullptr);
        flat->step(out1, 0, x);
        flatFirst->step(out1, 0, x);
        QVERIFY(torch::allclose(flat->step(out1, 1, b1), flatFirst->step(out1, 1, b1), 1e-5, 1e-6));
        // Over a whole run (Karras sigmas: a tiny first-order last step) second order is far closer to the flow.
        firstOrderConfig["use_karras_sigmas"] = true;
        auto firstRun = makeScheduler(Sampler::DpmPP2MKarras, firstOrderConfig, 10, nullptr);
        auto secondRun = makeScheduler(Sampler::DpmPP2MKarras, sd15Config(), 10, nullptr);
        const double firstError = relativeError(sample(*firstRun, x, 0.5));
        const double secondError = relativeError(sample(*secondRun, x, 0.5));
        qInfo("DPM++ Karras, 10 steps: first order %.2e, second order %.2e", firstError, secondError);
        QVERIFY(secondError < firstError / 3);
        // Steps out of order would mix histories: refused.
        auto misuse = makeScheduler(Sampler::DpmPP2M, sd15Config(), 10, nullptr);
        misuse->step(out0, 0, x);
        QVERIFY_THROWS_EXCEPTION(Error, misuse->step(out0, 2, x));
    }

    void pndmStartsLikeDdimThenAveragesWithItsHistory() {
        auto pndm = makeScheduler(Sampler::Pndm, sd15Config(), 10, nullptr);
        auto ddim = makeScheduler(Sampler::Ddim, sd15Config(), 10, nullptr);
        QCOMPARE(pndm->numSteps(), 11);  // PLMS repeats its second timestep
        QCOMPARE(pndm->timesteps()[1], pndm->timesteps()[2]);
        const torch::Tensor x = startNoise();
        const torch::Tensor out0 = exactOutput(x, levelAt(*pndm, 0), 0.5, false);
        const torch::Tensor p1 = pndm->step(out0, 0, x);
        QVERIFY(torch::allclose(p1, ddim->step(out0, 0, x), 1e-5, 1e-6));
        // The second call restarts from the first sample with the mean of both outputs.
        const torch::Tensor out1 = exactOutput(p1, levelAt(*pndm, 1), 0.5, false);
        const torch::Tensor p2 = pndm->step(out1, 1, p1);
        auto ddimAgain = makeScheduler(Sampler::Ddim, sd15Config(), 10, nullptr);
        QVERIFY(torch::allclose(p2, ddimAgain->step((out0 + out1) / 2, 0, x), 1e-5, 1e-6));
    }

    void eulerAncestralIsDeterministicForASeed() {
        const torch::Tensor z = startNoise();
        CountingNoise noiseA(123);
        CpuNoiseSource noiseB(123);
        CpuNoiseSource noiseC(124);
        auto a = makeScheduler(Sampler::EulerAncestral, sd15Config(), 8, &noiseA);
        auto b = makeScheduler(Sampler::EulerAncestral, sd15Config(), 8, &noiseB);
        auto c = makeScheduler(Sampler::EulerAncestral, sd15Config(), 8, &noiseC);
        const torch::Tensor ra = sample(*a, z, 0.5).final;
        QCOMPARE(noiseA.draws, 8);  // one draw per step, the last one included
        QVERIFY(torch::equal(ra, sample(*b, z, 0.5).final));
        QVERIFY(!torch::allclose(ra, sample(*c, z, 0.5).final));
        QVERIFY_THROWS_EXCEPTION(Error, makeScheduler(Sampler::EulerAncestral, sd15Config(), 8, nullptr));
        // Ancestral sampling of N(0, 0.25) data gives samples of about that spread (with enough steps: each
        // step loses variance s^2 (sigma - sigma_down)^2 / (s^2 + sigma^2)).
        CpuNoiseSource noiseD(125);
        auto d = makeScheduler(Sampler::EulerAncestral, sd15Config(), 100, &noiseD);
        const double spread = sample(*d, z, 0.5).final.std().item<double>();
        QVERIFY2(spread > 0.4 && spread < 0.6, qPrintable(QString::number(spread)));
    }

    void vPredictionSamplesLikeEpsilon() {
        const torch::Tensor z = startNoise();
        for (const auto& [which, name] : everySampler()) {
            CpuNoiseSource noiseEps(9);
            CpuNoiseSource noiseV(9);
            const int steps = which == Sampler::Lcm ? 4 : 12;
            auto eps = makeScheduler(which, sd15Config("epsilon"), steps, &noiseEps);
            auto v = makeScheduler(which, sd15Config("v_prediction"), steps, &noiseV);
            const torch::Tensor a = sample(*eps, z, 0.5, false).final;
            const torch::Tensor b = sample(*v, z, 0.5, true).final;
            const double difference = (a - b).abs().max().item<double>();
            if (which == Sampler::Pndm) {
                // diffusers' PNDM combines raw v outputs of earlier steps and converts the mix with the current
                // sample, which is not the eps combination: the same flow, not the same numbers.
                QVERIFY2(difference > 1e-4, "PNDM v-prediction would differ from diffusers");
                const double coarse =
                    relativeError(sample(*makeScheduler(which, sd15Config("v_prediction"), 25, nullptr), z, 0.5, true));
                const double fine = relativeError(
                    sample(*makeScheduler(which, sd15Config("v_prediction"), 100, nullptr), z, 0.5, true));
                qInfo("pndm v-prediction: relative error %.2e after 25 steps, %.2e after 100", coarse, fine);
                QVERIFY(coarse < 0.15 && fine < coarse / 2);
                continue;
            }
            QVERIFY2(difference < 1e-4,
                     qPrintable(QStringLiteral("%1: %2").arg(QString::fromUtf8(name)).arg(difference)));
        }
    }

    void halfPrecisionModelOutputIsSteppedInFloat32() {
        auto s = makeScheduler(Sampler::Euler, sd15Config(), 10, nullptr);
        const torch::Tensor x = startNoise() * s->initNoiseSigma();
        const torch::Tensor out = exactOutput(s->scaleModelInput(x, 0), levelAt(*s, 0), 0.5, false);
        const torch::Tensor full = s->step(out, 0, x);
        auto again = makeScheduler(Sampler::Euler, sd15Config(), 10, nullptr);
        const torch::Tensor half = again->step(out.to(torch::kHalf), 0, x);
        QCOMPARE(half.scalar_type(), torch::kFloat32);
        QVERIFY(torch::allclose(full, half, 1e-2, 1e-2));
    }

    void addNoiseAgreesAcrossSchedulers() {
        // Euler's sigma-space noising, scaled to the model input, is DDIM's sqrt(a) x0 + sqrt(1-a) noise at
        // the same timestep (both leading spacing).
        auto euler = makeScheduler(Sampler::Euler, sd15Config(), 5, nullptr);
        auto ddim = makeScheduler(Sampler::Ddim, sd15Config(), 5, nullptr);
        auto dpm = makeScheduler(Sampler::DpmPP2M, sd15Config(), 5, nullptr);
        const torch::Tensor x0 = cpuNoise(3, {1, 4, 8, 8});
        const torch::Tensor noise = cpuNoise(4, {1, 4, 8, 8});
        for (int k = 0; k < 5; ++k) {
            QCOMPARE(euler->timesteps()[static_cast<std::size_t>(k)], ddim->timesteps()[static_cast<std::size_t>(k)]);
            const torch::Tensor viaEuler = euler->scaleModelInput(euler->addNoise(x0, noise, k), k);
            QVERIFY(torch::allclose(viaEuler, ddim->addNoise(x0, noise, k), 1e-5, 1e-5));
        }
        // DPM++ noises in the model's own space (alpha_t x0 + sigma_t noise) at its own timestep.
        const int t = static_cast<int>(dpm->timesteps()[1]);
        const double a = dpm->alphasCumprod()[t].item<double>();
        const torch::Tensor expected = std::sqrt(a) * x0 + std::sqrt(1.0 - a) * noise;
        QVERIFY(torch::allclose(dpm->addNoise(x0, noise, 1), expected, 1e-5, 1e-5));
    }

    void img2imgStartsWhereDiffusersDoes() {
        // init_timestep = min(int(steps * strength), steps); t_start = steps - init_timestep.
        for (int steps : {1, 5, 10, 25, 50}) {
            for (double strength : {0.3, 0.6, 0.75, 1.0}) {
                const int init = std::min(static_cast<int>(steps * strength), steps);
                if (init < 1) {
                    QVERIFY_THROWS_EXCEPTION(Error, img2imgStart(steps, strength, steps));
                    continue;
                }
                const Img2ImgStart start = img2imgStart(steps, strength, steps);
                QCOMPARE(start.startIndex, steps - init);
                QCOMPARE(start.stepsRun, init);
            }
        }
        // A strength typed as 0.7 counts as Python counts it (10 * 0.7 = 7.000000000000001 -> 7), even
        // though the request carries it as a float (0.699999988 -> 6).
        QCOMPARE(strengthFromFloat(0.7f), 0.7);
        QCOMPARE(img2imgStart(10, strengthFromFloat(0.7f), 10).startIndex, 3);
        QVERIFY_THROWS_EXCEPTION(Error, img2imgStart(10, 1.5, 10));
    }

    void cfgIsUncondPlusScaledDifference() {
        const torch::Tensor uncond = cpuNoise(10, {1, 4, 8, 8});
        const torch::Tensor cond = cpuNoise(11, {1, 4, 8, 8});
        QVERIFY(torch::allclose(applyCfg(uncond, cond, 1.0), cond));
        QVERIFY(torch::allclose(applyCfg(uncond, cond, 0.0), uncond));
        QVERIFY(torch::allclose(applyCfg(uncond, cond, 7.5) - uncond, 7.5 * (cond - uncond), 1e-5, 1e-5));
    }

    void loopStopsWhenAskedTo() {
        auto s = makeScheduler(Sampler::Ddim, sd15Config(), 10, nullptr);
        int calls = 0;
        runSamplingLoop(
            *s, startNoise(),
            [&](const torch::Tensor& x, double) {
            ++calls;
            return torch::zeros_like(x);
            },
            [](int step) { return step < 2; });
        QCOMPARE(calls, 3);
    }
};

QTEST_GUILESS_MAIN(TestSamplers)
#include "tst_samplers.moc"
