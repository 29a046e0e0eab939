// AutoencoderKLQwenImage for single pictures. ref: diffusers models/autoencoders/autoencoder_kl_qwenimage.py.
#include "models/autoencoder_qwenimage.h"

#include "models/config_json.h"
#include "models/weights.h"
#include "runtime/torch_compat.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>

namespace storybrush::models {

namespace {

std::vector<double> numbers(const JsonConfig& json, const char* field, std::vector<double> fallback) {
    if (!json.has(field)) return fallback;
    const auto& value = json.raw()[field];
    if (!value.is_array()) json.fail(field, "must be a list of numbers");
    std::vector<double> out;
    for (const auto& item : value) {
        if (!item.is_number()) json.fail(field, "must be a list of numbers");
        out.push_back(item.get<double>());
    }
    return out;
}

QwenImageVaeConfig parse(const JsonConfig& json) {
    QwenImageVaeConfig c;
    c.baseDim = json.integer("base_dim", c.baseDim);
    c.zDim = json.integer("z_dim", c.zDim);
    c.dimMult = json.integers("dim_mult", c.dimMult);
    c.numResBlocks = json.integer("num_res_blocks", c.numResBlocks);
    c.attnScales = numbers(json, "attn_scales", {});
    c.inputChannels = json.integer("input_channels", c.inputChannels);
    if (json.has("temperal_downsample"))
        c.temporalDownsample = json.perBlockBool("temperal_downsample", c.dimMult.size() - 1, false);
    c.latentsMean = numbers(json, "latents_mean", {});
    c.latentsStd = numbers(json, "latents_std", {});
    if (!json.has("latents_mean") && c.zDim == 16)  // diffusers' defaults are Qwen-Image's statistics
        c.latentsMean = {-0.7571, -0.7089, -0.9113, 0.1075,  -0.1745, 0.9653,  -0.1517, 1.5508,
                         0.4134,  -0.0715, 0.5517,  -0.3632, -0.1922, -0.9497, 0.2503,  -0.2921};
    if (!json.has("latents_std") && c.zDim == 16)
        c.latentsStd = {2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                        3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160};
    if (c.baseDim <= 0 || c.zDim <= 0 || c.numResBlocks <= 0 || c.dimMult.size() < 2 || c.inputChannels <= 0)
        json.fail("dim_mult", "needs at least two levels and positive sizes");
    if (c.temporalDownsample.size() != c.dimMult.size() - 1)
        json.fail("temperal_downsample", "needs one entry per level but the last");
    if (static_cast<std::int64_t>(c.latentsMean.size()) != c.zDim ||
        static_cast<std::int64_t>(c.latentsStd.size()) != c.zDim)
        json.fail("latents_mean", "latents_mean and latents_std need one entry per latent channel (z_dim)");
    for (double s : c.latentsStd)
        if (!(s > 0)) json.fail("latents_std", "every entry must be positive");
    return c;
}

// A causal 3-D convolution on a first frame: the 2-D convolution with the kernel's last time slice.
Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t kernel, const torch::TensorOptions& options) {
    return Conv2d(in, out, kernel, 1, kernel / 2, options);
}

torch::Tensor forwardAny(const std::shared_ptr<torch::nn::Module>& module, torch::Tensor x) {
    if (auto* block = module->as<QwenVaeResidualBlockImpl>()) return block->forward(x);
    if (auto* attention = module->as<QwenVaeAttentionBlockImpl>()) return attention->forward(x);
    return module->as<QwenVaeResampleImpl>()->forward(x);
}

}  // namespace

QwenImageVaeConfig QwenImageVaeConfig::fromFile(const std::string& path) { return parse(JsonConfig::fromFile(path)); }

QwenImageVaeConfig QwenImageVaeConfig::fromJson(const nlohmann::json& json, const std::string& source) {
    return parse(JsonConfig::fromJson(json, source));
}

