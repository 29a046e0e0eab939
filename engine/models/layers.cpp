// The basic layers every model is built from; see layers.h for why they are not torch::nn's.
#include "models/layers.h"

#include "runtime/fused_ops.h"
#include "runtime/speed.h"
#include "runtime/torch_compat.h"

#include <storybrush/error.h>

#include <torch/torch.h>

namespace storybrush::models {

namespace {

torch::Tensor param(torch::nn::Module& module, const char* name, torch::IntArrayRef shape,
                    const torch::TensorOptions& options) {
    return module.register_parameter(name, torch::empty(shape, options), /*requires_grad=*/false);
}

// y + offset (+ residual), the [N or 1, C, 1, 1] offset broadcast over the pixels: in place in one pass of our
// kernel where `fused_channel_add` serves, else PyTorch's adds.
torch::Tensor addOverPixels(torch::Tensor y, const torch::Tensor& offset, const torch::Tensor& residual = {}) {
    if (runtime::fusedChannelAddTakes(y, offset, residual)) {
        runtime::fusedChannelAdd_(y, offset, residual);
        return y;
    }
    return residual.defined() ? residual + (y + offset) : y + offset;
}

}  // namespace

Conv2dImpl::Conv2dImpl(std::int64_t inChannels, std::int64_t outChannels, std::int64_t kernel, std::int64_t strideValue,
                       std::int64_t paddingValue, const torch::TensorOptions& options, bool withBias)
    : stride(strideValue), padding(paddingValue) {
    weight = param(*this, "weight", {outChannels, inChannels, kernel, kernel}, options);
    if (withBias) {
        bias = param(*this, "bias", {outChannels}, options);
    }
}

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x) { return convolve(x, bias); }

torch::Tensor Conv2dImpl::forwardAdding(const torch::Tensor& x, const torch::Tensor& offset) {
    // The bias joins the (small) offset first: one addition over the output instead of two.
    const auto total = (bias.defined() ? offset + bias.view({1, -1, 1, 1}) : offset).contiguous();
    return addOverPixels(convolve(x, torch::Tensor()), total);
}

torch::Tensor Conv2dImpl::forwardThenAdd(const torch::Tensor& x, const torch::Tensor& residual) {
    if (bias.defined() && runtime::speedLevers().fusedChannelAdd && x.is_cuda())
        return addOverPixels(convolve(x, torch::Tensor()), bias.view({1, -1, 1, 1}), residual);
    return residual + forward(x);
}

torch::Tensor Conv2dImpl::convolve(const torch::Tensor& x, const torch::Tensor& withBias) {
    if (runtime::speedLevers().pointwiseConvGemm && x.is_cuda() &&
        pointwiseConvAsGemmServes(x, weight, stride, padding))
        return pointwiseConvAsGemm(x, weight, withBias);
    // cuDNN's output and then PyTorch's broadcasting bias add, or our vectorised one (`fused_channel_add`).
    if (withBias.defined() && runtime::speedLevers().fusedChannelAdd && x.is_cuda()) {
        return addOverPixels(torch::conv2d(x, weight, torch::Tensor(), {stride, stride}, {padding, padding}),
                             withBias.view({1, -1, 1, 1}));
    }
    return torch::conv2d(x, weight, withBias, {stride, stride}, {padding, padding});
}

bool pointwiseConvAsGemmServes(const torch::Tensor& x, const torch::Tensor& weight, std::int64_t stride,
                               std::int64_t padding) {
    return x.dim() == 4 && weight.size(2) == 1 && weight.size(3) == 1 && stride == 1 && padding == 0 &&
           x.is_contiguous(at::MemoryFormat::ChannelsLast);
}

torch::Tensor pointwiseConvAsGemm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
    // NHWC rows times the (out, in) weight: the bias rides in the GEMM's epilogue. The result, viewed back as
    // NCHW, is channels-last as the input was.
    const auto rows = x.permute({0, 2, 3, 1});
    return torch::linear(rows, weight.reshape({weight.size(0), weight.size(1)}), bias).permute({0, 3, 1, 2});
}

LinearImpl::LinearImpl(std::int64_t inFeatures, std::int64_t outFeatures, const torch::TensorOptions& options,
                       bool withBias) {
    weight = param(*this, "weight", {outFeatures, inFeatures}, options);
    if (withBias) {
        bias = param(*this, "bias", {outFeatures}, options);
    }
}

torch::Tensor LinearImpl::weightFor(c10::ScalarType dtype) const {
    if (!weightScale.defined()) return weight;
    return weight.to(dtype) * weightScale.to(dtype);
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) { return torch::linear(x, weightFor(x.scalar_type()), bias); }

void storeAsFloat8(LinearImpl& layer, const torch::Device& work) {
    if (!runtime::float8Supported())
        throw Error(ErrorKind::UnsupportedModel, "8-bit float (FP8) weights need the GPU build of Storybrush");
    if (layer.weightScale.defined()) return;
    torch::NoGradGuard noGrad;
    const auto home = layer.weight.device();
    const auto wide = layer.weight.to(work).to(torch::kFloat32);
    const auto scale = wide.abs().amax().clamp_min(1e-12) / 448.0;  // E4M3's largest finite value
    layer.weight.set_data((wide / scale).to(runtime::float8E4M3Type()).to(home));
    layer.weightScale = scale.to(home);
}

