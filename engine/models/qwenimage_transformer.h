// QwenImageTransformer2DModel (diffusers): Qwen-Image's MMDiT. Text and picture tokens keep their own weights
// (projections, norms, MLPs, AdaLN modulation) and meet in one joint attention with 3-axis RoPE.
#pragma once

#include "models/layers.h"

#include "io/state_dict.h"
#include "runtime/device.h"

#include <nlohmann/json_fwd.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace storybrush::models {

// transformer/config.json. Defaults are diffusers' (the 20 B model).
struct QwenImageTransformerConfig {
    std::int64_t patchSize = 2;
    std::int64_t inChannels = 64;   // latent channels x patch area
    std::int64_t outChannels = 16;  // latent channels
    std::int64_t numLayers = 60;
    std::int64_t headDim = 128;
    std::int64_t heads = 24;
    std::int64_t jointAttentionDim = 3584;                 // the text encoder's width
    std::array<std::int64_t, 3> axesDimsRope{16, 56, 56};  // frame, height, width; sums to headDim

    std::int64_t innerDim() const { return heads * headDim; }

    // Throws Error(ModelFile) for a malformed field, and names the variants (Edit, Layered, guidance-distilled)
    // that need inputs this engine does not give.
    static QwenImageTransformerConfig fromFile(const std::string& path);
    static QwenImageTransformerConfig fromJson(const nlohmann::json& json, const std::string& source);
};

// The rotary angles of one call: picture tokens then text tokens, [tokens, headDim / 2] in float32 each.
struct QwenRope {
    torch::Tensor imageCos, imageSin, textCos, textSin;
};

// ref: diffusers QwenEmbedRope (scale_rope=True, theta 10000): a picture of gridH x gridW patches gets frame 0
// and centred rows/columns (-H/2 .. H/2-1); text tokens continue after max(H/2, W/2) on all three axes.
QwenRope qwenImageRope(const QwenImageTransformerConfig& config, std::int64_t gridHeight, std::int64_t gridWidth,
                       std::int64_t textTokens, const torch::Device& device);

// FP16 safety. The trained model's residual streams reach ~2e7, past FP16's 65504 (ComfyUI #10751: black
// pictures). In FP16 each stream is kept multiplied by a power of two `scale` (a device scalar, float32) that
// holds its largest value near 2^11; the norms that read the streams do not care about their scale, and every
// branch writes into them through its last linear layer with the input and bias multiplied by `scale`, so no
// FP16 value ever holds the unscaled stream. After each block the scale is renewed (exactly: powers of two).
struct QwenStream {
    torch::Tensor hidden;  // [B, S, dim], multiplied by `scale` when it is defined
    torch::Tensor scale;   // undefined: not scaled (BF16, FP32)
};

// y = W x + b computed as W (s x) + s b: the output already at the stream's scale (s undefined: plain).
torch::Tensor linearIntoStream(const Linear& layer, const torch::Tensor& x, const torch::Tensor& scale);

// ref: QwenDoubleStreamAttnProcessor2_0: per-stream q/k/v, RMS-normed q/k per head, RoPE, one attention over
// [text; picture], then per-stream output projections.
struct QwenJointAttentionImpl : torch::nn::Module {
    QwenJointAttentionImpl(std::int64_t dim, std::int64_t heads, std::int64_t headDim,
                           const torch::TensorOptions& options);
    // image [B, N, dim], text [B, T, dim]; textMask [B, T] bool (true = a real token) or undefined (all real).
    // Returns the image and text outputs at the scales given (see QwenStream).
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& image, const torch::Tensor& text,
                                                    const torch::Tensor& textMask, const QwenRope& rope,
                                                    const torch::Tensor& imageScale = {},
                                                    const torch::Tensor& textScale = {});

    std::int64_t heads;
    std::int64_t headDim;
    Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr};
    Linear add_q_proj{nullptr}, add_k_proj{nullptr}, add_v_proj{nullptr};
    RmsNorm norm_q{nullptr}, norm_k{nullptr}, norm_added_q{nullptr}, norm_added_k{nullptr};
    torch::nn::ModuleList to_out{nullptr};  // [0]: imageOutProjection
    Linear imageOutProjection{nullptr};
    Linear to_add_out{nullptr};
};
TORCH_MODULE(QwenJointAttention);

// ref: diffusers FeedForward(activation_fn="gelu-approximate"): net.0.proj -> tanh GELU -> net.2.
struct QwenFeedForwardImpl : torch::nn::Module {
    QwenFeedForwardImpl(std::int64_t dim, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& outScale = {});