QwenVaeRmsNormImpl::QwenVaeRmsNormImpl(std::int64_t channels, const torch::TensorOptions& options)
    : scale(std::sqrt(static_cast<double>(channels))) {
    gamma = register_parameter("gamma", torch::empty({channels, 1, 1}, options), false);
}

torch::Tensor QwenVaeRmsNormImpl::forward(const torch::Tensor& x) {
    const auto wide = x.to(torch::kFloat32);
    const auto norm = wide.pow(2).sum(1, /*keepdim=*/true).sqrt().clamp_min(1e-12);  // ref: F.normalize
    return (wide / norm).to(x.scalar_type()) * scale * gamma;
}

QwenVaeResidualBlockImpl::QwenVaeResidualBlockImpl(std::int64_t in, std::int64_t out,
                                                   const torch::TensorOptions& options) {
    norm1 = register_module("norm1", QwenVaeRmsNorm(in, options));
    conv1 = register_module("conv1", conv(in, out, 3, options));
    norm2 = register_module("norm2", QwenVaeRmsNorm(out, options));
    conv2 = register_module("conv2", conv(out, out, 3, options));
    if (in != out) conv_shortcut = register_module("conv_shortcut", conv(in, out, 1, options));
}

torch::Tensor QwenVaeResidualBlockImpl::forward(const torch::Tensor& x) {
    const auto shortcut = conv_shortcut ? conv_shortcut(x) : x;
    auto h = conv1(torch::silu(norm1(x)));
    h = conv2(torch::silu(norm2(h)));
    return h + shortcut;
}

QwenVaeAttentionBlockImpl::QwenVaeAttentionBlockImpl(std::int64_t channels, const torch::TensorOptions& options) {
    norm = register_module("norm", QwenVaeRmsNorm(channels, options));
    to_qkv = register_module("to_qkv", Conv2d(channels, channels * 3, 1, 1, 0, options));
    proj = register_module("proj", Conv2d(channels, channels, 1, 1, 0, options));
}

torch::Tensor QwenVaeAttentionBlockImpl::forward(const torch::Tensor& x) {
    const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    const auto qkv = to_qkv(norm(x)).reshape({b, 1, c * 3, h * w}).permute({0, 1, 3, 2}).contiguous().chunk(3, -1);
    const auto out = runtime::scaledDotProductAttention(qkv[0], qkv[1], qkv[2]);  // [B, 1, HW, C]
    return proj(out.squeeze(1).permute({0, 2, 1}).reshape({b, c, h, w})) + x;
}

QwenVaeResampleImpl::QwenVaeResampleImpl(std::int64_t channels, QwenResampleMode resampleMode,
                                         const torch::TensorOptions& options)
    : mode(resampleMode) {
    const bool up = mode == QwenResampleMode::Upsample2d || mode == QwenResampleMode::Upsample3d;
    conv = up ? Conv2d(channels, channels / 2, 3, 1, 1, options) : Conv2d(channels, channels, 3, 2, 0, options);
    resample = register_module("resample", torch::nn::ModuleList(torch::nn::Identity(), conv));
    if (mode == QwenResampleMode::Upsample3d || mode == QwenResampleMode::Downsample3d) {
        const auto out = mode == QwenResampleMode::Upsample3d ? channels * 2 : channels;
        time_conv = register_module("time_conv", std::make_shared<torch::nn::Module>());
        time_conv->register_parameter("weight", torch::empty({out, channels, 3, 1, 1}, options), false);
        time_conv->register_parameter("bias", torch::empty({out}, options), false);
    }
}

torch::Tensor QwenVaeResampleImpl::forward(const torch::Tensor& x) {
    if (mode == QwenResampleMode::Upsample2d || mode == QwenResampleMode::Upsample3d)
        return conv(torch::upsample_nearest2d(x, std::vector<std::int64_t>{x.size(2) * 2, x.size(3) * 2}));
    return conv(torch::constant_pad_nd(x, {0, 1, 0, 1}, 0));
}

