// Noise schedules: scheduler_config.json parsing and the set_timesteps maths of the diffusers schedulers.
#include "sampling/noise_schedule.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace storybrush::sampling {
namespace {

[[noreturn]] void unsupported(const std::string& field, const std::string& value) {
    throw Error(ErrorKind::UnsupportedModel,
                "scheduler_config.json: " + field + " = " + value +
                    " is not supported by this engine's samplers; use a model whose scheduler config uses the "
                    "standard Stable Diffusion settings");
}

// Reads json[key] into out when present and not null; a value of the wrong type names the field.
template <typename T>
void read(const nlohmann::json& json, const char* key, T& out) {
    const auto it = json.find(key);
    if (it == json.end() || it->is_null()) return;
    try {
        out = it->get<T>();
    } catch (const nlohmann::json::exception&) {
        throw Error(ErrorKind::ModelFile, std::string("scheduler_config.json: field ") + key + " has the wrong type (" +
                                              it->type_name() +
                                              "); fix or remove it from the model's scheduler config");
    }
}

// numpy.linspace(start, stop, num, endpoint): y[i] = i * step + start, the last set to stop.
std::vector<double> npLinspace(double start, double stop, int num, bool endpoint = true) {
    std::vector<double> y(static_cast<std::size_t>(std::max(num, 0)));
    const int div = endpoint ? num - 1 : num;
    const double delta = stop - start;
    const double step = div > 0 ? delta / div : 0.0;
    for (int i = 0; i < num; ++i) y[static_cast<std::size_t>(i)] = (div > 0 ? i * step : i * delta) + start;
    if (endpoint && num > 1) y.back() = stop;
    return y;
}

// numpy.arange(start, stop, step) for floats: length ceil((stop - start) / step), values start + i * delta
// with delta = (start + step) - start (numpy's DOUBLE_fill).
std::vector<double> npArange(double start, double stop, double step) {
    const double count = std::ceil((stop - start) / step);
    std::vector<double> y;
    if (!(count > 0)) return y;
    y.resize(static_cast<std::size_t>(count));
    const double delta = (start + step) - start;
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = i == 1 ? start + step : start + static_cast<double>(i) * delta;
    return y;
}

// numpy.round: half to even (the default floating-point rounding mode).
double npRound(double value) { return std::nearbyint(value); }

// numpy.interp(x, arange(len(fp)), fp) in float64.
double npInterp(double x, const std::vector<float>& fp) {
    const auto n = static_cast<double>(fp.size());
    if (x <= 0.0) return fp.front();
    if (x >= n - 1.0) return fp.back();
    const auto j = static_cast<std::size_t>(std::floor(x));
    if (static_cast<double>(j) == x) return fp[j];
    const double slope = (static_cast<double>(fp[j + 1]) - static_cast<double>(fp[j])) / 1.0;
    return slope * (x - static_cast<double>(j)) + static_cast<double>(fp[j]);
}

// ref: diffusers EulerDiscreteScheduler._sigma_to_t (log-sigma interpolation onto the training index).
// logSigmas is float32 as numpy has it; dists and the weight are float64, low - high is float32.
double sigmaToT(double sigma, const std::vector<float>& logSigmas) {
    const double logSigma = std::log(std::max(sigma, 1e-10));
    std::size_t lowIdx = 0;
    for (std::size_t i = 0; i < logSigmas.size(); ++i) {
        if (logSigma - static_cast<double>(logSigmas[i]) >= 0.0) lowIdx = i;  // argmax of the cumsum
    }
    lowIdx = std::min(lowIdx, logSigmas.size() - 2);
    const float low = logSigmas[lowIdx];
    const float high = logSigmas[lowIdx + 1];
    double w = (static_cast<double>(low) - logSigma) / static_cast<double>(low - high);
    w = std::clamp(w, 0.0, 1.0);
    return (1.0 - w) * static_cast<double>(lowIdx) + w * static_cast<double>(lowIdx + 1);
}

// ref: k-diffusion get_sigmas_karras (rho 7), as diffusers' _convert_to_karras, float64.
std::vector<double> karrasSigmas(double sigmaMin, double sigmaMax, int steps) {
    constexpr double kRho = 7.0;
    const std::vector<double> ramp = npLinspace(0.0, 1.0, steps);
    const double minInvRho = std::pow(sigmaMin, 1.0 / kRho);
    const double maxInvRho = std::pow(sigmaMax, 1.0 / kRho);
    std::vector<double> sigmas;
    sigmas.reserve(ramp.size());
    for (double r : ramp) sigmas.push_back(std::pow(maxInvRho + r * (minInvRho - maxInvRho), kRho));
    return sigmas;
}

std::vector<float> logOf(const std::vector<float>& values) {
    std::vector<float> out;
    out.reserve(values.size());
    for (float v : values) out.push_back(static_cast<float>(std::log(static_cast<double>(v))));
    return out;
}

double toFloat32(double value) { return static_cast<double>(static_cast<float>(value)); }

// sqrt(max^2 + 1) in float32 for leading spacing, max otherwise (diffusers' init_noise_sigma property).
double eulerInitNoiseSigma(const std::vector<double>& sigmas, TimestepSpacing spacing) {
    const float maxSigma = static_cast<float>(*std::max_element(sigmas.begin(), sigmas.end()));
    if (spacing != TimestepSpacing::Leading) return maxSigma;
    const float squaredPlusOne = maxSigma * maxSigma + 1.0f;
    return std::sqrt(squaredPlusOne);
}

// Integer timesteps of DDIM (and, reversed, PNDM's base list), descending.
std::vector<double> ddimTimesteps(const SchedulerConfig& c, int steps) {
    std::vector<double> ts;
    switch (c.spacing) {
    case TimestepSpacing::Linspace:
        for (double v : npLinspace(0.0, c.numTrainTimesteps - 1.0, steps)) ts.push_back(npRound(v));
        std::reverse(ts.begin(), ts.end());
        break;
    case TimestepSpacing::Leading: {
        const int ratio = c.numTrainTimesteps / steps;
        for (int i = steps - 1; i >= 0; --i) ts.push_back(static_cast<double>(i * ratio + c.stepsOffset));
        break;
    }
    case TimestepSpacing::Trailing:
        for (double v : npArange(c.numTrainTimesteps, 0.0, -static_cast<double>(c.numTrainTimesteps) / steps)) {
            ts.push_back(npRound(v) - 1.0);
        }
        break;
    }
    return ts;
}

// Euler / Euler a: the same three spacings, but as float32 values (linspace ones may be fractional).
std::vector<double> eulerTimesteps(const SchedulerConfig& c, int steps) {
    std::vector<double> ts;
    switch (c.spacing) {
    case TimestepSpacing::Linspace:
        for (double v : npLinspace(0.0, c.numTrainTimesteps - 1.0, steps)) ts.push_back(toFloat32(v));
        std::reverse(ts.begin(), ts.end());
        break;
    case TimestepSpacing::Leading: {
        const int ratio = c.numTrainTimesteps / steps;
        for (int i = steps - 1; i >= 0; --i) ts.push_back(toFloat32(static_cast<double>(i) * ratio + c.stepsOffset));
        break;
    }
    case TimestepSpacing::Trailing:
        for (double v : npArange(c.numTrainTimesteps, 0.0, -static_cast<double>(c.numTrainTimesteps) / steps)) {
            ts.push_back(toFloat32(npRound(v)) - 1.0);
        }
        break;
    }
    return ts;
}

Schedule eulerSchedule(const SchedulerConfig& c, const std::vector<float>& trainSigmas, int steps, bool ancestral) {
    Schedule s;
    s.timesteps = eulerTimesteps(c, steps);
    for (double t : s.timesteps) s.sigmas.push_back(npInterp(t, trainSigmas));
    if (!ancestral && c.useKarrasSigmas) {
        const std::vector<float> logSigmas = logOf(trainSigmas);
        const double sigmaMin = c.sigmaMin ? *c.sigmaMin : s.sigmas.back();
        const double sigmaMax = c.sigmaMax ? *c.sigmaMax : s.sigmas.front();
        s.sigmas = karrasSigmas(sigmaMin, sigmaMax, steps);
        s.timesteps.clear();
        for (double sigma : s.sigmas) s.timesteps.push_back(toFloat32(sigmaToT(sigma, logSigmas)));
    }
    s.sigmas.push_back(!ancestral && !c.finalSigmaZero ? trainSigmas.front() : 0.0);
    for (double& sigma : s.sigmas) sigma = toFloat32(sigma);
    s.initNoiseSigma = eulerInitNoiseSigma(s.sigmas, c.spacing);
    return s;
}

// ref: DPMSolverMultistepScheduler.set_timesteps (lambda_min_clipped, steps + 1 points, the last dropped).
Schedule dpmSchedule(const SchedulerConfig& c, const torch::Tensor& alphasCumprod,
                     const std::vector<float>& trainSigmas, int steps) {
    const torch::Tensor lambdaT = torch::log(torch::sqrt(alphasCumprod)) - torch::log(torch::sqrt(1 - alphasCumprod));
    const auto clippedIdx = (lambdaT < c.lambdaMinClipped).sum().item<std::int64_t>();  // searchsorted on the flip
    const int lastTimestep = c.numTrainTimesteps - static_cast<int>(clippedIdx);
    Schedule s;
    switch (c.spacing) {
    case TimestepSpacing::Linspace: {
        std::vector<double> v = npLinspace(0.0, lastTimestep - 1.0, steps + 1);
        for (int i = steps; i >= 1; --i) s.timesteps.push_back(npRound(v[static_cast<std::size_t>(i)]));
        break;
    }
    case TimestepSpacing::Leading: {
        const int ratio = lastTimestep / (steps + 1);
        for (int i = steps; i >= 1; --i) s.timesteps.push_back(static_cast<double>(i * ratio + c.stepsOffset));
        break;
    }
    case TimestepSpacing::Trailing:
        for (double v : npArange(lastTimestep, 0.0, -static_cast<double>(c.numTrainTimesteps) / steps)) {
            s.timesteps.push_back(npRound(v) - 1.0);
        }
        break;
    }
    if (c.useKarrasSigmas) {
        const std::vector<float> logSigmas = logOf(trainSigmas);
        s.sigmas = karrasSigmas(trainSigmas.front(), trainSigmas.back(), steps);
        s.timesteps.clear();
        for (double sigma : s.sigmas) {
            const double t = sigmaToT(sigma, logSigmas);
            s.timesteps.push_back(c.betaSchedule == "squaredcos_cap_v2" ? std::trunc(t) : npRound(t));
        }
    } else {
        for (double t : s.timesteps) s.sigmas.push_back(npInterp(t, trainSigmas));
    }
    s.sigmas.push_back(c.finalSigmaZero ? 0.0 : trainSigmas.front());
    for (double& sigma : s.sigmas) sigma = toFloat32(sigma);
    s.initNoiseSigma = 1.0;
    return s;
}

// ref: LCMScheduler.set_timesteps: skip along the distillation schedule of original_inference_steps.
Schedule lcmSchedule(const SchedulerConfig& c, int steps) {
    const int originalSteps = c.originalInferenceSteps;
    if (originalSteps < 1 || originalSteps > c.numTrainTimesteps) {
        throw Error(ErrorKind::ModelFile,
                    "scheduler_config.json: original_inference_steps = " + std::to_string(originalSteps) +
                        " must be between 1 and " + std::to_string(c.numTrainTimesteps));
    }
    if (steps > originalSteps) {
        throw Error(ErrorKind::InvalidRequest, "steps = " + std::to_string(steps) +
                                                   " is more than the LCM schedule allows (original_inference_steps " +
                                                   std::to_string(originalSteps) + "); use fewer steps");
    }
    const int k = c.numTrainTimesteps / originalSteps;
    std::vector<double> origin;
    for (int i = originalSteps; i >= 1; --i) origin.push_back(static_cast<double>(i * k - 1));  // reversed
    Schedule s;
    for (double idx : npLinspace(0.0, static_cast<double>(origin.size()), steps, false)) {
        s.timesteps.push_back(origin[static_cast<std::size_t>(std::floor(idx))]);
    }
    return s;
}

// ref: PNDMScheduler.set_timesteps: PLMS list (skip_prk_steps) or 12 Runge-Kutta steps then PLMS.
Schedule pndmSchedule(const SchedulerConfig& c, int steps) {
    std::vector<double> base = ddimTimesteps(c, steps);  // descending
    std::reverse(base.begin(), base.end());              // ascending, as PNDM's _timesteps
    Schedule s;
    if (c.skipPrkSteps) {
        std::vector<double> plms(base.begin(), base.end() - 1);
        if (base.size() >= 2) plms.push_back(base[base.size() - 2]);
        plms.push_back(base.back());
        s.timesteps.assign(plms.rbegin(), plms.rend());
        return s;
    }
    if (steps < 4) {
        throw Error(ErrorKind::InvalidRequest,
                    "the PNDM sampler with Runge-Kutta warm-up steps (skip_prk_steps false) needs at least 4 steps");
    }
    const double half = static_cast<double>(c.numTrainTimesteps / steps / 2);
    std::vector<double> prk;
    for (std::size_t i = base.size() - 4; i < base.size(); ++i) {
        prk.push_back(base[i]);
        prk.push_back(base[i] + half);
    }
    prk.pop_back();
    std::vector<double> doubled;
    for (double v : prk) doubled.insert(doubled.end(), {v, v});
    std::vector<double> prkTimesteps(doubled.begin() + 1, doubled.end() - 1);
    s.timesteps.assign(prkTimesteps.rbegin(), prkTimesteps.rend());
    for (auto it = base.rbegin() + 3; it != base.rend(); ++it) s.timesteps.push_back(*it);
    return s;
}

}  // namespace

