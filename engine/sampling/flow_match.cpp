// Flow-matching Euler. ref: diffusers schedulers/scheduling_flow_match_euler_discrete.py and
// pipelines/qwenimage/pipeline_qwenimage.py (calculate_shift, the linspace sigmas).
#include "sampling/flow_match.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace storybrush::sampling {

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& field, const std::string& problem) {
    throw Error(ErrorKind::ModelFile, source + ": \"" + field + "\" " + problem);
}

}  // namespace

FlowMatchConfig FlowMatchConfig::fromJson(const nlohmann::json& json, const std::string& source) {
    FlowMatchConfig c;
    if (!json.is_object()) fail(source, "scheduler", "must be a JSON object");
    auto number = [&](const char* field, double fallback) {
        if (!json.contains(field) || json[field].is_null()) return fallback;
        if (!json[field].is_number()) fail(source, field, "must be a number");
        return json[field].get<double>();
    };
    auto flag = [&](const char* field, bool fallback) {
        if (!json.contains(field) || json[field].is_null()) return fallback;
        if (!json[field].is_boolean()) fail(source, field, "must be true or false");
        return json[field].get<bool>();
    };
    c.numTrainTimesteps = static_cast<std::int64_t>(number("num_train_timesteps", 1000));
    c.useDynamicShifting = flag("use_dynamic_shifting", c.useDynamicShifting);
    c.shift = number("shift", c.shift);
    c.baseShift = number("base_shift", c.baseShift);
    c.maxShift = number("max_shift", c.maxShift);
    c.baseImageSeqLen = static_cast<std::int64_t>(number("base_image_seq_len", 256));
    c.maxImageSeqLen = static_cast<std::int64_t>(number("max_image_seq_len", 8192));
    c.shiftTerminal = number("shift_terminal", c.shiftTerminal);
    const std::string shiftType = json.value("time_shift_type", std::string("exponential"));
    if (shiftType != "exponential" && shiftType != "linear")
        fail(source, "time_shift_type", "must be \"exponential\" or \"linear\"");
    c.exponentialTimeShift = shiftType == "exponential";
    for (const char* field :
         {"use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "stochastic_sampling", "invert_sigmas"})
        if (flag(field, false))
            fail(source, field, "is not followed by Storybrush's flow-matching sampler; set it to false");
    if (c.numTrainTimesteps <= 0 || c.maxImageSeqLen <= c.baseImageSeqLen || c.shift <= 0 || c.shiftTerminal < 0 ||
        c.shiftTerminal >= 1)
        fail(source, "num_train_timesteps", "and the shift settings are out of range");
    return c;
}

FlowMatchConfig FlowMatchConfig::fromFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::ModelFile, "cannot open " + path + "; the model folder is incomplete");
    std::ostringstream text;
    text << in.rdbuf();
    const auto json = nlohmann::json::parse(text.str(), nullptr, false);
    if (json.is_discarded()) throw Error(ErrorKind::ModelFile, path + " is not valid JSON; copy it again");
    return fromJson(json, path);
}

FlowMatchSchedule flowMatchSchedule(const FlowMatchConfig& c, int steps, std::int64_t imageSeqLen) {
    if (steps < 1) throw Error(ErrorKind::InvalidRequest, "the flow-matching sampler needs at least one step");
    FlowMatchSchedule s;
    // ref: calculate_shift, in Python floats
    const double slope = (c.maxShift - c.baseShift) / static_cast<double>(c.maxImageSeqLen - c.baseImageSeqLen);
    s.mu = static_cast<double>(imageSeqLen) * slope + (c.baseShift - slope * static_cast<double>(c.baseImageSeqLen));
    // The scheduler works on a float32 array; each operation rounds to float32 as numpy does.
    std::vector<float> sigmas(static_cast<std::size_t>(steps));
    for (int i = 0; i < steps; ++i) {
        const double linspace = steps == 1 ? 1.0 : 1.0 + (1.0 / steps - 1.0) * i / (steps - 1);
        sigmas[static_cast<std::size_t>(i)] = static_cast<float>(linspace);
    }
    const float expMu = static_cast<float>(std::exp(s.mu));  // a Python float meeting a float32 array
    const float mu = static_cast<float>(s.mu);
    for (float& sigma : sigmas) {
        if (c.useDynamicShifting) {
            const float odds = 1.0f / sigma - 1.0f;
            sigma = c.exponentialTimeShift ? expMu / (expMu + odds) : mu / (mu + odds);
        } else {
            sigma = static_cast<float>(c.shift * sigma / (1.0 + (c.shift - 1.0) * sigma));
        }
    }
    if (c.shiftTerminal > 0) {  // ref: stretch_shift_to_terminal: the last sigma becomes shift_terminal
        const float scale = (1.0f - sigmas.back()) / static_cast<float>(1.0 - c.shiftTerminal);
        for (float& sigma : sigmas) sigma = 1.0f - (1.0f - sigma) / scale;
    }
    for (float sigma : sigmas) {
        s.sigmas.push_back(sigma);
        s.timesteps.push_back(static_cast<double>(sigma * static_cast<float>(c.numTrainTimesteps)));
    }
    s.sigmas.push_back(0.0);
    return s;
}

torch::Tensor flowMatchStep(const FlowMatchSchedule& schedule, int stepIndex, const torch::Tensor& velocity,
                            const torch::Tensor& sample) {
    if (stepIndex < 0 || static_cast<std::size_t>(stepIndex) + 1 >= schedule.sigmas.size())
        throw Error(ErrorKind::Internal,
                    "flow-matching step " + std::to_string(stepIndex) + " is outside the schedule");
    const double delta =
        schedule.sigmas[static_cast<std::size_t>(stepIndex) + 1] - schedule.sigmas[static_cast<std::size_t>(stepIndex)];
    return sample.to(torch::kFloat32) + static_cast<float>(delta) * velocity.to(torch::kFloat32);
}

torch::Tensor flowMatchNoise(const torch::Tensor& clean, const torch::Tensor& noise, double sigma) {
    return sigma * noise + (1.0 - sigma) * clean;
}

}  // namespace storybrush::sampling
