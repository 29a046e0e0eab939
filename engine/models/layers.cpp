// The basic layers every model is built from; see layers.h for why they are not torch::nn's.
#include "models/layers.h"

#include <storybrush/error.h>

#include <torch/torch.h>

namespace storybrush::models {

namespace {

torch::Tensor param(torch::nn::Module& module, const char* name, torch::IntArrayRef shape,
                    const torch::TensorOptions& options) {
    return module.register_parameter(name, torch::empty(shape, options), /*requires_grad=*/false);
}

}  // namespace

Conv2dImpl::Conv2dImpl(std::int64_t inChannels, std::int64_t outChannels, std::int64_t kernel,
                       std::int64_t strideValue, std::int64_t paddingValue, const torch::TensorOptions& options,
                       bool withBias)
    : stride(strideValue), padding(paddingValue) {
    weight = param(*this, "weight", {outChannels, inChannels, kernel, kernel}, options);
    if (withBias) {
        bias = param(*this, "bias", {outChannels}, options);
    }
}

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x) {
    return torch::conv2d(x, weight, bias, {stride, stride}, {padding, padding});
}

LinearImpl::LinearImpl(std::int64_t inFeatures, std::int64_t outFeatures, const torch::TensorOptions& options,
                       bool withBias) {
    weight = param(*this, "weight", {outFeatures, inFeatures}, options);
    if (withBias) {
        bias = param(*this, "bias", {outFeatures}, options);
    }
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) { return torch::linear(x, weight, bias); }

GroupNormImpl::GroupNormImpl(std::int64_t groupCount, std::int64_t channels, double epsValue,
                             const torch::TensorOptions& options)
    : groups(groupCount), eps(epsValue) {
    if (groupCount <= 0 || channels % groupCount != 0) {
        throw Error(ErrorKind::ModelFile, "GroupNorm: " + std::to_string(channels) +
                                              " channels do not split into " + std::to_string(groupCount) +
                                              " groups; check norm_num_groups and block_out_channels in the config");
    }
    weight = param(*this, "weight", {channels}, options);
    bias = param(*this, "bias", {channels}, options);
}

torch::Tensor GroupNormImpl::forward(const torch::Tensor& x) { return torch::group_norm(x, groups, weight, bias, eps); }

LayerNormImpl::LayerNormImpl(std::int64_t features, double epsValue, const torch::TensorOptions& options)
    : eps(epsValue) {
    weight = param(*this, "weight", {features}, options);
    bias = param(*this, "bias", {features}, options);
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
    return torch::layer_norm(x, {weight.size(0)}, weight, bias, eps);
}

EmbeddingImpl::EmbeddingImpl(std::int64_t count, std::int64_t dim, const torch::TensorOptions& options) {
    weight = param(*this, "weight", {count, dim}, options);
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) {
    // Out-of-range ids would read outside the table: refuse them with a message instead.
    if (ids.numel() > 0) {
        const auto minId = ids.min().item<std::int64_t>();
        const auto maxId = ids.max().item<std::int64_t>();
        if (minId < 0 || maxId >= weight.size(0)) {
            throw Error(ErrorKind::InvalidRequest, "token id " + std::to_string(minId < 0 ? minId : maxId) +
                                                       " is outside the embedding table of " +
                                                       std::to_string(weight.size(0)) +
                                                       " entries; the tokenizer does not match the text encoder");
        }
    }
    return torch::embedding(weight, ids.to(weight.device()));
}

Activation parseActivation(const std::string& name, const std::string& field, const std::string& source) {
    if (name == "silu" || name == "swish") {
        return Activation::Silu;
    }
    if (name == "gelu") {
        return Activation::Gelu;
    }
    if (name == "quick_gelu") {
        return Activation::QuickGelu;
    }
    if (name == "relu") {
        return Activation::Relu;
    }
    throw Error(ErrorKind::UnsupportedModel,
                field + " \"" + name + "\" in " + source + " is not supported (silu, gelu, quick_gelu, relu are)");
}

torch::Tensor activate(Activation activation, const torch::Tensor& x) {
    switch (activation) {
    case Activation::Silu:
        return torch::silu(x);
    case Activation::Gelu:
        return torch::gelu(x);  // exact (erf) form, as transformers' "gelu" and diffusers' GELU
    case Activation::QuickGelu:
        return x * torch::sigmoid(1.702 * x);  // ref: transformers QuickGELUActivation
    case Activation::Relu:
        return torch::relu(x);
    }
    return x;
}

}  // namespace storybrush::models