SchedulerConfig SchedulerConfig::fromJson(SchedulerKind kind, const nlohmann::json& json) {
    if (!json.is_object()) {
        throw Error(ErrorKind::ModelFile, "scheduler_config.json is not a JSON object; restore the model's file");
    }
    SchedulerConfig c;
    c.kind = kind;
    // Constructor defaults that differ between the diffusers classes.
    switch (kind) {
    case SchedulerKind::Ddim: break;
    case SchedulerKind::Euler:
    case SchedulerKind::EulerAncestral:
    case SchedulerKind::DpmSolverMultistep: c.spacing = TimestepSpacing::Linspace; break;
    case SchedulerKind::Lcm:
        c.betaStart = 0.00085;
        c.betaEnd = 0.012;
        c.betaSchedule = "scaled_linear";
        c.clipSample = false;
        break;
    case SchedulerKind::Pndm: c.setAlphaToOne = false; break;
    }

    read(json, "num_train_timesteps", c.numTrainTimesteps);
    read(json, "beta_start", c.betaStart);
    read(json, "beta_end", c.betaEnd);
    read(json, "beta_schedule", c.betaSchedule);
    read(json, "trained_betas", c.trainedBetas);
    read(json, "steps_offset", c.stepsOffset);
    read(json, "set_alpha_to_one", c.setAlphaToOne);
    read(json, "clip_sample", c.clipSample);
    read(json, "clip_sample_range", c.clipSampleRange);
    read(json, "thresholding", c.thresholding);
    read(json, "dynamic_thresholding_ratio", c.dynamicThresholdingRatio);
    read(json, "sample_max_value", c.sampleMaxValue);
    read(json, "skip_prk_steps", c.skipPrkSteps);
    read(json, "original_inference_steps", c.originalInferenceSteps);
    read(json, "timestep_scaling", c.timestepScaling);
    read(json, "solver_order", c.solverOrder);
    read(json, "lower_order_final", c.lowerOrderFinal);
    read(json, "euler_at_final", c.eulerAtFinal);
    read(json, "interpolation_type", c.interpolationType);
    if (kind == SchedulerKind::Ddim || kind == SchedulerKind::Lcm || kind == SchedulerKind::Euler ||
        kind == SchedulerKind::EulerAncestral || kind == SchedulerKind::DpmSolverMultistep) {
        read(json, "rescale_betas_zero_snr", c.rescaleBetasZeroSnr);
    }
    if (kind == SchedulerKind::Euler || kind == SchedulerKind::DpmSolverMultistep) {
        read(json, "use_karras_sigmas", c.useKarrasSigmas);
    }
    if (kind == SchedulerKind::Euler) {
        double value = std::numeric_limits<double>::quiet_NaN();
        read(json, "sigma_min", value);
        if (!std::isnan(value)) c.sigmaMin = value;
        value = std::numeric_limits<double>::quiet_NaN();
        read(json, "sigma_max", value);
        if (!std::isnan(value)) c.sigmaMax = value;
    }
    if (json.contains("lambda_min_clipped") && json["lambda_min_clipped"].is_number()) {
        read(json, "lambda_min_clipped", c.lambdaMinClipped);
    }

    std::string text;
    read(json, "timestep_spacing", text);
    if (text == "leading") c.spacing = TimestepSpacing::Leading;
    else if (text == "trailing") c.spacing = TimestepSpacing::Trailing;
    else if (text == "linspace") c.spacing = TimestepSpacing::Linspace;
    else if (!text.empty()) unsupported("timestep_spacing", text);

    text.clear();
    read(json, "prediction_type", text);
    if (text.empty() || text == "epsilon") c.prediction = PredictionType::Epsilon;
    else if (text == "v_prediction") c.prediction = PredictionType::VPrediction;
    else if (text == "sample" || text == "original_sample") c.prediction = PredictionType::Sample;
    else unsupported("prediction_type", text);

    text = "zero";
    read(json, "final_sigmas_type", text);
    if (text != "zero" && text != "sigma_min") unsupported("final_sigmas_type", text);
    c.finalSigmaZero = text == "zero";

    if (c.betaSchedule != "linear" && c.betaSchedule != "scaled_linear" && c.betaSchedule != "squaredcos_cap_v2") {
        unsupported("beta_schedule", c.betaSchedule);
    }
    if (c.numTrainTimesteps < 2 || c.numTrainTimesteps > 100000) {
        unsupported("num_train_timesteps", std::to_string(c.numTrainTimesteps));
    }
    if (!c.trainedBetas.empty() && static_cast<int>(c.trainedBetas.size()) != c.numTrainTimesteps) {
        throw Error(ErrorKind::ModelFile,
                    "scheduler_config.json: trained_betas has " + std::to_string(c.trainedBetas.size()) +
                        " entries, num_train_timesteps is " + std::to_string(c.numTrainTimesteps) +
                        "; fix the model's scheduler config");
    }

    // Options of the classes that we do not implement: refuse rather than sample differently.
    auto refuseFlag = [&](const char* key) {
        bool on = false;
        read(json, key, on);
        if (on) unsupported(key, "true");
    };
    if (kind == SchedulerKind::Euler || kind == SchedulerKind::DpmSolverMultistep) {
        refuseFlag("use_exponential_sigmas");
        refuseFlag("use_beta_sigmas");
    }
    if (kind == SchedulerKind::Euler) {
        if (c.interpolationType != "linear") unsupported("interpolation_type", c.interpolationType);
        text = "discrete";
        read(json, "timestep_type", text);
        if (text == "continuous" && c.prediction == PredictionType::VPrediction) unsupported("timestep_type", text);
    }
    if (kind == SchedulerKind::EulerAncestral && c.prediction == PredictionType::Sample) {
        unsupported("prediction_type", "sample (Euler ancestral)");
    }
    if (kind == SchedulerKind::Pndm && c.prediction == PredictionType::Sample) {
        unsupported("prediction_type", "sample (PNDM)");
    }
    if (kind == SchedulerKind::DpmSolverMultistep) {
        refuseFlag("use_lu_lambdas");
        refuseFlag("use_flow_sigmas");
        refuseFlag("use_dynamic_shifting");
        text = "dpmsolver++";
        read(json, "algorithm_type", text);
        if (text != "dpmsolver++" && text != "deis") unsupported("algorithm_type", text);  // deis: diffusers maps it
        read(json, "solver_type", c.solverType);
        if (c.solverType == "logrho" || c.solverType == "bh1" || c.solverType == "bh2") c.solverType = "midpoint";
        if (c.solverType != "midpoint" && c.solverType != "heun") unsupported("solver_type", c.solverType);
        text.clear();
        read(json, "variance_type", text);
        if (!text.empty()) unsupported("variance_type", text);
        if (c.solverOrder < 1 || c.solverOrder > 3) unsupported("solver_order", std::to_string(c.solverOrder));
    }
    return c;
}

