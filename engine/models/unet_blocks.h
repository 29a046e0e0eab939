// The UNet's down, mid and up blocks (diffusers unet_2d_blocks.py): CrossAttnDownBlock2D / DownBlock2D,
// UNetMidBlock2DCrossAttn, CrossAttnUpBlock2D / UpBlock2D. A block with cross-attention differs from the
// plain one only by its `attentions` list, so one class serves both and the names stay diffusers'.
#pragma once

#include "models/attention.h"
#include "models/resnet.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace storybrush::models {

// What every resnet and transformer of one block shares. The blocks' forward takes temb already activated (the
// time embedding through `activation`), as their resnets do.
struct UNetBlockOptions {
    std::int64_t tembChannels = 1280;
    std::int64_t groups = 32;
    double eps = 1e-5;
    Activation activation = Activation::Silu;
    bool scaleShift = false;
    double outputScaleFactor = 1.0;
    // Cross-attention (absent when hasAttention is false).
    bool hasAttention = false;
    std::int64_t heads = 8;
    std::int64_t crossAttentionDim = 768;
    std::int64_t transformerLayers = 1;                   // per resnet; diffusers allows a list, one per layer
    std::vector<std::int64_t> transformerLayersPerLayer;  // empty: transformerLayers for every layer
    bool useLinearProjection = false;
    bool onlyCrossAttention = false;
};

// ref: CrossAttnDownBlock2D / DownBlock2D: resnets[i] (+ attentions[i]) then downsamplers.0.
struct UNetDownBlockImpl : torch::nn::Module {
    UNetDownBlockImpl(std::int64_t layers, std::int64_t inChannels, std::int64_t outChannels, bool addDownsample,
                      std::int64_t downsamplePadding, const UNetBlockOptions& options,
                      const torch::TensorOptions& tensorOptions);
    // Appends every output that an up block will take as a skip connection to `skips`.
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& temb, const CrossContext& context,
                          std::vector<torch::Tensor>& skips);

    torch::nn::ModuleList resnets{nullptr};
    torch::nn::ModuleList attentions{nullptr};
    torch::nn::ModuleList downsamplers{nullptr};
};
TORCH_MODULE(UNetDownBlock);

// ref: UNetMidBlock2DCrossAttn: resnets.0, then (attentions.i, resnets.i+1) pairs.
struct UNetMidBlockImpl : torch::nn::Module {
    UNetMidBlockImpl(std::int64_t channels, std::int64_t layers, const UNetBlockOptions& options,
                     const torch::TensorOptions& tensorOptions);
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& temb, const CrossContext& context);

    torch::nn::ModuleList resnets{nullptr};
    torch::nn::ModuleList attentions{nullptr};
};
TORCH_MODULE(UNetMidBlock);

// ref: CrossAttnUpBlock2D / UpBlock2D: each resnet takes cat(x, skip) then (attention), then upsamplers.0.
struct UNetUpBlockImpl : torch::nn::Module {
    UNetUpBlockImpl(std::int64_t layers, std::int64_t inChannels, std::int64_t prevOutputChannels,
                    std::int64_t outChannels, bool addUpsample, const UNetBlockOptions& options,
                    const torch::TensorOptions& tensorOptions);
    // Takes its skips from the back of `skips`; the upsampler resizes to the next skip's size, so
    // latents whose sides are not multiples of 8 come out right.
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& temb, const CrossContext& context,
                          std::vector<torch::Tensor>& skips);

    torch::nn::ModuleList resnets{nullptr};
    torch::nn::ModuleList attentions{nullptr};
    torch::nn::ModuleList upsamplers{nullptr};
};
TORCH_MODULE(UNetUpBlock);

}  // namespace storybrush::models
