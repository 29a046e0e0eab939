// diffusers' attention modules: Attention, GEGLU feed-forward, BasicTransformerBlock, Transformer2DModel.
#include "models/attention.h"

#include "runtime/fused_ops.h"
#include "runtime/speed.h"
#include "runtime/torch_compat.h"

#include <torch/torch.h>

namespace storybrush::models {

AttentionImpl::AttentionImpl(const AttentionOptions& options, const torch::TensorOptions& tensorOptions)
    : opts(options) {
    const auto inner = options.heads * options.headDim;
    const auto keyDim = options.crossAttentionDim.value_or(options.queryDim);
    if (options.groupNormGroups) {
        group_norm = register_module(
            "group_norm", GroupNorm(*options.groupNormGroups, options.queryDim, options.groupNormEps, tensorOptions));
    }
    to_q = register_module("to_q", Linear(options.queryDim, inner, tensorOptions, options.bias));
    to_k = register_module("to_k", Linear(keyDim, inner, tensorOptions, options.bias));
    to_v = register_module("to_v", Linear(keyDim, inner, tensorOptions, options.bias));
    to_out = register_module("to_out", torch::nn::ModuleList());
    to_out->push_back(Linear(inner, options.queryDim, tensorOptions, options.outBias));
    if (!options.crossAttentionDim && !options.bias) {
        qkvWeight = torch::empty({3 * inner, options.queryDim}, tensorOptions);
        const torch::NoGradGuard noGrad;
        std::int64_t row = 0;
        for (Linear* layer : {&to_q, &to_k, &to_v}) {
            (*layer)->weight.set_data(qkvWeight.narrow(0, row, inner));
            row += inner;
        }
    }
}

bool AttentionImpl::projectsQkvAtOnce() const {
    if (!qkvWeight.defined() || !runtime::speedLevers().fusedQkv) return false;
    if (torch::GradMode::is_enabled() && to_q->weight.requires_grad()) return false;
    std::int64_t row = 0;
    for (const Linear* layer : {&to_q, &to_k, &to_v}) {
        const auto& weight = (*layer)->weight;
        const auto rows = weight.size(0);
        if ((*layer)->weightScale.defined() || weight.scalar_type() != qkvWeight.scalar_type() ||
            weight.device() != qkvWeight.device() || !weight.is_contiguous() ||
            weight.data_ptr() != qkvWeight.narrow(0, row, rows).data_ptr())
            return false;
        row += rows;
    }
    return true;
}

std::pair<torch::Tensor, torch::Tensor> AttentionImpl::keysAndValues(const torch::Tensor& source) {
    const auto split = [&](const torch::Tensor& t) {
        return t.view({source.size(0), -1, opts.heads, opts.headDim}).transpose(1, 2);
    };
    return {split(to_k(source)), split(to_v(source))};
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& hidden, const CrossContext& context) {
    const auto residual = hidden;
    auto x = hidden;
    const bool spatial = x.dim() == 4;
    std::int64_t channels = 0;
    std::int64_t height = 0;
    std::int64_t width = 0;
    if (spatial) {
        channels = x.size(1);
        height = x.size(2);
        width = x.size(3);
        if (group_norm) {
            x = group_norm(x);  // the same as AttnProcessor2_0's norm on the [B, C, HW] view
        }
        x = x.flatten(2).transpose(1, 2);
    } else if (group_norm) {
        x = group_norm(x.transpose(1, 2)).transpose(1, 2);
    }
    const auto batch = x.size(0);
    torch::Tensor q;
    std::pair<torch::Tensor, torch::Tensor> keys;
    if (!context.tokens.defined() && projectsQkvAtOnce()) {
        const auto qkv = torch::linear(x, qkvWeight).view({batch, -1, 3, opts.heads, opts.headDim});
        q = qkv.select(2, 0).transpose(1, 2);
        keys = {qkv.select(2, 1).transpose(1, 2), qkv.select(2, 2).transpose(1, 2)};
    } else {
        q = to_q(x).view({batch, -1, opts.heads, opts.headDim}).transpose(1, 2);
        if (context.keys) {
            const auto made = context.keys->byLayer.find(this);
            const bool fits = made != context.keys->byLayer.end() && made->second.first.size(0) == batch &&
                              (!context.tokens.defined() || made->second.first.size(2) == context.tokens.size(1));
            if (fits) keys = made->second;
        }
        if (!keys.first.defined()) keys = keysAndValues(context.tokens.defined() ? context.tokens : x);
    }
    auto out = runtime::scaledDotProductAttention(q, keys.first, keys.second);
    out = out.transpose(1, 2).reshape({batch, -1, opts.heads * opts.headDim});
    out = to_out[0]->as<LinearImpl>()->forward(out);
    if (spatial) {
        out = out.transpose(1, 2).reshape({batch, channels, height, width});
    }
    if (opts.residualConnection) {
        out = out + residual;
    }
    if (opts.rescaleOutputFactor != 1.0) {
        out = out / opts.rescaleOutputFactor;
    }
    return out;
}

GegluImpl::GegluImpl(std::int64_t dimIn, std::int64_t dimOut, const torch::TensorOptions& tensorOptions) {
    proj = register_module("proj", Linear(dimIn, dimOut * 2, tensorOptions));
}

torch::Tensor GegluImpl::forward(const torch::Tensor& x) {
    const auto h = proj(x);
    if (runtime::fusedGegluTakes(h)) return runtime::fusedGeglu(h);
    auto parts = h.chunk(2, -1);
    return parts[0] * torch::gelu(parts[1]);
}

FeedForwardImpl::FeedForwardImpl(std::int64_t dim, std::int64_t innerDim, const torch::TensorOptions& tensorOptions) {
    net = register_module("net", torch::nn::ModuleList());
    geglu = Geglu(dim, innerDim, tensorOptions);
    out = Linear(innerDim, dim, tensorOptions);
    net->push_back(geglu);
    net->push_back(torch::nn::Dropout(0.0));  // index 1 as in diffusers, so the output Linear is net.2
    net->push_back(out);
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) { return out(geglu(x)); }

BasicTransformerBlockImpl::BasicTransformerBlockImpl(const TransformerBlockOptions& options,
                                                     const torch::TensorOptions& tensorOptions)
    : onlyCrossAttention(options.onlyCrossAttention) {
    // LayerNorm eps 1e-5 (norm_eps default of BasicTransformerBlock); attention without q/k/v bias.
    norm1 = register_module("norm1", LayerNorm(options.dim, 1e-5, tensorOptions));
    AttentionOptions self;
    self.queryDim = options.dim;
    self.heads = options.heads;
    self.headDim = options.headDim;
    if (options.onlyCrossAttention) {
        self.crossAttentionDim = options.crossAttentionDim;
    }
    attn1 = register_module("attn1", Attention(self, tensorOptions));
    norm2 = register_module("norm2", LayerNorm(options.dim, 1e-5, tensorOptions));
    AttentionOptions cross = self;
    cross.crossAttentionDim = options.crossAttentionDim;
    attn2 = register_module("attn2", Attention(cross, tensorOptions));
    norm3 = register_module("norm3", LayerNorm(options.dim, 1e-5, tensorOptions));
    ff = register_module("ff", FeedForward(options.dim, options.dim * 4, tensorOptions));
}

torch::Tensor BasicTransformerBlockImpl::forward(torch::Tensor x, const CrossContext& context) {
    x = attn1(norm1(x), onlyCrossAttention ? context : CrossContext()) + x;
    x = attn2(norm2(x), context) + x;
    return ff(norm3(x)) + x;
}

Transformer2DModelImpl::Transformer2DModelImpl(const Transformer2DOptions& options,
                                               const torch::TensorOptions& tensorOptions)
    : useLinearProjection(options.useLinearProjection) {
    const auto inner = options.heads * options.headDim;
    norm = register_module("norm", GroupNorm(options.groups, options.inChannels, 1e-6, tensorOptions));
    if (useLinearProjection) {
        proj_in_linear = register_module("proj_in", Linear(options.inChannels, inner, tensorOptions));
    } else {
        proj_in_conv = register_module("proj_in", Conv2d(options.inChannels, inner, 1, 1, 0, tensorOptions));
    }
    transformer_blocks = register_module("transformer_blocks", torch::nn::ModuleList());
    TransformerBlockOptions block;
    block.dim = inner;
    block.heads = options.heads;
    block.headDim = options.headDim;
    block.crossAttentionDim = options.crossAttentionDim;
    block.onlyCrossAttention = options.onlyCrossAttention;
    for (std::int64_t i = 0; i < options.layers; ++i) {
        transformer_blocks->push_back(BasicTransformerBlock(block, tensorOptions));
    }
    if (useLinearProjection) {
        proj_out_linear = register_module("proj_out", Linear(inner, options.inChannels, tensorOptions));
    } else {
        proj_out_conv = register_module("proj_out", Conv2d(inner, options.inChannels, 1, 1, 0, tensorOptions));
    }
}

torch::Tensor Transformer2DModelImpl::forward(const torch::Tensor& x, const CrossContext& context) {
    const auto batch = x.size(0);
    const auto height = x.size(2);
    const auto width = x.size(3);
    auto h = norm(x);
    if (useLinearProjection) {
        h = proj_in_linear(h.permute({0, 2, 3, 1}).reshape({batch, height * width, -1}));
    } else {
        h = proj_in_conv(h);
        h = h.permute({0, 2, 3, 1}).reshape({batch, height * width, -1});
    }
    for (const auto& block : *transformer_blocks) {
        h = block->as<BasicTransformerBlockImpl>()->forward(h, context);
    }
    // Back in the input's layout. The permuted view already is channels-last: a plain contiguous() would turn the
    // UNet's NHWC activations into NCHW here, and every layer after it would pay a layout copy.
    const auto layout = x.suggest_memory_format();
    if (useLinearProjection) {
        h = proj_out_linear(h).reshape({batch, height, width, -1}).permute({0, 3, 1, 2}).contiguous(layout);
    } else {
        h = h.reshape({batch, height, width, -1}).permute({0, 3, 1, 2}).contiguous(layout);
        h = proj_out_conv(h);
    }
    return h + x;
}

}  // namespace storybrush::models
