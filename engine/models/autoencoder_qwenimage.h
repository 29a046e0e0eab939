// AutoencoderKLQwenImage (diffusers): Qwen-Image's Wan-style VAE, 16 latent channels with per-channel mean/std.
// It is a video VAE of causal 3-D convolutions; a picture is one frame, for which every causal convolution sees
// two zero frames and then the picture, so only the last time slice of each kernel counts. The modules here are
// that single-frame model in 2-D: the file's 5-D kernels are cut to their last slice when loaded (exact), and the
// temporal resampling convolutions, which a first frame skips, are kept but never run.
#pragma once

#include "models/layers.h"

#include "io/state_dict.h"
#include "runtime/device.h"

#include <nlohmann/json_fwd.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace storybrush::models {

// vae/config.json; defaults are diffusers' (Qwen-Image's own VAE).
struct QwenImageVaeConfig {
    std::int64_t baseDim = 96;
    std::int64_t zDim = 16;
    std::vector<std::int64_t> dimMult{1, 2, 4, 4};
    std::int64_t numResBlocks = 2;
    std::vector<double> attnScales;
    std::vector<bool> temporalDownsample{false, true, true};  // "temperal_downsample" in the file
    std::int64_t inputChannels = 3;
    std::vector<double> latentsMean;  // zDim entries
    std::vector<double> latentsStd;

    std::int64_t scaleFactor() const { return std::int64_t(1) << temporalDownsample.size(); }

    static QwenImageVaeConfig fromFile(const std::string& path);
    static QwenImageVaeConfig fromJson(const nlohmann::json& json, const std::string& source);
};

// ref: QwenImageRMS_norm: L2-normalise over channels (float32), times sqrt(C) and gamma.
struct QwenVaeRmsNormImpl : torch::nn::Module {
    QwenVaeRmsNormImpl(std::int64_t channels, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);

    torch::Tensor gamma;  // [C, 1, 1]
    double scale;
};
TORCH_MODULE(QwenVaeRmsNorm);

// ref: QwenImageResidualBlock: norm1 -> SiLU -> conv1 -> norm2 -> SiLU -> conv2, plus the (1x1) shortcut.
struct QwenVaeResidualBlockImpl : torch::nn::Module {
    QwenVaeResidualBlockImpl(std::int64_t in, std::int64_t out, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);

    QwenVaeRmsNorm norm1{nullptr}, norm2{nullptr};
    Conv2d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};
};
TORCH_MODULE(QwenVaeResidualBlock);

// ref: QwenImageAttentionBlock: one head over the picture's pixels, 1x1 convolutions in and out, residual.
struct QwenVaeAttentionBlockImpl : torch::nn::Module {
    QwenVaeAttentionBlockImpl(std::int64_t channels, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);

    QwenVaeRmsNorm norm{nullptr};
    Conv2d to_qkv{nullptr}, proj{nullptr};
};
TORCH_MODULE(QwenVaeAttentionBlock);

enum class QwenResampleMode { Upsample2d, Upsample3d, Downsample2d, Downsample3d };

// ref: QwenImageResample for a first frame: nearest x2 then a 3x3 convolution to half the channels, or zero
// padding right/bottom then a stride-2 3x3 convolution. time_conv is only run from the second frame on.
struct QwenVaeResampleImpl : torch::nn::Module {
    QwenVaeResampleImpl(std::int64_t channels, QwenResampleMode mode, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);

    QwenResampleMode mode;
    torch::nn::ModuleList resample{nullptr};  // [0] up/padding (no weights), [1] Conv2d
    Conv2d conv{nullptr};
    std::shared_ptr<torch::nn::Module> time_conv;  // 3-D weights as in the file, unused for pictures
};
TORCH_MODULE(QwenVaeResample);

struct QwenVaeMidBlockImpl : torch::nn::Module {
    QwenVaeMidBlockImpl(std::int64_t channels, const torch::TensorOptions& options);
    torch::Tensor forward(torch::Tensor x);

    torch::nn::ModuleList resnets{nullptr};
    torch::nn::ModuleList attentions{nullptr};
};
TORCH_MODULE(QwenVaeMidBlock);

struct AutoencoderQwenImageImpl : torch::nn::Module {
    AutoencoderQwenImageImpl(const QwenImageVaeConfig& config, const torch::TensorOptions& options);

    // z [B, zDim, h, w] as the transformer draws it (normalised); returns pictures [B, 3, h·f, w·f] in [-1, 1].
    torch::Tensor decode(const torch::Tensor& z);
    // The model's own latents (before normalising) <-> pictures, as diffusers' decode()/encode() take them.
    torch::Tensor decodeRaw(const torch::Tensor& z);
    struct Posterior {
        torch::Tensor mean, std;
    };
    Posterior encodeRaw(const torch::Tensor& pictures);  // pictures [B, 3, H, W] in [-1, 1]
    // (mean - latents_mean) / latents_std: what the transformer works with (ref: QwenImageImg2ImgPipeline).
    torch::Tensor encode(const torch::Tensor& pictures);

    QwenImageVaeConfig config;
    std::shared_ptr<torch::nn::Module> encoder, decoder;
    Conv2d encoderConvIn{nullptr}, encoderConvOut{nullptr}, decoderConvIn{nullptr}, decoderConvOut{nullptr};
    torch::nn::ModuleList downBlocks{nullptr};
    QwenVaeMidBlock encoderMid{nullptr}, decoderMid{nullptr};
    QwenVaeRmsNorm encoderNormOut{nullptr}, decoderNormOut{nullptr};
    torch::nn::ModuleList upBlocks{nullptr};
    Conv2d quant_conv{nullptr}, post_quant_conv{nullptr};

private:
    torch::Tensor latentStatistic(const std::vector<double>& values, const torch::Tensor& like) const;
};
TORCH_MODULE(AutoencoderQwenImage);

// The file's tensors as the single-frame modules take them: 5-D convolution kernels cut to their last time
// slice, norm gammas [C, 1, 1(, 1)] to [C, 1, 1]; time_conv kernels stay as they are.
io::StateDict qwenImageVaeSingleFrame(const io::StateDict& file);

AutoencoderQwenImage loadQwenImageVae(const QwenImageVaeConfig& config, const io::StateDict& weights,
                                      const runtime::ComputeTarget& target);

}  // namespace storybrush::models
