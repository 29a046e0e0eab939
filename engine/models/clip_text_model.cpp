// CLIPTextModel / CLIPTextModelWithProjection (transformers) for the SD text encoders.
#include "models/clip_text_model.h"

#include "models/config_json.h"
#include "models/weights.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace storybrush::models {

namespace {

ClipTextConfig parse(const JsonConfig& json) {
    ClipTextConfig c;
    c.hiddenSize = json.integer("hidden_size", c.hiddenSize);
    c.numHiddenLayers = json.integer("num_hidden_layers", c.numHiddenLayers);
    c.numAttentionHeads = json.integer("num_attention_heads", c.numAttentionHeads);
    c.intermediateSize = json.integer("intermediate_size", c.intermediateSize);
    c.hiddenAct = parseActivation(json.string("hidden_act", "quick_gelu"), "hidden_act", json.source());
    c.maxPositionEmbeddings = json.integer("max_position_embeddings", c.maxPositionEmbeddings);
    c.vocabSize = json.integer("vocab_size", c.vocabSize);
    c.layerNormEps = json.number("layer_norm_eps", c.layerNormEps);
    c.eosTokenId = json.integer("eos_token_id", c.eosTokenId);
    c.padTokenId = json.integer("pad_token_id", c.padTokenId);
    c.projectionDim = json.integer("projection_dim", c.projectionDim);
    const auto architectures = json.strings("architectures", {"CLIPTextModel"});
    c.withProjection = std::find(architectures.begin(), architectures.end(), "CLIPTextModelWithProjection") !=
                       architectures.end();
    if (c.hiddenSize <= 0 || c.numAttentionHeads <= 0 || c.hiddenSize % c.numAttentionHeads != 0) {
        json.fail("num_attention_heads", "hidden_size must split evenly into num_attention_heads");
    }
    if (c.numHiddenLayers <= 0 || c.maxPositionEmbeddings <= 0 || c.vocabSize <= 0 || c.intermediateSize <= 0) {
        json.fail("num_hidden_layers", "layer count, vocabulary, positions and intermediate size must be positive");
    }
    return c;
}

}  // namespace

ClipTextConfig ClipTextConfig::fromFile(const std::string& path) { return parse(JsonConfig::fromFile(path)); }

ClipTextConfig ClipTextConfig::fromJsonText(const std::string& text, const std::string& source) {
    return parse(JsonConfig::fromText(text, source));
}

ClipTextConfig ClipTextConfig::fromJson(const nlohmann::json& json, const std::string& source) {
    return parse(JsonConfig::fromJson(json, source));
}

ClipAttentionImpl::ClipAttentionImpl(std::int64_t hidden, std::int64_t headCount, const torch::TensorOptions& options)
    : heads(headCount) {
    k_proj = register_module("k_proj", Linear(hidden, hidden, options));
    v_proj = register_module("v_proj", Linear(hidden, hidden, options));
    q_proj = register_module("q_proj", Linear(hidden, hidden, options));
    out_proj = register_module("out_proj", Linear(hidden, hidden, options));
}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& additiveMask) {
    const auto batch = x.size(0);
    const auto tokens = x.size(1);
    const auto hidden = x.size(2);
    const auto headDim = hidden / heads;
    auto split = [&](const torch::Tensor& t) { return t.view({batch, tokens, heads, headDim}).transpose(1, 2); };
    const auto q = split(q_proj(x));
    const auto k = split(k_proj(x));
    const auto v = split(v_proj(x));
    // Written out rather than fused: the causal/padding mask is additive and the sequence is at most 77
    // tokens. Softmax in float32 as transformers' eager path does (softmax(..., dtype=torch.float32)).
    const double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
    auto scores = torch::matmul(q, k.transpose(-2, -1)).to(torch::kFloat32) * scale + additiveMask;
    auto weights = scores.softmax(-1).to(x.scalar_type());
    auto out = torch::matmul(weights, v).transpose(1, 2).reshape({batch, tokens, hidden});
    return out_proj(out);
}

ClipMlpImpl::ClipMlpImpl(std::int64_t hidden, std::int64_t intermediate, Activation act,
                         const torch::TensorOptions& options)
    : activation(act) {
    fc1 = register_module("fc1", Linear(hidden, intermediate, options));
    fc2 = register_module("fc2", Linear(intermediate, hidden, options));
}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor& x) { return fc2(activate(activation, fc1(x))); }

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipTextConfig& c, const torch::TensorOptions& options) {
    self_attn = register_module("self_attn", ClipAttention(c.hiddenSize, c.numAttentionHeads, options));
    layer_norm1 = register_module("layer_norm1", LayerNorm(c.hiddenSize, c.layerNormEps, options));
    mlp = register_module("mlp", ClipMlp(c.hiddenSize, c.intermediateSize, c.hiddenAct, options));
    layer_norm2 = register_module("layer_norm2", LayerNorm(c.hiddenSize, c.layerNormEps, options));
}

torch::Tensor ClipEncoderLayerImpl::forward(torch::Tensor x, const torch::Tensor& additiveMask) {
    x = x + self_attn(layer_norm1(x), additiveMask);
    return x + mlp(layer_norm2(x));
}

ClipTextEmbeddingsImpl::ClipTextEmbeddingsImpl(const ClipTextConfig& c, const torch::TensorOptions& options) {
    token_embedding = register_module("token_embedding", Embedding(c.vocabSize, c.hiddenSize, options));
    position_embedding =
        register_module("position_embedding", Embedding(c.maxPositionEmbeddings, c.hiddenSize, options));
}

