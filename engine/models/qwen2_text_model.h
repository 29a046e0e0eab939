// The language model of Qwen2.5-VL (transformers Qwen2_5_VLTextModel), Qwen-Image's text encoder: a causal
// decoder whose last hidden states are the prompt embedding. The vision tower and lm_head are not needed for
// text prompts and are left in the file.
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

namespace storybrush::models {

// text_encoder/config.json: the text_config of transformers 5, or the top-level fields of 4.x. Defaults are
// Qwen2.5-VL 7B's.
struct Qwen2TextConfig {
    std::int64_t hiddenSize = 3584;
    std::int64_t numHiddenLayers = 28;
    std::int64_t numAttentionHeads = 28;
    std::int64_t numKeyValueHeads = 4;
    std::int64_t intermediateSize = 18944;
    std::int64_t vocabSize = 152064;
    double rmsNormEps = 1e-6;
    double ropeTheta = 1000000.0;

    std::int64_t headDim() const { return hiddenSize / numAttentionHeads; }

    static Qwen2TextConfig fromFile(const std::string& path);
    static Qwen2TextConfig fromJson(const nlohmann::json& json, const std::string& source);
};

// ref: transformers Qwen2_5_VLAttention (grouped-query, q/k/v with bias, o_proj without, rotate-half RoPE).
struct Qwen2AttentionImpl : torch::nn::Module {
    Qwen2AttentionImpl(const Qwen2TextConfig& config, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& keep);

    std::int64_t heads, keyValueHeads, headDim;
    Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
};
TORCH_MODULE(Qwen2Attention);

// ref: Qwen2MLP: down(silu(gate(x)) * up(x)).
struct Qwen2MlpImpl : torch::nn::Module {
    Qwen2MlpImpl(const Qwen2TextConfig& config, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x);

    Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(Qwen2Mlp);

struct Qwen2DecoderLayerImpl : torch::nn::Module {
    Qwen2DecoderLayerImpl(const Qwen2TextConfig& config, const torch::TensorOptions& options);
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& keep);

    Qwen2Attention self_attn{nullptr};
    Qwen2Mlp mlp{nullptr};
    RmsNorm input_layernorm{nullptr};
    RmsNorm post_attention_layernorm{nullptr};
};
TORCH_MODULE(Qwen2DecoderLayer);

struct Qwen2TextModelImpl : torch::nn::Module {
    Qwen2TextModelImpl(const Qwen2TextConfig& config, const torch::TensorOptions& options);

    // inputIds [B, T] int64, attentionMask [B, T] (1 = token, 0 = padding after the tokens) or undefined.
    // Returns the last hidden states after the final norm (transformers' hidden_states[-1]), [B, T, hidden].
    torch::Tensor forward(const torch::Tensor& inputIds, const torch::Tensor& attentionMask = {});

    // For cards without room for its 15 GB: the layers stay in (pinned) main memory and each is copied into one
    // layer's worth of memory on `device` just before it runs; the token table is read in main memory (only the
    // prompt's rows travel), the final norm moves to `device`.
    void streamLayersTo(const torch::Device& device);
    bool streamingLayers() const { return static_cast<bool>(m_staging); }

    Qwen2TextConfig config;
    std::shared_ptr<torch::nn::Module> model;  // "model": embed_tokens, layers, norm
    Embedding embed_tokens{nullptr};
    torch::nn::ModuleList layers{nullptr};
    RmsNorm norm{nullptr};

private:
    Qwen2DecoderLayer m_staging{nullptr};
    torch::Device m_device{torch::kCPU};
};
TORCH_MODULE(Qwen2TextModel);

// Names as this module wants them: transformers 5's "model.language_model.*" becomes "model.*"; the vision
// tower ("visual.*", "model.visual.*") and "lm_head.*" are dropped (not needed to read prompts).
io::StateDict qwen2TextWeights(const io::StateDict& file);

Qwen2TextModel loadQwen2TextModel(const Qwen2TextConfig& config, const io::StateDict& weights,
                                  const runtime::ComputeTarget& target);

}  // namespace storybrush::models
