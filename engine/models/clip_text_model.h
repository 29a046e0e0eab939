// CLIPTextModel / CLIPTextModelWithProjection (transformers): token ids -> hidden states for the UNet's
// cross-attention, per-layer states for clip skip, and the pooled (projected) embedding SDXL needs.
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
#include <optional>
#include <string>
#include <vector>

namespace storybrush::models {

// The fields of a transformers CLIPTextConfig (text_encoder/config.json). Defaults are transformers'.
struct ClipTextConfig {
    std::int64_t hiddenSize = 512;
    std::int64_t numHiddenLayers = 12;
    std::int64_t numAttentionHeads = 8;
    std::int64_t intermediateSize = 2048;
    Activation hiddenAct = Activation::QuickGelu;  // SD 1.x: quick_gelu (OpenAI CLIP); SD 2.x / SDXL: gelu
    std::int64_t maxPositionEmbeddings = 77;
    std::int64_t vocabSize = 49408;
    double layerNormEps = 1e-5;
    std::int64_t eosTokenId = 2;  // transformers' default; SD configs say 49407
    std::int64_t padTokenId = 1;
    // CLIPTextModelWithProjection (SDXL's second encoder): text_projection [projection_dim, hidden].
    bool withProjection = false;
    std::int64_t projectionDim = 512;

    // Reads text_encoder/config.json. Throws Error(ModelFile) for a malformed field.
    static ClipTextConfig fromFile(const std::string& path);
    static ClipTextConfig fromJsonText(const std::string& text, const std::string& source);
    // The same from a parsed config (io::Checkpoint's unetConfig / vaeConfig / textEncoderConfig).
    static ClipTextConfig fromJson(const nlohmann::json& json, const std::string& source);
};

struct ClipTextOutput {
    torch::Tensor lastHiddenState;            // [B, T, hidden], after final_layer_norm
    std::vector<torch::Tensor> hiddenStates;  // embeddings, then each layer's output (layers + 1 entries)
    torch::Tensor pooled;                     // lastHiddenState at each sequence's first EOS token [B, hidden]
    torch::Tensor textEmbeds;                 // text_projection(pooled) [B, projection_dim]; WithProjection only
};

// ref: transformers CLIPAttention: q/k/v/out_proj with bias, softmax(q k^T / sqrt(d) + mask) v.
struct ClipAttentionImpl : torch::nn::Module {
    ClipAttentionImpl(std::int64_t hidden, std::int64_t heads, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& additiveMask);

    std::int64_t heads;
    Linear k_proj{nullptr};
    Linear v_proj{nullptr};
    Linear q_proj{nullptr};
    Linear out_proj{nullptr};
};
TORCH_MODULE(ClipAttention);

struct ClipMlpImpl : torch::nn::Module {
    ClipMlpImpl(std::int64_t hidden, std::int64_t intermediate, Activation act, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);

    Activation activation;
    Linear fc1{nullptr};
    Linear fc2{nullptr};
};
TORCH_MODULE(ClipMlp);

// ref: transformers CLIPEncoderLayer (pre-norm): x += attn(ln1(x)); x += mlp(ln2(x)).
struct ClipEncoderLayerImpl : torch::nn::Module {
    ClipEncoderLayerImpl(const ClipTextConfig& config, const torch::TensorOptions& options);
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& additiveMask);

    ClipAttention self_attn{nullptr};
    LayerNorm layer_norm1{nullptr};
    ClipMlp mlp{nullptr};
    LayerNorm layer_norm2{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

struct ClipTextEmbeddingsImpl : torch::nn::Module {
    ClipTextEmbeddingsImpl(const ClipTextConfig& config, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& inputIds);

    Embedding token_embedding{nullptr};
    Embedding position_embedding{nullptr};
};
TORCH_MODULE(ClipTextEmbeddings);

struct ClipEncoderImpl : torch::nn::Module {
    ClipEncoderImpl(const ClipTextConfig& config, const torch::TensorOptions& options);
    torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(ClipEncoder);

// ref: transformers CLIPTextTransformer ("text_model").
struct ClipTextTransformerImpl : torch::nn::Module {
    ClipTextTransformerImpl(const ClipTextConfig& config, const torch::TensorOptions& options);

    ClipTextEmbeddings embeddings{nullptr};
    ClipEncoder encoder{nullptr};
    LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(ClipTextTransformer);

struct ClipTextModelImpl : torch::nn::Module {
    ClipTextModelImpl(const ClipTextConfig& config, const torch::TensorOptions& options);

    // inputIds [B, T] (int64, T <= max_position_embeddings); attentionMask [B, T] with 1 for tokens to
    // attend to, or undefined (the SD pipelines pass none: every token, padding included, is attended to
    // causally). The causal mask is always applied.
    ClipTextOutput forward(const torch::Tensor& inputIds, const torch::Tensor& attentionMask = {});

    // The prompt embedding the SD pipelines feed the UNet. skipLayers is diffusers' clip_skip (0: the
    // last layer; 1: the penultimate layer, A1111's "Clip skip: 2"), final_layer_norm applied either way.
    // ref: StableDiffusionPipeline.encode_prompt.
    torch::Tensor promptEmbeddings(const torch::Tensor& inputIds, std::int64_t skipLayers = 0);

    ClipTextConfig config;
    ClipTextTransformer text_model{nullptr};
    Linear text_projection{nullptr};
};
TORCH_MODULE(ClipTextModel);

// Builds on `target`, loads `weights` strictly (see weights.h), sets eval mode.
ClipTextModel loadClipTextModel(const ClipTextConfig& config, const io::StateDict& weights,
                                const runtime::ComputeTarget& target);

}  // namespace storybrush::models