QwenVaeMidBlockImpl::QwenVaeMidBlockImpl(std::int64_t channels, const torch::TensorOptions& options) {
    resnets = register_module("resnets", torch::nn::ModuleList(QwenVaeResidualBlock(channels, channels, options),
                                                               QwenVaeResidualBlock(channels, channels, options)));
    attentions = register_module("attentions", torch::nn::ModuleList(QwenVaeAttentionBlock(channels, options)));
}

torch::Tensor QwenVaeMidBlockImpl::forward(torch::Tensor x) {
    x = resnets[0]->as<QwenVaeResidualBlockImpl>()->forward(x);
    x = attentions[0]->as<QwenVaeAttentionBlockImpl>()->forward(x);
    return resnets[1]->as<QwenVaeResidualBlockImpl>()->forward(x);
}

AutoencoderQwenImageImpl::AutoencoderQwenImageImpl(const QwenImageVaeConfig& c, const torch::TensorOptions& options)
    : config(c) {
    const auto levels = c.dimMult.size();
    // ref: QwenImageEncoder3d
    encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
    std::vector<std::int64_t> dims{c.baseDim};
    for (auto m : c.dimMult) dims.push_back(c.baseDim * m);
    encoderConvIn = encoder->register_module("conv_in", conv(c.inputChannels, dims[0], 3, options));
    downBlocks = encoder->register_module("down_blocks", torch::nn::ModuleList());
    double scale = 1.0;
    for (std::size_t i = 0; i < levels; ++i) {
        auto in = dims[i];
        const auto out = dims[i + 1];
        for (std::int64_t r = 0; r < c.numResBlocks; ++r) {
            downBlocks->push_back(QwenVaeResidualBlock(in, out, options));
            if (std::find(c.attnScales.begin(), c.attnScales.end(), scale) != c.attnScales.end())
                downBlocks->push_back(QwenVaeAttentionBlock(out, options));
            in = out;
        }
        if (i + 1 != levels) {
            downBlocks->push_back(QwenVaeResample(
                out, c.temporalDownsample[i] ? QwenResampleMode::Downsample3d : QwenResampleMode::Downsample2d,
                options));
            scale /= 2.0;
        }
    }
    encoderMid = encoder->register_module("mid_block", QwenVaeMidBlock(dims.back(), options));
    encoderNormOut = encoder->register_module("norm_out", QwenVaeRmsNorm(dims.back(), options));
    encoderConvOut = encoder->register_module("conv_out", conv(dims.back(), c.zDim * 2, 3, options));
    quant_conv = register_module("quant_conv", Conv2d(c.zDim * 2, c.zDim * 2, 1, 1, 0, options));
    post_quant_conv = register_module("post_quant_conv", Conv2d(c.zDim, c.zDim, 1, 1, 0, options));

    // ref: QwenImageDecoder3d; the time upsampling mirrors the encoder's downsampling.
    decoder = register_module("decoder", std::make_shared<torch::nn::Module>());
    std::vector<std::int64_t> up{c.baseDim * c.dimMult.back()};
    for (auto it = c.dimMult.rbegin(); it != c.dimMult.rend(); ++it) up.push_back(c.baseDim * *it);
    decoderConvIn = decoder->register_module("conv_in", conv(c.zDim, up[0], 3, options));
    decoderMid = decoder->register_module("mid_block", QwenVaeMidBlock(up[0], options));
    upBlocks = decoder->register_module("up_blocks", torch::nn::ModuleList());
    for (std::size_t i = 0; i < levels; ++i) {
        auto in = i > 0 ? up[i] / 2 : up[i];
        const auto out = up[i + 1];
        auto block = std::make_shared<torch::nn::Module>();
        auto resnets = block->register_module("resnets", torch::nn::ModuleList());
        for (std::int64_t r = 0; r <= c.numResBlocks; ++r) {
            resnets->push_back(QwenVaeResidualBlock(in, out, options));
            in = out;
        }
        if (i + 1 != levels) {
            const bool temporal = c.temporalDownsample[levels - 2 - i];
            block->register_module(
                "upsamplers",
                torch::nn::ModuleList(QwenVaeResample(
                    out, temporal ? QwenResampleMode::Upsample3d : QwenResampleMode::Upsample2d, options)));
        }
        upBlocks->push_back(block);
    }
    decoderNormOut = decoder->register_module("norm_out", QwenVaeRmsNorm(up.back(), options));
    decoderConvOut = decoder->register_module("conv_out", conv(up.back(), c.inputChannels, 3, options));
}

