// The basic layers every model is built from (Conv2d, Linear, GroupNorm, LayerNorm, Embedding), made
// directly in the compute dtype and device with uninitialised storage: weights always come from a file.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace storybrush::models {

// Why not torch::nn::Conv2d & co.: those allocate fp32 CPU parameters and fill them with random numbers
// (seconds and gigabytes for a full-size UNet) before the file's weights replace them. These allocate
// once with `options` (which may be the "meta" device: shapes only, no memory) and never initialise.
// Parameters are registered with requires_grad=false: the engine only runs inference.

struct Conv2dImpl : torch::nn::Module {
    Conv2dImpl(std::int64_t inChannels, std::int64_t outChannels, std::int64_t kernel, std::int64_t stride,
               std::int64_t padding, const torch::TensorOptions& options, bool bias = true);
    torch::Tensor forward(const torch::Tensor& x);
    // forward(x) + offset for a small offset that broadcasts over the output (a ResNet's time embedding,
    // [N, C, 1, 1]): the bias is added to the offset, so the output gets one addition instead of two.
    torch::Tensor forwardAdding(const torch::Tensor& x, const torch::Tensor& offset);
    // residual + forward(x), the bias and the residual added in one pass where `fused_channel_add` serves (a
    // ResNet's conv2 and its shortcut).
    torch::Tensor forwardThenAdd(const torch::Tensor& x, const torch::Tensor& residual);

    torch::Tensor weight;
    torch::Tensor bias;  // undefined when the layer has none
    std::int64_t stride;
    std::int64_t padding;

private:
    torch::Tensor convolve(const torch::Tensor& x, const torch::Tensor& withBias);
};
TORCH_MODULE(Conv2d);

// A 1x1 convolution (stride 1, no padding) over a channels-last input is a GEMM over its pixels. cuDNN runs it as a
// convolution and PyTorch then adds the bias in a separate kernel; as a GEMM (`pointwise_conv_gemm` lever) the bias
// is part of the GEMM. The UNet's attention blocks have two such layers each.
bool pointwiseConvAsGemmServes(const torch::Tensor& x, const torch::Tensor& weight, std::int64_t stride,
                               std::int64_t padding);
torch::Tensor pointwiseConvAsGemm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

struct LinearImpl : torch::nn::Module {
    LinearImpl(std::int64_t inFeatures, std::int64_t outFeatures, const torch::TensorOptions& options,
               bool bias = true);
    torch::Tensor forward(const torch::Tensor& x);
    // The weight to multiply `dtype` inputs with: the stored one, or the FP8 one widened and scaled.
    torch::Tensor weightFor(c10::ScalarType dtype) const;

    torch::Tensor weight;
    torch::Tensor bias;         // undefined when the layer has none
    torch::Tensor weightScale;  // FP8 storage: weight is E4M3 and means weight x weightScale (float32 scalar)
};
TORCH_MODULE(Linear);

// Keeps the layer's weight in 8-bit floats (E4M3) with one scale for the tensor (its largest value maps to 448):
// half the memory of FP16; each call widens it to the input's dtype. Throws Error(UnsupportedModel) where the
// libtorch build has no FP8.
// `work`: where the scale and conversion are computed (a GPU does a main-memory weight in a blink); the
// weight stays where it is.
void storeAsFloat8(LinearImpl& layer, const torch::Device& work = torch::kCPU);

struct GroupNormImpl : torch::nn::Module {
    GroupNormImpl(std::int64_t groups, std::int64_t channels, double eps, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x) { return run(x, false); }
    // SiLU of the result: in the same kernel where runtime::fusedGroupNorm serves the input.
    torch::Tensor forwardThenSilu(const torch::Tensor& x) { return run(x, true); }

    torch::Tensor weight;
    torch::Tensor bias;
    std::int64_t groups;
    double eps;

private:
    torch::Tensor run(const torch::Tensor& x, bool thenSilu);
    torch::Tensor normalize(const torch::Tensor& x);  // PyTorch's kernel, or statistics spread over the GPU
};
TORCH_MODULE(GroupNorm);

struct LayerNormImpl : torch::nn::Module {
    LayerNormImpl(std::int64_t features, double eps, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);

    torch::Tensor weight;
    torch::Tensor bias;
    double eps;
};
TORCH_MODULE(LayerNorm);

// ref: diffusers normalization.RMSNorm and transformers Qwen2RMSNorm: x / rms(x) over the last dimension,
// in float32 whatever the input, then back to the input's dtype and times the weight.
struct RmsNormImpl : torch::nn::Module {
    RmsNormImpl(std::int64_t features, double eps, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);

    torch::Tensor weight;
    double eps;
};
TORCH_MODULE(RmsNorm);

struct EmbeddingImpl : torch::nn::Module {
    EmbeddingImpl(std::int64_t count, std::int64_t dim, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& ids);

    torch::Tensor weight;
};
TORCH_MODULE(Embedding);

// The activations diffusers and transformers name in their configs ("silu", "gelu", "quick_gelu", ...).
enum class Activation { Silu, Gelu, QuickGelu, Relu };
// Throws Error(ModelFile) naming `field` and `source` for an activation we do not implement.
Activation parseActivation(const std::string& name, const std::string& field, const std::string& source);
torch::Tensor activate(Activation activation, const torch::Tensor& x);
// The same on a temporary nothing else holds (a norm's output): when no gradient is recorded, SiLU overwrites it
// instead of taking another picture-sized buffer (the VAE's peak memory).
torch::Tensor activateTemporary(Activation activation, torch::Tensor x);

}  // namespace storybrush::models