torch::Tensor ClipTextEmbeddingsImpl::forward(const torch::Tensor& inputIds) {
    const auto tokens = inputIds.size(1);
    const auto positions = torch::arange(tokens, torch::TensorOptions().dtype(torch::kLong).device(inputIds.device()));
    return token_embedding(inputIds) + position_embedding(positions).unsqueeze(0);
}

ClipEncoderImpl::ClipEncoderImpl(const ClipTextConfig& c, const torch::TensorOptions& options) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < c.numHiddenLayers; ++i) {
        layers->push_back(ClipEncoderLayer(c, options));
    }
}

ClipTextTransformerImpl::ClipTextTransformerImpl(const ClipTextConfig& c, const torch::TensorOptions& options) {
    embeddings = register_module("embeddings", ClipTextEmbeddings(c, options));
    encoder = register_module("encoder", ClipEncoder(c, options));
    final_layer_norm = register_module("final_layer_norm", LayerNorm(c.hiddenSize, c.layerNormEps, options));
}

ClipTextModelImpl::ClipTextModelImpl(const ClipTextConfig& cfg, const torch::TensorOptions& options) : config(cfg) {
    text_model = register_module("text_model", ClipTextTransformer(cfg, options));
    if (cfg.withProjection) {
        text_projection =
            register_module("text_projection", Linear(cfg.hiddenSize, cfg.projectionDim, options, /*bias=*/false));
    }
}

ClipTextOutput ClipTextModelImpl::forward(const torch::Tensor& inputIdsIn, const torch::Tensor& attentionMask) {
    if (inputIdsIn.dim() != 2 || inputIdsIn.size(1) == 0 || inputIdsIn.size(1) > config.maxPositionEmbeddings) {
        throw Error(ErrorKind::InvalidRequest,
                    "text encoder input ids have shape " + shapeString(inputIdsIn.sizes()) +
                        "; expected [B, T] with 1 <= T <= " + std::to_string(config.maxPositionEmbeddings));
    }
    const auto device = text_model->final_layer_norm->weight.device();
    const auto inputIds = inputIdsIn.to(device, torch::kLong);
    const auto tokens = inputIds.size(1);

    // ref: transformers _create_4d_causal_attention_mask: a large negative above the diagonal, plus the
    // padding mask when given. Kept in float32; scores are float32 too.
    const auto floatOptions = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    const float masked = std::numeric_limits<float>::lowest();
    auto mask = torch::full({tokens, tokens}, masked, floatOptions).triu(1).view({1, 1, tokens, tokens});
    if (attentionMask.defined()) {
        if (attentionMask.sizes() != inputIds.sizes()) {
            throw Error(ErrorKind::InvalidRequest, "text encoder attention mask has shape " +
                                                       shapeString(attentionMask.sizes()) + ", expected " +
                                                       shapeString(inputIds.sizes()));
        }
        auto padding = (1.0 - attentionMask.to(device, torch::kFloat32)) * masked;
        mask = (mask + padding.view({inputIds.size(0), 1, 1, tokens})).clamp_min(masked);
    }

    ClipTextOutput out;
    auto x = text_model->embeddings(inputIds);
    out.hiddenStates.push_back(x);
    for (const auto& layer : *text_model->encoder->layers) {
        x = layer->as<ClipEncoderLayerImpl>()->forward(x, mask);
        out.hiddenStates.push_back(x);
    }
    out.lastHiddenState = text_model->final_layer_norm(x);

    // ref: CLIPTextTransformer.forward pooled_output: the legacy eos_token_id == 2 configs take the
    // highest id (EOS is the highest id in CLIP's vocabulary); others the first position holding EOS.
    const auto eosPositions = config.eosTokenId == 2 ? inputIds.argmax(-1)
                                                     : (inputIds == config.eosTokenId).to(torch::kInt).argmax(-1);
    const auto rows = torch::arange(inputIds.size(0), torch::TensorOptions().dtype(torch::kLong).device(device));
    out.pooled = out.lastHiddenState.index({rows, eosPositions});
    if (text_projection) {
        out.textEmbeds = text_projection(out.pooled);
    }
    return out;
}

torch::Tensor ClipTextModelImpl::promptEmbeddings(const torch::Tensor& inputIds, std::int64_t skipLayers) {
    if (skipLayers < 0 || skipLayers >= config.numHiddenLayers) {
        throw Error(ErrorKind::InvalidRequest, "clip skip " + std::to_string(skipLayers) +
                                                   " is out of range for a text encoder of " +
                                                   std::to_string(config.numHiddenLayers) + " layers");
    }
    auto out = forward(inputIds);
    if (skipLayers == 0) {
        return out.lastHiddenState;
    }
    // ref: encode_prompt: hidden_states[-(clip_skip + 1)], then final_layer_norm.
    const auto index = out.hiddenStates.size() - 1 - static_cast<std::size_t>(skipLayers);
    return text_model->final_layer_norm(out.hiddenStates[index]);
}

ClipTextModel loadClipTextModel(const ClipTextConfig& config, const io::StateDict& weights,
                                const runtime::ComputeTarget& target) {
    return loadModule<ClipTextModel>(config, weights, target);
}

}  // namespace storybrush::models
