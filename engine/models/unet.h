// UNet2DConditionModel (diffusers) built from its config.json: SD 1.x, SD 2.x, inpainting (9 input
// channels), SDXL (per-block transformer depth, text_time added embeddings) and LCM's w-embedding.
#pragma once

#include "models/layers.h"
#include "models/resnet.h"
#include "models/unet_blocks.h"

#include "io/state_dict.h"
#include "runtime/device.h"

#include <nlohmann/json_fwd.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace storybrush::models {

// The fields of diffusers' UNet2DConditionModel config that change the network. Defaults are diffusers'
// (which are SD 1.x's). Lists hold one entry per down block, in down-block order.
struct UNetConfig {
    std::int64_t inChannels = 4;
    std::int64_t outChannels = 4;
    std::vector<std::int64_t> blockOutChannels{320, 640, 1280, 1280};
    std::vector<std::string> downBlockTypes{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                            "DownBlock2D"};
    std::vector<std::string> upBlockTypes{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                                          "CrossAttnUpBlock2D"};
    bool hasMidBlock = true;                              // mid_block_type "UNetMidBlock2DCrossAttn" (null: none)
    std::vector<std::int64_t> layersPerBlock;             // default 2 per block
    std::vector<std::int64_t> transformerLayersPerBlock;  // default 1 per block
    // Heads per block. diffusers reads `num_attention_heads or attention_head_dim`: the field called
    // attention_head_dim holds the HEAD COUNT (SD 1.5: 8 heads; SD 2.x: 5,10,20,20 i.e. 64 per head).
    std::vector<std::int64_t> attentionHeads;
    std::vector<std::int64_t> crossAttentionDim;  // per block; default 1280 each
    std::vector<bool> onlyCrossAttention;
    std::int64_t normNumGroups = 32;
    double normEps = 1e-5;
    Activation activation = Activation::Silu;
    bool flipSinToCos = true;
    double freqShift = 0;
    bool useLinearProjection = false;
    bool upcastAttention = false;  // read for completeness: fused attention keeps fp32 softmax statistics
    bool resnetScaleShift = false;
    double midBlockScaleFactor = 1.0;
    std::int64_t downsamplePadding = 1;
    std::int64_t convInKernel = 3;
    std::int64_t convOutKernel = 3;
    bool centerInputSample = false;
    std::optional<std::int64_t> timeEmbeddingDim;  // default blockOutChannels[0] * 4
    std::optional<std::int64_t> timeCondProjDim;   // LCM-distilled UNets: guidance embedding input
    // SDXL: addition_embed_type "text_time".
    bool textTimeEmbedding = false;
    std::int64_t additionTimeEmbedDim = 256;
    std::int64_t projectionClassEmbeddingsInputDim = 2816;

    // Reads a diffusers unet/config.json. Throws Error(ModelFile) for a malformed field and
    // Error(UnsupportedModel) for a variant this engine does not implement (class embeddings, ...).
    static UNetConfig fromFile(const std::string& path);
    static UNetConfig fromJsonText(const std::string& text, const std::string& source);
    // The same from a parsed config (io::Checkpoint's unetConfig / vaeConfig / textEncoderConfig).
    static UNetConfig fromJson(const nlohmann::json& json, const std::string& source);

    std::int64_t timeEmbedDim() const { return timeEmbeddingDim.value_or(blockOutChannels.at(0) * 4); }
};

// Extra inputs some UNets take; leave them undefined for SD 1.x / 2.x.
struct UNetConditioning {
    torch::Tensor textEmbeds;    // SDXL: pooled text embedding [B, 1280]
    torch::Tensor timeIds;       // SDXL: [B, 6] (original size, crop top-left, target size)
    torch::Tensor timestepCond;  // LCM: guidance embedding [B, time_cond_proj_dim]
};

// ref: diffusers models/unets/unet_2d_condition.py UNet2DConditionModel. Parameter names are the
// diffusers checkpoint keys ("down_blocks.0.attentions.1.transformer_blocks.0.attn1.to_q.weight").
struct UNet2DConditionModelImpl : torch::nn::Module {
    // Allocates every parameter with `options` (device + dtype; the "meta" device gives shapes only),
    // uninitialised: load weights with loadStrict (weights.h) or use loadUNet below.
    UNet2DConditionModelImpl(const UNetConfig& config, const torch::TensorOptions& options);

    // sample [B, in_channels, H/8, W/8] in the module's dtype; timesteps a scalar or [B]; context
    // [B, tokens, cross_attention_dim]. Returns the model output [B, out_channels, H/8, W/8] (eps or v).
    // `keys`, made by crossAttentionKeys(context), spare every call the cross-attention projections of the context.
    torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timesteps, const torch::Tensor& context,
                          const UNetConditioning& extra = {}, const CrossAttentionKeys* keys = nullptr);
    // Every cross-attention layer's keys and values for `context` (as forward takes it), with a serial of its own.
    CrossAttentionKeys crossAttentionKeys(const torch::Tensor& context);

    UNetConfig config;
    Conv2d conv_in{nullptr};
    TimestepEmbedding time_embedding{nullptr};
    TimestepEmbedding add_embedding{nullptr};
    torch::nn::ModuleList down_blocks{nullptr};
    UNetMidBlock mid_block{nullptr};
    torch::nn::ModuleList up_blocks{nullptr};
    GroupNorm conv_norm_out{nullptr};
    Conv2d conv_out{nullptr};
};
TORCH_MODULE(UNet2DConditionModel);

// Builds the UNet on `target` (device + dtype), loads `weights` strictly (every tensor present with the
// right shape, nothing left over) converting them to the target dtype, and sets eval mode.
UNet2DConditionModel loadUNet(const UNetConfig& config, const io::StateDict& weights,
                              const runtime::ComputeTarget& target);

}  // namespace storybrush::models
