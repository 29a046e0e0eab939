// What every training stage shares: command-line values, weight initialisation, the EMA copy, saving and loading
// a component's weights in the diffusers folder layout, a wall-clock budget.
#pragma once

#include "app/cli/args.h"

#include <torch/torch.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace storybrush::train {

// The trainer's options, read by name with storybrush-cli's parser ("--name value"; a bare flag reads "1").
using Arguments = cli::NamedOptions;

class Budget {
public:
    explicit Budget(double minutes) : m_minutes(minutes), m_start(std::chrono::steady_clock::now()) {}
    double elapsedMinutes() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count() / 60.0;
    }
    double fraction() const { return elapsedMinutes() / m_minutes; }
    bool over() const { return elapsedMinutes() >= m_minutes; }

private:
    double m_minutes;
    std::chrono::steady_clock::time_point m_start;
};

// PyTorch's default layer initialisation (uniform +-1/sqrt(fan_in)) for weights and biases, ones/zeros for
// normalisation layers, N(0, 0.02) for embeddings; output convolutions of residual branches start at zero so
// a fresh network is close to the identity (as diffusion codebases do for stability).
void initialiseWeights(torch::nn::Module& module, std::uint64_t seed);

// The engine builds its modules for inference (no gradients); training turns them back on.
void makeTrainable(torch::nn::Module& module);

// Exponential moving average of the parameters, in FP32, on the parameters' device.
class Ema {
public:
    Ema(torch::nn::Module& module, double decay);
    void update(torch::nn::Module& module, double decay);
    void copyTo(torch::nn::Module& module) const;
    void swap(torch::nn::Module& module);

private:
    std::vector<torch::Tensor> m_shadow;
};

// A run's trainable parameters as views into one FP32 buffer, and their gradients as views into another (autograd
// adds into an existing gradient in place). The optimiser, the clipping and the EMA are then a few kernels on one
// tensor: per parameter they were about 9,000 launches a step for the UNet and text encoder, which bound the step.
class FlatParameters {
public:
    explicit FlatParameters(const std::vector<torch::Tensor>& params);  // their current values move in
    void zeroGradients() { gradients.zero_(); }
    torch::Tensor values;
    torch::Tensor gradients;
};

// AdamW (PyTorch's, decoupled weight decay, bias-corrected) over a FlatParameters, with the gradients' global norm
// clipped first (on the device, no wait for the host).
class FlatAdamW {
public:
    FlatAdamW(FlatParameters& flat, double beta1, double beta2, double weightDecay, double eps = 1e-8);
    void step(double learningRate, double maxGradientNorm);

private:
    FlatParameters& m_flat;
    torch::Tensor m_mean, m_square;
    double m_beta1, m_beta2, m_weightDecay, m_eps;
    int m_steps = 0;
};

// The EMA of a FlatParameters; swap() trades the live values for the average and back (around saving).
class FlatEma {
public:
    explicit FlatEma(const FlatParameters& flat) : m_shadow(flat.values.detach().clone()) {}
    void update(const FlatParameters& flat, double decay);
    void swap(FlatParameters& flat);

private:
    torch::Tensor m_shadow;
};

// Writes the module's parameters as `path` (.safetensors) in `dtype`, keys = diffusers names.
void saveWeights(torch::nn::Module& module, const std::string& path, torch::ScalarType dtype);
// Reads `path` into the module (every parameter present with its shape; nothing else); returns false when the
// file does not exist.
bool loadWeights(torch::nn::Module& module, const std::string& path);

// Copies the model template (configs, tokenizer) from `templateDir` into `outDir` unless present.
void prepareModelFolder(const std::string& templateDir, const std::string& outDir);

// The learning rate of a run that lasts a fixed time: linear warm-up, flat, then down to 10 % over the last
// fifth of the budget.
double learningRate(double base, int step, int warmupSteps, double budgetFraction);

}  // namespace storybrush::train
