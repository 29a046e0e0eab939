// AutoencoderKL (diffusers): encoder, decoder, quant convs and the latent distribution.
#include "models/autoencoder_kl.h"

#include "models/config_json.h"
#include "models/weights.h"

#include <storybrush/error.h>

#include <torch/torch.h>

namespace storybrush::models {

namespace {

// ref: diffusers vae.py Encoder/Decoder: every resnet and norm of the VAE uses eps 1e-6.
constexpr double kVaeEps = 1e-6;

ResnetBlock2D makeResnet(std::int64_t in, std::int64_t out, std::int64_t groups, Activation activation,
                         const torch::TensorOptions& options) {
    ResnetOptions resnet;
    resnet.inChannels = in;
    resnet.outChannels = out;
    resnet.groups = groups;
    resnet.eps = kVaeEps;
    resnet.activation = activation;
    return ResnetBlock2D(resnet, options);
}

AutoencoderKLConfig parse(const JsonConfig& json) {
    AutoencoderKLConfig c;
    const auto className = json.string("_class_name", "AutoencoderKL");
    if (className != "AutoencoderKL") {
        throw Error(ErrorKind::UnsupportedModel,
                    json.source() + " describes a " + className + ", not an AutoencoderKL");
    }
    c.inChannels = json.integer("in_channels", c.inChannels);
    c.outChannels = json.integer("out_channels", c.outChannels);
    c.latentChannels = json.integer("latent_channels", c.latentChannels);
    c.blockOutChannels = json.integers("block_out_channels", c.blockOutChannels);
    if (c.blockOutChannels.empty()) {
        json.fail("block_out_channels", "expected a non-empty list");
    }
    const auto blocks = c.blockOutChannels.size();
    const auto down = json.strings("down_block_types", std::vector<std::string>(blocks, "DownEncoderBlock2D"));
    const auto up = json.strings("up_block_types", std::vector<std::string>(blocks, "UpDecoderBlock2D"));
    if (down.size() != blocks || up.size() != blocks) {
        json.fail("down_block_types", "down_block_types, up_block_types and block_out_channels must have the "
                                      "same length");
    }
    for (const auto& type : down) {
        if (type != "DownEncoderBlock2D") {
            json.fail("down_block_types", type + " is not supported (DownEncoderBlock2D is)");
        }
    }
    for (const auto& type : up) {
        if (type != "UpDecoderBlock2D") {
            json.fail("up_block_types", type + " is not supported (UpDecoderBlock2D is)");
        }
    }
    c.layersPerBlock = json.integer("layers_per_block", c.layersPerBlock);
    c.normNumGroups = json.integer("norm_num_groups", c.normNumGroups);
    c.activation = parseActivation(json.string("act_fn", "silu"), "act_fn", json.source());
    c.midBlockAddAttention = json.boolean("mid_block_add_attention", c.midBlockAddAttention);
    c.useQuantConv = json.boolean("use_quant_conv", c.useQuantConv);
    c.usePostQuantConv = json.boolean("use_post_quant_conv", c.usePostQuantConv);
    c.scalingFactor = json.number("scaling_factor", c.scalingFactor);
    if (json.has("shift_factor")) {
        c.shiftFactor = json.number("shift_factor", 0.0);
    }
    c.forceUpcast = json.boolean("force_upcast", c.forceUpcast);
    if (json.has("latents_mean") || json.has("latents_std")) {
        throw Error(ErrorKind::UnsupportedModel, "latents_mean/latents_std in " + json.source() +
                                                     " (per-channel latent statistics) are not supported yet");
    }
    return c;
}

}  // namespace

AutoencoderKLConfig AutoencoderKLConfig::fromFile(const std::string& path) { return parse(JsonConfig::fromFile(path)); }

AutoencoderKLConfig AutoencoderKLConfig::fromJsonText(const std::string& text, const std::string& source) {
    return parse(JsonConfig::fromText(text, source));
}

AutoencoderKLConfig AutoencoderKLConfig::fromJson(const nlohmann::json& json, const std::string& source) {
    return parse(JsonConfig::fromJson(json, source));
}

VaeMidBlockImpl::VaeMidBlockImpl(std::int64_t channels, std::int64_t groups, Activation activation, bool addAttention,
                                 const torch::TensorOptions& options) {
    resnets = register_module("resnets", torch::nn::ModuleList());
    attentions = register_module("attentions", torch::nn::ModuleList());
    resnets->push_back(makeResnet(channels, channels, groups, activation, options));
    if (addAttention) {
        // ref: UNetMidBlock2D: heads = in_channels // attention_head_dim with attention_head_dim = channels.
        AttentionOptions attention;
        attention.queryDim = channels;
        attention.heads = 1;
        attention.headDim = channels;
        attention.bias = true;
        attention.groupNormGroups = groups;
        attention.groupNormEps = kVaeEps;
        attention.residualConnection = true;
        attentions->push_back(Attention(attention, options));
    }
    resnets->push_back(makeResnet(channels, channels, groups, activation, options));
}

torch::Tensor VaeMidBlockImpl::forward(torch::Tensor x) {
    x = resnets[0]->as<ResnetBlock2DImpl>()->forward(x);
    if (!attentions->is_empty()) {
        x = attentions[0]->as<AttentionImpl>()->forward(x);
    }
    return resnets[1]->as<ResnetBlock2DImpl>()->forward(x);
}

VaeBlockImpl::VaeBlockImpl(std::int64_t layers, std::int64_t inChannels, std::int64_t outChannels, std::int64_t groups,
                           Activation activation, Resample resample, const torch::TensorOptions& options) {
    resnets = register_module("resnets", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < layers; ++i) {
        resnets->push_back(makeResnet(i == 0 ? inChannels : outChannels, outChannels, groups, activation, options));
    }
    if (resample == Resample::Down) {
        // ref: Encoder passes downsample_padding=0: pad right/bottom, then a stride-2 conv.
        downsamplers = register_module("downsamplers", torch::nn::ModuleList());
        downsamplers->push_back(Downsample2D(outChannels, 0, options));
    } else if (resample == Resample::Up) {
        upsamplers = register_module("upsamplers", torch::nn::ModuleList());
        upsamplers->push_back(Upsample2D(outChannels, options));
    }
}

torch::Tensor VaeBlockImpl::forward(torch::Tensor x) {
    for (const auto& resnet : *resnets) {
        x = resnet->as<ResnetBlock2DImpl>()->forward(x);
    }
    if (downsamplers) {
        x = downsamplers[0]->as<Downsample2DImpl>()->forward(x);
    }
    if (upsamplers) {
        x = upsamplers[0]->as<Upsample2DImpl>()->forward(x);
    }
    return x;
}

VaeEncoderImpl::VaeEncoderImpl(const AutoencoderKLConfig& c, const torch::TensorOptions& options)
    : activation(c.activation) {
    const auto& channels = c.blockOutChannels;
    conv_in = register_module("conv_in", Conv2d(c.inChannels, channels[0], 3, 1, 1, options));
    down_blocks = register_module("down_blocks", torch::nn::ModuleList());
    std::int64_t outputChannel = channels[0];
    for (std::size_t i = 0; i < channels.size(); ++i) {
        const auto inputChannel = outputChannel;
        outputChannel = channels[i];
        const bool isFinal = i + 1 == channels.size();
        down_blocks->push_back(VaeBlock(c.layersPerBlock, inputChannel, outputChannel, c.normNumGroups, c.activation,
                                        isFinal ? VaeBlockImpl::Resample::None : VaeBlockImpl::Resample::Down,
                                        options));
    }
    mid_block = register_module(
        "mid_block", VaeMidBlock(channels.back(), c.normNumGroups, c.activation, c.midBlockAddAttention, options));
    conv_norm_out = register_module("conv_norm_out", GroupNorm(c.normNumGroups, channels.back(), kVaeEps, options));
    conv_out = register_module("conv_out", Conv2d(channels.back(), 2 * c.latentChannels, 3, 1, 1, options));
}

torch::Tensor VaeEncoderImpl::forward(torch::Tensor x) {
    x = conv_in(x);
    for (const auto& block : *down_blocks) {
        x = block->as<VaeBlockImpl>()->forward(x);
    }
    x = mid_block(x);
    return conv_out(activateTemporary(activation, conv_norm_out(x)));
}

VaeDecoderImpl::VaeDecoderImpl(const AutoencoderKLConfig& c, const torch::TensorOptions& options)
    : activation(c.activation) {
    const auto& channels = c.blockOutChannels;
    conv_in = register_module("conv_in", Conv2d(c.latentChannels, channels.back(), 3, 1, 1, options));
    mid_block = register_module(
        "mid_block", VaeMidBlock(channels.back(), c.normNumGroups, c.activation, c.midBlockAddAttention, options));
    up_blocks = register_module("up_blocks", torch::nn::ModuleList());
    std::int64_t outputChannel = channels.back();
    for (std::size_t i = 0; i < channels.size(); ++i) {
        const auto prevOutputChannel = outputChannel;
        outputChannel = channels[channels.size() - 1 - i];
        const bool isFinal = i + 1 == channels.size();
        // ref: Decoder: UpDecoderBlock2D(num_layers=layers_per_block + 1, in_channels=prev_output_channel).
        up_blocks->push_back(VaeBlock(c.layersPerBlock + 1, prevOutputChannel, outputChannel, c.normNumGroups,
                                      c.activation, isFinal ? VaeBlockImpl::Resample::None : VaeBlockImpl::Resample::Up,
                                      options));
    }
    conv_norm_out = register_module("conv_norm_out", GroupNorm(c.normNumGroups, channels[0], kVaeEps, options));
    conv_out = register_module("conv_out", Conv2d(channels[0], c.outChannels, 3, 1, 1, options));
}

torch::Tensor VaeDecoderImpl::forward(torch::Tensor z) {
    auto x = conv_in(z);
    x = mid_block(x);
    for (const auto& block : *up_blocks) {
        x = block->as<VaeBlockImpl>()->forward(x);
    }
    return conv_out(activateTemporary(activation, conv_norm_out(x)));
}

AutoencoderKLImpl::AutoencoderKLImpl(const AutoencoderKLConfig& cfg, const torch::TensorOptions& options)
    : config(cfg) {
    encoder = register_module("encoder", VaeEncoder(cfg, options));
    decoder = register_module("decoder", VaeDecoder(cfg, options));
    if (cfg.useQuantConv) {
        quant_conv =
            register_module("quant_conv", Conv2d(2 * cfg.latentChannels, 2 * cfg.latentChannels, 1, 1, 0, options));
    }
    if (cfg.usePostQuantConv) {
        post_quant_conv =
            register_module("post_quant_conv", Conv2d(cfg.latentChannels, cfg.latentChannels, 1, 1, 0, options));
    }
}

LatentDistribution AutoencoderKLImpl::encode(const torch::Tensor& image) {
    if (image.dim() != 4 || image.size(1) != config.inChannels) {
        throw Error(ErrorKind::InvalidRequest, "VAE encode got an image of shape " + shapeString(image.sizes()) +
                                                   "; expected [B, " + std::to_string(config.inChannels) + ", H, W]");
    }
    // The encoder may wait in main memory (parkEncoder) until a picture is first encoded.
    if (encoder->conv_in->weight.device() != image.device()) {
        encoder->to(image.device());
        if (quant_conv) quant_conv->to(image.device());
    }
    auto moments = encoder(image);
    if (quant_conv) {
        moments = quant_conv(moments);
    }
    auto parts = moments.chunk(2, 1);
    auto logvar = parts[1].clamp(-30.0, 20.0);
    return {parts[0], torch::exp(0.5 * logvar)};
}

void AutoencoderKLImpl::parkEncoder() {
    encoder->to(torch::kCPU);
    if (quant_conv) quant_conv->to(torch::kCPU);
}

torch::Tensor AutoencoderKLImpl::decode(const torch::Tensor& latents) {
    if (latents.dim() != 4 || latents.size(1) != config.latentChannels) {
        throw Error(ErrorKind::InvalidRequest, "VAE decode got latents of shape " + shapeString(latents.sizes()) +
                                                   "; expected [B, " + std::to_string(config.latentChannels) +
                                                   ", h, w]");
    }
    auto z = post_quant_conv ? post_quant_conv(latents) : latents;
    const auto& first = decoder->conv_in->weight;
    if (first.is_contiguous(at::MemoryFormat::ChannelsLast) && !first.is_contiguous())
        z = z.contiguous(at::MemoryFormat::ChannelsLast);  // weights stored NHWC (useChannelsLast)
    return decoder(z);
}

AutoencoderKL loadAutoencoderKL(const AutoencoderKLConfig& config, const io::StateDict& weights,
                                const runtime::ComputeTarget& target) {
    return loadModule<AutoencoderKL>(config, weights, target);
}

}  // namespace storybrush::models