torch::Tensor trainingBetas(const SchedulerConfig& c) {
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    torch::Tensor betas;
    if (!c.trainedBetas.empty()) {
        betas = torch::tensor(c.trainedBetas, torch::kFloat64).to(torch::kFloat32);
    } else if (c.betaSchedule == "linear") {
        betas = torch::linspace(c.betaStart, c.betaEnd, c.numTrainTimesteps, f32);
    } else if (c.betaSchedule == "scaled_linear") {
        betas = torch::linspace(std::pow(c.betaStart, 0.5), std::pow(c.betaEnd, 0.5), c.numTrainTimesteps, f32).pow(2);
    } else {
        // ref: diffusers betas_for_alpha_bar (cosine, max_beta 0.999), float64 maths then float32.
        const double pi = std::acos(-1.0);
        auto alphaBar = [pi](double t) { return std::pow(std::cos((t + 0.008) / 1.008 * pi / 2.0), 2.0); };
        std::vector<double> values;
        for (int i = 0; i < c.numTrainTimesteps; ++i) {
            const double t1 = static_cast<double>(i) / c.numTrainTimesteps;
            const double t2 = static_cast<double>(i + 1) / c.numTrainTimesteps;
            values.push_back(std::min(1.0 - alphaBar(t2) / alphaBar(t1), 0.999));
        }
        betas = torch::tensor(values, torch::kFloat64).to(torch::kFloat32);
    }
    if (c.rescaleBetasZeroSnr) {
        // ref: diffusers rescale_zero_terminal_snr (float32 tensor ops).
        torch::Tensor alphaBarSqrt = torch::cumprod(1.0 - betas, 0).sqrt();
        const torch::Tensor first = alphaBarSqrt[0].clone();
        const torch::Tensor last = alphaBarSqrt[-1].clone();
        alphaBarSqrt = (alphaBarSqrt - last) * (first / (first - last));
        const torch::Tensor alphaBar = alphaBarSqrt.pow(2);
        const torch::Tensor alphas =
            torch::cat({alphaBar.slice(0, 0, 1), alphaBar.slice(0, 1) / alphaBar.slice(0, 0, -1)});
        betas = 1 - alphas;
    }
    return betas.contiguous();
}