torch::Tensor AutoencoderQwenImageImpl::latentStatistic(const std::vector<double>& values,
                                                        const torch::Tensor& like) const {
    return torch::tensor(values, torch::TensorOptions().dtype(torch::kFloat64))
        .to(like.options())
        .view({1, config.zDim, 1, 1});
}

torch::Tensor AutoencoderQwenImageImpl::decodeRaw(const torch::Tensor& z) {
    auto x = decoderConvIn(post_quant_conv(z));
    x = decoderMid(x);
    for (const auto& block : *upBlocks) {
        for (const auto& resnet : *block->named_children()["resnets"]->as<torch::nn::ModuleListImpl>())
            x = resnet->as<QwenVaeResidualBlockImpl>()->forward(x);
        const auto children = block->named_children();
        if (children.contains("upsamplers"))
            x = children["upsamplers"]->as<torch::nn::ModuleListImpl>()->ptr(0)->as<QwenVaeResampleImpl>()->forward(x);
    }
    x = decoderConvOut(torch::silu(decoderNormOut(x)));
    return x.clamp(-1.0, 1.0);
}

torch::Tensor AutoencoderQwenImageImpl::decode(const torch::Tensor& z) {
    if (z.dim() != 4 || z.size(1) != config.zDim)
        throw Error(ErrorKind::InvalidRequest, "Qwen-Image VAE: expected latents [B, " + std::to_string(config.zDim) +
                                                   ", h, w], got " + shapeString(z.sizes()));
    return decodeRaw(z * latentStatistic(config.latentsStd, z) + latentStatistic(config.latentsMean, z));
}

AutoencoderQwenImageImpl::Posterior AutoencoderQwenImageImpl::encodeRaw(const torch::Tensor& pictures) {
    auto x = encoderConvIn(pictures);
    for (const auto& layer : *downBlocks) x = forwardAny(layer, x);
    x = encoderMid(x);
    x = quant_conv(encoderConvOut(torch::silu(encoderNormOut(x))));
    const auto parts = x.chunk(2, 1);
    return {parts[0], torch::exp(0.5 * parts[1].clamp(-30.0, 20.0))};
}

torch::Tensor AutoencoderQwenImageImpl::encode(const torch::Tensor& pictures) {
    const auto mean = encodeRaw(pictures).mean;
    return (mean - latentStatistic(config.latentsMean, mean)) / latentStatistic(config.latentsStd, mean);
}

io::StateDict qwenImageVaeSingleFrame(const io::StateDict& file) {
    io::StateDict out;
    out.source = file.source;
    for (const auto& [key, tensor] : file.tensors) {
        const bool timeConv = key.find(".time_conv.") != std::string::npos;
        const bool gamma = key.size() > 6 && key.compare(key.size() - 6, 6, ".gamma") == 0;
        if (!timeConv && tensor.dim() == 5) out.tensors[key] = tensor.select(2, tensor.size(2) - 1);
        else if (gamma && tensor.dim() >= 1) out.tensors[key] = tensor.reshape({tensor.size(0), 1, 1});
        else out.tensors[key] = tensor;
    }
    return out;
}

AutoencoderQwenImage loadQwenImageVae(const QwenImageVaeConfig& config, const io::StateDict& weights,
                                      const runtime::ComputeTarget& target) {
    return loadModule<AutoencoderQwenImage>(config, qwenImageVaeSingleFrame(weights), target);
}

}  // namespace storybrush::models