GroupNormImpl::GroupNormImpl(std::int64_t groupCount, std::int64_t channels, double epsValue,
                             const torch::TensorOptions& options)
    : groups(groupCount), eps(epsValue) {
    if (groupCount <= 0 || channels % groupCount != 0) {
        throw Error(ErrorKind::ModelFile, "GroupNorm: " + std::to_string(channels) + " channels do not split into " +
                                              std::to_string(groupCount) +
                                              " groups; check norm_num_groups and block_out_channels in the config");
    }
    weight = param(*this, "weight", {channels}, options);
    bias = param(*this, "bias", {channels}, options);
}

torch::Tensor GroupNormImpl::run(const torch::Tensor& x, bool thenSilu) {
    if (runtime::fusedGroupNormTakes(x, groups)) return runtime::fusedGroupNorm(x, groups, weight, bias, eps, thenSilu);
    auto y = normalize(x);
    return thenSilu ? activateTemporary(Activation::Silu, y) : y;
}

torch::Tensor GroupNormImpl::normalize(const torch::Tensor& x) {
    // PyTorch's CUDA group_norm gathers each group's statistics with one thread block per (picture, group): 32
    // blocks for the VAE's 512x512 layers on a 132-SM card, so most of the card idles through the VAE decode's
    // largest cost. For such large groups, reductions spread over the whole GPU, then one multiply-add per
    // element, do the same maths (statistics in FP32), in NCHW and NHWC alike. Small groups (SD 1.5's UNet: at most
    // 40,960 values) stay with PyTorch's kernel, which is faster there (the `group_norm` lever, docs/performance.md).
    constexpr std::int64_t kLargeGroup = 1 << 17;
    if (!x.is_cuda() || x.dim() != 4 || !runtime::speedLevers().spreadGroupNorm ||
        x.numel() / (x.size(0) * groups) < kLargeGroup) {
        return torch::group_norm(x, groups, weight, bias, eps);
    }
    const auto n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    torch::Tensor grouped;
    std::vector<std::int64_t> dims;
    if (x.is_contiguous(at::MemoryFormat::ChannelsLast) && !x.is_contiguous()) {
        grouped = x.permute({0, 2, 3, 1}).view({n, h * w, groups, c / groups});
        dims = {1, 3};
    } else {
        grouped = x.contiguous().view({n, groups, -1});
        dims = {2};
    }
    const double count = static_cast<double>(c / groups * h * w);
    const auto mean = grouped.sum(dims, /*keepdim=*/false, torch::kFloat32) / count;  // [n, groups]
    const auto meanSquare =
        at::linalg_vector_norm(grouped, 2, dims, /*keepdim=*/false, torch::kFloat32).square() / count;
    const auto rstd = (meanSquare - mean.square()).clamp_min(0.0).add(eps).rsqrt();
    const auto perChannel = [&](const torch::Tensor& g) { return g.repeat_interleave(c / groups, 1); };  // [n, c]
    const auto scale = perChannel(rstd) * weight.to(torch::kFloat32);
    const auto shift = bias.to(torch::kFloat32) - perChannel(mean) * scale;
    return torch::addcmul(shift.to(x.scalar_type()).view({n, c, 1, 1}), x,
                          scale.to(x.scalar_type()).view({n, c, 1, 1}));
}

LayerNormImpl::LayerNormImpl(std::int64_t features, double epsValue, const torch::TensorOptions& options)
    : eps(epsValue) {
    weight = param(*this, "weight", {features}, options);
    bias = param(*this, "bias", {features}, options);
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
    return torch::layer_norm(x, {weight.size(0)}, weight, bias, eps);
}

RmsNormImpl::RmsNormImpl(std::int64_t features, double epsValue, const torch::TensorOptions& options) : eps(epsValue) {
    weight = param(*this, "weight", {features}, options);
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
    const auto wide = x.to(torch::kFloat32);
    const auto normalised = wide * torch::rsqrt(wide.pow(2).mean(-1, /*keepdim=*/true) + eps);
    return normalised.to(x.scalar_type()) * weight;
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
    case Activation::Silu: return torch::silu(x);
    case Activation::Gelu: return torch::gelu(x);  // exact (erf) form, as transformers' "gelu" and diffusers' GELU
    case Activation::QuickGelu: return x * torch::sigmoid(1.702 * x);  // ref: transformers QuickGELUActivation
    case Activation::Relu: return torch::relu(x);
    }
    return x;
}

torch::Tensor activateTemporary(Activation activation, torch::Tensor x) {
    if (activation == Activation::Silu && !torch::GradMode::is_enabled()) return torch::silu_(x);
    return activate(activation, x);
}

}  // namespace storybrush::models
