// AutoencoderKL (diffusers): the VAE that turns images into latents (encode: mean and std of the latent
// distribution) and latents back into images (decode, raw: the pipeline applies scaling_factor).
#pragma once

#include "models/attention.h"
#include "models/layers.h"
#include "models/resnet.h"

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

// The fields of diffusers' AutoencoderKL config.json. Defaults are diffusers'.
struct AutoencoderKLConfig {
    std::int64_t inChannels = 3;
    std::int64_t outChannels = 3;
    std::int64_t latentChannels = 4;
    std::vector<std::int64_t> blockOutChannels{64};
    std::int64_t layersPerBlock = 1;
    std::int64_t normNumGroups = 32;
    Activation activation = Activation::Silu;
    bool midBlockAddAttention = true;
    bool useQuantConv = true;
    bool usePostQuantConv = true;
    // For the pipeline: latents = (mean + std * noise - shift) * scaling; decode(latents / scaling + shift).
    double scalingFactor = 0.18215;
    std::optional<double> shiftFactor;
    bool forceUpcast = true;  // the published SD VAEs overflow in fp16 (SDXL's most of all): decode in fp32

    static AutoencoderKLConfig fromFile(const std::string& path);
    static AutoencoderKLConfig fromJsonText(const std::string& text, const std::string& source);
    // The same from a parsed config (io::Checkpoint's unetConfig / vaeConfig / textEncoderConfig).
    static AutoencoderKLConfig fromJson(const nlohmann::json& json, const std::string& source);
};

// ref: diffusers UNetMidBlock2D as the VAE uses it: resnets.0, then (attentions.0, resnets.1); the
// attention is one head over all channels with group_norm and a residual connection.
struct VaeMidBlockImpl : torch::nn::Module {
    VaeMidBlockImpl(std::int64_t channels, std::int64_t groups, Activation activation, bool addAttention,
                    const torch::TensorOptions& options);
    torch::Tensor forward(torch::Tensor x);

    torch::nn::ModuleList resnets{nullptr};
    torch::nn::ModuleList attentions{nullptr};
};
TORCH_MODULE(VaeMidBlock);

// ref: diffusers DownEncoderBlock2D / UpDecoderBlock2D: resnets, then downsamplers.0 or upsamplers.0.
struct VaeBlockImpl : torch::nn::Module {
    enum class Resample { None, Down, Up };
    VaeBlockImpl(std::int64_t layers, std::int64_t inChannels, std::int64_t outChannels, std::int64_t groups,
                 Activation activation, Resample resample, const torch::TensorOptions& options);
    torch::Tensor forward(torch::Tensor x);

    torch::nn::ModuleList resnets{nullptr};
    torch::nn::ModuleList downsamplers{nullptr};
    torch::nn::ModuleList upsamplers{nullptr};
};
TORCH_MODULE(VaeBlock);

// ref: diffusers autoencoders/vae.py Encoder (double_z: 2 x latent channels out).
struct VaeEncoderImpl : torch::nn::Module {
    VaeEncoderImpl(const AutoencoderKLConfig& config, const torch::TensorOptions& options);
    torch::Tensor forward(torch::Tensor x);

    Activation activation;
    Conv2d conv_in{nullptr};
    torch::nn::ModuleList down_blocks{nullptr};
    VaeMidBlock mid_block{nullptr};
    GroupNorm conv_norm_out{nullptr};
    Conv2d conv_out{nullptr};
};
TORCH_MODULE(VaeEncoder);

// ref: diffusers autoencoders/vae.py Decoder.
struct VaeDecoderImpl : torch::nn::Module {
    VaeDecoderImpl(const AutoencoderKLConfig& config, const torch::TensorOptions& options);
    torch::Tensor forward(torch::Tensor z);

    Activation activation;
    Conv2d conv_in{nullptr};
    VaeMidBlock mid_block{nullptr};
    torch::nn::ModuleList up_blocks{nullptr};
    GroupNorm conv_norm_out{nullptr};
    Conv2d conv_out{nullptr};
};
TORCH_MODULE(VaeDecoder);

// The diagonal Gaussian the encoder predicts for each latent element.
struct LatentDistribution {
    torch::Tensor mean;
    torch::Tensor std;
};

// ref: diffusers autoencoders/autoencoder_kl.py AutoencoderKL.
struct AutoencoderKLImpl : torch::nn::Module {
    AutoencoderKLImpl(const AutoencoderKLConfig& config, const torch::TensorOptions& options);

    // image [B, 3, H, W] in [-1, 1] -> mean and std [B, latent, H/8, W/8]
    // (ref: DiagonalGaussianDistribution: logvar clamped to [-30, 20], std = exp(logvar / 2)).
    LatentDistribution encode(const torch::Tensor& image);
    // Keeps the encoder (and quant_conv) in main memory until encode() first needs it on the image's device: a
    // GPU drawing only text-to-image pictures never holds it (SD's encoder: 68 MB in BF16).
    void parkEncoder();
    // latents [B, latent, h, w] as they are (no scaling factor) -> image [B, 3, 8h, 8w], about [-1, 1].
    torch::Tensor decode(const torch::Tensor& latents);

    AutoencoderKLConfig config;
    VaeEncoder encoder{nullptr};
    VaeDecoder decoder{nullptr};
    Conv2d quant_conv{nullptr};
    Conv2d post_quant_conv{nullptr};
};
TORCH_MODULE(AutoencoderKL);

// Builds on `target`, loads `weights` strictly (see weights.h), sets eval mode.
AutoencoderKL loadAutoencoderKL(const AutoencoderKLConfig& config, const io::StateDict& weights,
                                const runtime::ComputeTarget& target);

}  // namespace storybrush::models