torch::Tensor alphasCumprod(const SchedulerConfig& c) {
    torch::Tensor cumprod = torch::cumprod(1.0 - trainingBetas(c), 0).contiguous();
    const bool sigmaKind = c.kind == SchedulerKind::Euler || c.kind == SchedulerKind::EulerAncestral ||
                           c.kind == SchedulerKind::DpmSolverMultistep;
    if (c.rescaleBetasZeroSnr && sigmaKind) cumprod[-1] = std::ldexp(1.0, -24);  // first sigma finite, as diffusers
    return cumprod;
}

std::vector<float> trainingSigmas(const torch::Tensor& alphasCumprod) {
    const torch::Tensor sigmas = ((1 - alphasCumprod) / alphasCumprod).pow(0.5).to(torch::kFloat32).contiguous();
    return std::vector<float>(sigmas.data_ptr<float>(), sigmas.data_ptr<float>() + sigmas.numel());
}

Schedule makeSchedule(const SchedulerConfig& c, const torch::Tensor& alphasCumprod, int steps) {
    if (steps < 1 || steps > c.numTrainTimesteps) {
        throw Error(ErrorKind::InvalidRequest, "steps = " + std::to_string(steps) + " must be between 1 and " +
                                                   std::to_string(c.numTrainTimesteps) +
                                                   " (the model's num_train_timesteps)");
    }
    const std::vector<float> trainSigmas = trainingSigmas(alphasCumprod);
    Schedule s;
    switch (c.kind) {
    case SchedulerKind::Ddim: s.timesteps = ddimTimesteps(c, steps); break;
    case SchedulerKind::Euler: s = eulerSchedule(c, trainSigmas, steps, false); break;
    case SchedulerKind::EulerAncestral: s = eulerSchedule(c, trainSigmas, steps, true); break;
    case SchedulerKind::DpmSolverMultistep: s = dpmSchedule(c, alphasCumprod, trainSigmas, steps); break;
    case SchedulerKind::Lcm: s = lcmSchedule(c, steps); break;
    case SchedulerKind::Pndm: s = pndmSchedule(c, steps); break;
    }
    if (s.timesteps.empty()) {
        throw Error(ErrorKind::InvalidRequest, "no timesteps for " + std::to_string(steps) + " steps with " +
                                                   std::string(spacingName(c.spacing)) + " spacing; use more steps");
    }
    for (double t : s.timesteps) {
        if (!(t >= 0.0 && t <= c.numTrainTimesteps - 1.0 + 1e-3) && c.kind != SchedulerKind::Euler &&
            c.kind != SchedulerKind::EulerAncestral) {
            throw Error(ErrorKind::InvalidRequest, "timestep " + std::to_string(t) + " falls outside the model's " +
                                                       std::to_string(c.numTrainTimesteps) +
                                                       " training timesteps (steps_offset too large?); use fewer steps "
                                                       "or another timestep_spacing");
        }
    }
    return s;
}

std::string_view spacingName(TimestepSpacing spacing) {
    switch (spacing) {
    case TimestepSpacing::Leading: return "leading";
    case TimestepSpacing::Trailing: return "trailing";
    case TimestepSpacing::Linspace: return "linspace";
    }
    return "?";
}

}  // namespace storybrush::sampling
