// diffusers' convolution blocks shared by the UNet and the VAE: ResnetBlock2D, Downsample2D, Upsample2D,
// and the sinusoidal timestep embedding with its MLP (Timesteps + TimestepEmbedding).
#pragma once

#include "models/layers.h"

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <optional>

namespace storybrush::models {

struct ResnetOptions {
    std::int64_t inChannels = 0;
    std::int64_t outChannels = 0;
    std::optional<std::int64_t> tembChannels;  // none: no time_emb_proj (the VAE)
    std::int64_t groups = 32;
    double eps = 1e-6;
    Activation activation = Activation::Silu;
    bool scaleShift = false;  // resnet_time_scale_shift "scale_shift" instead of "default"
    double outputScaleFactor = 1.0;
    // The UNet's resnets get temb already activated: the UNet activates it once for all of them (diffusers does it
    // in each, the same values 22 times a step for SD 1.5).
    bool tembActivated = false;
};

// ref: diffusers models/resnet.py ResnetBlock2D (pre-norm, conv_shortcut 1x1 when channels change).
struct ResnetBlock2DImpl : torch::nn::Module {
    ResnetBlock2DImpl(const ResnetOptions& options, const torch::TensorOptions& tensorOptions);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb = {});

    ResnetOptions opts;
    GroupNorm norm1{nullptr};
    Conv2d conv1{nullptr};
    Linear time_emb_proj{nullptr};
    GroupNorm norm2{nullptr};
    Conv2d conv2{nullptr};
    Conv2d conv_shortcut{nullptr};
};
TORCH_MODULE(ResnetBlock2D);

// ref: diffusers Downsample2D(use_conv=True): a stride-2 3x3 conv; padding 0 means "pad right and bottom
// by one first" (the VAE encoder), padding 1 is the usual symmetric padding (the UNet).
struct Downsample2DImpl : torch::nn::Module {
    Downsample2DImpl(std::int64_t channels, std::int64_t padding, const torch::TensorOptions& tensorOptions);
    torch::Tensor forward(const torch::Tensor& x);

    std::int64_t padding;
    Conv2d conv{nullptr};
};
TORCH_MODULE(Downsample2D);

// ref: diffusers Upsample2D(use_conv=True): nearest x2 (or to `size`, so odd skip sizes line up), 3x3 conv.
struct Upsample2DImpl : torch::nn::Module {
    Upsample2DImpl(std::int64_t channels, const torch::TensorOptions& tensorOptions);
    torch::Tensor forward(const torch::Tensor& x, std::optional<std::pair<std::int64_t, std::int64_t>> size = {});

    Conv2d conv{nullptr};
};
TORCH_MODULE(Upsample2D);

// Sinusoidal embedding of timesteps [N] into [N, dim], in float32.
// ref: diffusers embeddings.get_timestep_embedding (max_period 10000, scale 1).
torch::Tensor timestepEmbedding(const torch::Tensor& timesteps, std::int64_t dim, bool flipSinToCos,
                                double downscaleFreqShift);

// ref: diffusers TimestepEmbedding: linear_1 -> act -> linear_2; cond_proj (LCM's w-embedding) optional.
struct TimestepEmbeddingImpl : torch::nn::Module {
    TimestepEmbeddingImpl(std::int64_t inChannels, std::int64_t timeEmbedDim, Activation activation,
                          std::optional<std::int64_t> condProjDim, const torch::TensorOptions& tensorOptions);
    torch::Tensor forward(torch::Tensor sample, const torch::Tensor& condition = {});

    Activation activation;
    Linear linear_1{nullptr};
    Linear linear_2{nullptr};
    Linear cond_proj{nullptr};
};
TORCH_MODULE(TimestepEmbedding);

}  // namespace storybrush::models
