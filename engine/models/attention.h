// diffusers' attention modules: Attention (to_q/to_k/to_v/to_out.0), the GEGLU feed-forward,
// BasicTransformerBlock and Transformer2DModel (the spatial transformer of the UNet).
#pragma once

#include "models/layers.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <utility>

namespace storybrush::models {

struct AttentionImpl;

// Every cross-attention layer's keys and values for one context ([B, heads, tokens, headDim] each), made once by
// UNet2DConditionModelImpl::crossAttentionKeys and reused by the UNet calls that share the context: the context
// does not change during a picture's steps, so projecting it again every step is wasted work. Never
// changed once made; `serial` tells one set from another.
struct CrossAttentionKeys {
    std::uint64_t serial = 0;
    std::unordered_map<const AttentionImpl*, std::pair<torch::Tensor, torch::Tensor>> byLayer;
};

// The context as the attention layers take it: the text tokens and, if made, their keys and values.
struct CrossContext {
    CrossContext(const torch::Tensor& tokensValue = {},
                 const CrossAttentionKeys* keysValue = nullptr)  // NOLINT: implicit
        : tokens(tokensValue), keys(keysValue) {}
    torch::Tensor tokens;
    const CrossAttentionKeys* keys;
};

struct AttentionOptions {
    std::int64_t queryDim = 0;
    std::optional<std::int64_t> crossAttentionDim;  // none: self-attention (keys from the query input)
    std::int64_t heads = 8;
    std::int64_t headDim = 64;
    bool bias = false;    // to_q/to_k/to_v biases
    bool outBias = true;  // to_out.0 bias
    // The VAE's mid-block attention (diffusers' _from_deprecated_attn_block): a group_norm on the input,
    // a [B, C, H, W] input flattened to tokens, and the residual added back.
    std::optional<std::int64_t> groupNormGroups;
    double groupNormEps = 1e-6;
    bool residualConnection = false;
    double rescaleOutputFactor = 1.0;
};

// ref: diffusers models/attention_processor.py Attention + AttnProcessor2_0.
struct AttentionImpl : torch::nn::Module {
    AttentionImpl(const AttentionOptions& options, const torch::TensorOptions& tensorOptions);
    // hidden: [B, N, C] or, with a group_norm, [B, C, H, W]; context: [B, M, cross] or undefined for self. Keys
    // and values made for this layer in context.keys are used instead of projecting context.tokens.
    torch::Tensor forward(const torch::Tensor& hidden, const CrossContext& context = {});
    // to_k and to_v of `source` ([B, M, C]), split into heads: [B, heads, M, headDim] each.
    std::pair<torch::Tensor, torch::Tensor> keysAndValues(const torch::Tensor& source);
    // Whether self-attention's q, k and v come from one GEMM over qkvWeight (the `fused_qkv` lever): to_q, to_k
    // and to_v still are its rows (nothing re-pointed them: FP8 storage, a trainer's flat parameters) and autograd
    // is not recording (qkvWeight has no gradient path to them).
    bool projectsQkvAtOnce() const;

    AttentionOptions opts;
    GroupNorm group_norm{nullptr};
    Linear to_q{nullptr};
    Linear to_k{nullptr};
    Linear to_v{nullptr};
    torch::nn::ModuleList to_out{nullptr};  // [0]: Linear (diffusers' [1] is a Dropout without weights)
    // Self-attention without q/k/v biases: [3 * inner, queryDim], whose rows to_q, to_k and to_v's weights are
    // (loading fills it through them). Undefined otherwise.
    torch::Tensor qkvWeight;
};
TORCH_MODULE(Attention);

// ref: diffusers activations.GEGLU: proj to 2x inner, first half * gelu(second half).
struct GegluImpl : torch::nn::Module {
    GegluImpl(std::int64_t dimIn, std::int64_t dimOut, const torch::TensorOptions& tensorOptions);
    torch::Tensor forward(const torch::Tensor& x);

    Linear proj{nullptr};
};
TORCH_MODULE(Geglu);

// ref: diffusers attention.FeedForward(activation_fn="geglu"): net.0 = GEGLU, net.1 = Dropout, net.2 = Linear.
struct FeedForwardImpl : torch::nn::Module {
    FeedForwardImpl(std::int64_t dim, std::int64_t innerDim, const torch::TensorOptions& tensorOptions);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::ModuleList net{nullptr};
    Geglu geglu{nullptr};
    Linear out{nullptr};
};
TORCH_MODULE(FeedForward);

struct TransformerBlockOptions {
    std::int64_t dim = 0;
    std::int64_t heads = 8;
    std::int64_t headDim = 64;
    std::int64_t crossAttentionDim = 768;
    bool onlyCrossAttention = false;  // attn1 attends to the context too
};

// ref: diffusers attention.BasicTransformerBlock with norm_type "layer_norm":
// x += attn1(norm1(x)); x += attn2(norm2(x), context); x += ff(norm3(x)).
struct BasicTransformerBlockImpl : torch::nn::Module {
    BasicTransformerBlockImpl(const TransformerBlockOptions& options, const torch::TensorOptions& tensorOptions);
    torch::Tensor forward(torch::Tensor x, const CrossContext& context);

    bool onlyCrossAttention;
    LayerNorm norm1{nullptr};
    Attention attn1{nullptr};
    LayerNorm norm2{nullptr};
    Attention attn2{nullptr};
    LayerNorm norm3{nullptr};
    FeedForward ff{nullptr};
};
TORCH_MODULE(BasicTransformerBlock);

struct Transformer2DOptions {
    std::int64_t inChannels = 0;
    std::int64_t heads = 8;
    std::int64_t headDim = 64;
    std::int64_t layers = 1;  // transformer_layers_per_block
    std::int64_t crossAttentionDim = 768;
    std::int64_t groups = 32;
    bool useLinearProjection = false;  // SD 2.x / SDXL: proj_in/proj_out are Linear, else 1x1 Conv2d
    bool onlyCrossAttention = false;
};

// ref: diffusers transformers/transformer_2d.py Transformer2DModel, continuous input:
// norm -> proj_in -> blocks over H*W tokens -> proj_out -> + residual.
struct Transformer2DModelImpl : torch::nn::Module {
    Transformer2DModelImpl(const Transformer2DOptions& options, const torch::TensorOptions& tensorOptions);
    torch::Tensor forward(const torch::Tensor& x, const CrossContext& context);

    bool useLinearProjection;
    GroupNorm norm{nullptr};
    Conv2d proj_in_conv{nullptr};
    Linear proj_in_linear{nullptr};
    torch::nn::ModuleList transformer_blocks{nullptr};
    Conv2d proj_out_conv{nullptr};
    Linear proj_out_linear{nullptr};
};
TORCH_MODULE(Transformer2DModel);

}  // namespace storybrush::models