    torch::nn::ModuleList net{nullptr};
    Linear proj{nullptr};
    Linear out{nullptr};
};
TORCH_MODULE(QwenFeedForward);

// ref: diffusers QwenImageTransformerBlock.
struct QwenImageTransformerBlockImpl : torch::nn::Module {
    QwenImageTransformerBlockImpl(const QwenImageTransformerConfig& config, const torch::TensorOptions& options);
    // Updates both streams in place of the inputs (ref: returns (text, image)).
    void forward(QwenStream& image, QwenStream& text, const torch::Tensor& textMask, const torch::Tensor& temb,
                 const QwenRope& rope);

    torch::nn::ModuleList img_mod{nullptr};  // [0] SiLU (no weights), [1] Linear(dim, 6 dim)
    torch::nn::ModuleList txt_mod{nullptr};
    Linear imageModulation{nullptr};
    Linear textModulation{nullptr};
    QwenJointAttention attn{nullptr};
    QwenFeedForward img_mlp{nullptr};
    QwenFeedForward txt_mlp{nullptr};
};
TORCH_MODULE(QwenImageTransformerBlock);

struct QwenImageTransformer2DModelImpl : torch::nn::Module {
    QwenImageTransformer2DModelImpl(const QwenImageTransformerConfig& config, const torch::TensorOptions& options);

    // image: packed latents [B, gridH * gridW, inChannels]; text: the encoder's states [B, T, jointAttentionDim];
    // textMask [B, T] (bool or 0/1) or undefined; timestep [B] in [0, 1] (sigma). Returns [B, N, patch² x out].
    torch::Tensor forward(const torch::Tensor& image, const torch::Tensor& text, const torch::Tensor& textMask,
                          const torch::Tensor& timestep, std::int64_t gridHeight, std::int64_t gridWidth);

    // For cards that cannot hold the blocks: they stay in (pinned) main memory and each is copied into one block's
    // worth of GPU memory just before it runs; everything else moves to `device`. onBlock(i, n) is told as each
    // block's weights arrive (the studio's progress while weights stream).
    void streamBlocksFrom(const torch::Device& device);
    bool streamingBlocks() const { return static_cast<bool>(m_staging); }
    // Module::to for this model: also carries the FP8 scales (they are no parameters).
    void moveTo(const torch::Device& device);
    std::function<void(int, int)> onBlockStreamed;

    // The blocks' linear layers (nearly all of the 20 B weights) kept in FP8 with a scale per tensor: 41 GB of
    // BF16 become 20 GB, within a 24 GB card. See storeAsFloat8.
    void storeBlockWeightsAsFloat8(const torch::Device& work = torch::kCPU);

    QwenImageTransformerConfig config;
    // Scaled streams (see QwenStream): unset = in FP16 only. Tests switch it on in FP32 to prove it exact, and
    // off in FP16 to show what it prevents.
    std::optional<bool> scaleStreams;
    // For the FP16 proof only: multiplies both streams right after img_in/txt_in, as the trained model's huge
    // activations would (1 in drawing).
    double streamGainForTest = 1.0;
    std::shared_ptr<torch::nn::Module> time_text_embed;  // holds "timestep_embedder" (linear_1, linear_2)
    Linear timestepLinear1{nullptr}, timestepLinear2{nullptr};
    RmsNorm txt_norm{nullptr};
    Linear img_in{nullptr};
    Linear txt_in{nullptr};
    torch::nn::ModuleList transformer_blocks{nullptr};
    std::shared_ptr<torch::nn::Module> norm_out;  // AdaLayerNormContinuous: "linear" gives scale, then shift
    Linear normOutLinear{nullptr};
    Linear proj_out{nullptr};

private:
    QwenImageTransformerBlock m_staging{nullptr};  // the GPU copy the streamed blocks take turns in
};
TORCH_MODULE(QwenImageTransformer2DModel);

// Latents [B, C, H, W] <-> the transformer's 2x2 patches [B, (H/2)(W/2), 4C] (ref: QwenImagePipeline._pack_latents).
torch::Tensor packQwenLatents(const torch::Tensor& latents);
torch::Tensor unpackQwenLatents(const torch::Tensor& packed, std::int64_t latentHeight, std::int64_t latentWidth);

QwenImageTransformer2DModel loadQwenImageTransformer(const QwenImageTransformerConfig& config,
                                                     const io::StateDict& weights,
                                                     const runtime::ComputeTarget& target);

}  // namespace storybrush::models
