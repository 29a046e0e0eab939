// Qwen2.5-VL's language model for prompts. ref: transformers models/qwen2_5_vl/modeling_qwen2_5_vl.py
// (Qwen2_5_VLTextModel); for text alone its multimodal RoPE gives every section the same position, which is
// plain rotate-half RoPE.
#include "models/qwen2_text_model.h"

#include "models/config_json.h"
#include "models/weights.h"
#include "runtime/torch_compat.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace storybrush::models {

namespace {

Qwen2TextConfig parse(const JsonConfig& file) {
    // transformers 5 nests the language model's fields in text_config; 4.x keeps them at the top level.
    const nlohmann::json& whole = file.raw();
    const bool nested = whole.is_object() && whole.contains("text_config") && whole["text_config"].is_object();
    const nlohmann::json& fields = nested ? whole["text_config"] : whole;
    const JsonConfig json = JsonConfig::fromJson(fields, file.source());
    Qwen2TextConfig c;
    c.hiddenSize = json.integer("hidden_size", c.hiddenSize);
    c.numHiddenLayers = json.integer("num_hidden_layers", c.numHiddenLayers);
    c.numAttentionHeads = json.integer("num_attention_heads", c.numAttentionHeads);
    c.numKeyValueHeads = json.integer("num_key_value_heads", c.numKeyValueHeads);
    c.intermediateSize = json.integer("intermediate_size", c.intermediateSize);
    c.vocabSize = json.integer("vocab_size", c.vocabSize);
    c.rmsNormEps = json.number("rms_norm_eps", c.rmsNormEps);
    c.ropeTheta = json.number("rope_theta", c.ropeTheta);
    for (const char* field : {"rope_parameters", "rope_scaling"}) {
        if (fields.contains(field) && fields[field].is_object() && fields[field].contains("rope_theta") &&
            fields[field]["rope_theta"].is_number())
            c.ropeTheta = fields[field]["rope_theta"].get<double>();
    }
    if (c.hiddenSize <= 0 || c.numAttentionHeads <= 0 || c.hiddenSize % c.numAttentionHeads != 0 ||
        c.headDim() % 2 != 0)
        json.fail("num_attention_heads", "hidden_size must split evenly into heads of an even width");
    if (c.numKeyValueHeads <= 0 || c.numAttentionHeads % c.numKeyValueHeads != 0)
        json.fail("num_key_value_heads", "must divide num_attention_heads");
    if (c.numHiddenLayers <= 0 || c.intermediateSize <= 0 || c.vocabSize <= 0)
        json.fail("num_hidden_layers", "layers, intermediate size and vocabulary must be positive");
    return c;
}

torch::Tensor rotateHalf(const torch::Tensor& x) {
    const auto half = x.size(-1) / 2;
    return torch::cat({-x.slice(-1, half), x.slice(-1, 0, half)}, -1);
}

}  // namespace

Qwen2TextConfig Qwen2TextConfig::fromFile(const std::string& path) { return parse(JsonConfig::fromFile(path)); }

Qwen2TextConfig Qwen2TextConfig::fromJson(const nlohmann::json& json, const std::string& source) {
    return parse(JsonConfig::fromJson(json, source));
}

Qwen2AttentionImpl::Qwen2AttentionImpl(const Qwen2TextConfig& c, const torch::TensorOptions& options)
    : heads(c.numAttentionHeads), keyValueHeads(c.numKeyValueHeads), headDim(c.headDim()) {
    q_proj = register_module("q_proj", Linear(c.hiddenSize, heads * headDim, options));
    k_proj = register_module("k_proj", Linear(c.hiddenSize, keyValueHeads * headDim, options));
    v_proj = register_module("v_proj", Linear(c.hiddenSize, keyValueHeads * headDim, options));
    o_proj = register_module("o_proj", Linear(heads * headDim, c.hiddenSize, options, /*bias=*/false));
}

torch::Tensor Qwen2AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                          const torch::Tensor& keep) {
    const auto batch = x.size(0), tokens = x.size(1);
    auto split = [&](const torch::Tensor& t, std::int64_t count) {
        return t.view({batch, tokens, count, headDim}).transpose(1, 2);  // [B, heads, T, D]
    };
    auto q = split(q_proj(x), heads);
    auto k = split(k_proj(x), keyValueHeads);
    auto v = split(v_proj(x), keyValueHeads);
    q = q * cos + rotateHalf(q) * sin;
    k = k * cos + rotateHalf(k) * sin;
    if (keyValueHeads != heads) {  // grouped-query attention: each key/value head serves heads / kv queries
        k = k.repeat_interleave(heads / keyValueHeads, 1);
        v = v.repeat_interleave(heads / keyValueHeads, 1);
    }
    const auto out = runtime::scaledDotProductAttention(q, k, v, keep);
    return o_proj(out.transpose(1, 2).reshape({batch, tokens, heads * headDim}));
}

Qwen2MlpImpl::Qwen2MlpImpl(const Qwen2TextConfig& c, const torch::TensorOptions& options) {
    gate_proj = register_module("gate_proj", Linear(c.hiddenSize, c.intermediateSize, options, false));
    up_proj = register_module("up_proj", Linear(c.hiddenSize, c.intermediateSize, options, false));
    down_proj = register_module("down_proj", Linear(c.intermediateSize, c.hiddenSize, options, false));
}

torch::Tensor Qwen2MlpImpl::forward(const torch::Tensor& x) {
    return down_proj(torch::silu(gate_proj(x)) * up_proj(x));
}

Qwen2DecoderLayerImpl::Qwen2DecoderLayerImpl(const Qwen2TextConfig& c, const torch::TensorOptions& options) {
    self_attn = register_module("self_attn", Qwen2Attention(c, options));
    mlp = register_module("mlp", Qwen2Mlp(c, options));
    input_layernorm = register_module("input_layernorm", RmsNorm(c.hiddenSize, c.rmsNormEps, options));
    post_attention_layernorm =
        register_module("post_attention_layernorm", RmsNorm(c.hiddenSize, c.rmsNormEps, options));
}

torch::Tensor Qwen2DecoderLayerImpl::forward(torch::Tensor x, const torch::Tensor& cos, const torch::Tensor& sin,
                                             const torch::Tensor& keep) {
    x = x + self_attn(input_layernorm(x), cos, sin, keep);
    return x + mlp(post_attention_layernorm(x));
}

Qwen2TextModelImpl::Qwen2TextModelImpl(const Qwen2TextConfig& c, const torch::TensorOptions& options) : config(c) {
    model = register_module("model", std::make_shared<torch::nn::Module>());
    embed_tokens = model->register_module("embed_tokens", Embedding(c.vocabSize, c.hiddenSize, options));
    layers = model->register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < c.numHiddenLayers; ++i) layers->push_back(Qwen2DecoderLayer(c, options));
    norm = model->register_module("norm", RmsNorm(c.hiddenSize, c.rmsNormEps, options));
}

void Qwen2TextModelImpl::streamLayersTo(const torch::Device& device) {
    torch::NoGradGuard noGrad;
    const auto dtype = norm->weight.scalar_type();
    for (auto& parameter : parameters()) {
        parameter.set_data(parameter.data().to(torch::kCPU));
        if (device.is_cuda()) parameter.set_data(parameter.data().pin_memory());
    }
    norm->to(device);
    m_staging = Qwen2DecoderLayer(config, torch::TensorOptions().device(device).dtype(dtype));
    m_staging->eval();
    m_device = device;
}

torch::Tensor Qwen2TextModelImpl::forward(const torch::Tensor& ids, const torch::Tensor& attentionMaskGiven) {
    const auto batch = ids.size(0), tokens = ids.size(1);
    const auto device = m_staging ? m_device : ids.device();
    const auto inputIds = m_staging ? ids.to(torch::kCPU) : ids;
    const auto attentionMask = attentionMaskGiven.defined() ? attentionMaskGiven.to(device) : attentionMaskGiven;
    auto x = embed_tokens(inputIds).to(device);
    const auto mask = attentionMask.defined() ? attentionMask.to(device).to(torch::kBool)
                                              : torch::ones({batch, tokens}, torch::dtype(torch::kBool).device(device));
    // Text alone: every token at its index (padding comes after the tokens, so they never see it; transformers 5
    // gives the padding rows these positions too).
    const auto headDim = config.headDim();
    const auto floatOptions = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    const auto positions = torch::arange(tokens, floatOptions).expand({batch, tokens});  // [B, T]
    const auto inverse =
        torch::pow(config.ropeTheta, -torch::arange(0, headDim, 2, floatOptions) / static_cast<double>(headDim));
    const auto angles = positions.unsqueeze(-1) * inverse;               // [B, T, D/2]
    const auto doubled = torch::cat({angles, angles}, -1).unsqueeze(1);  // [B, 1, T, D]
    const auto cos = doubled.cos().to(x.scalar_type());
    const auto sin = doubled.sin().to(x.scalar_type());
    // causal, and never onto padding
    const auto causal = torch::ones({tokens, tokens}, torch::dtype(torch::kBool).device(device)).tril();
    const auto keep = causal.view({1, 1, tokens, tokens}).logical_and(mask.view({batch, 1, 1, tokens}));
    for (const auto& layer : *layers) {
        auto* run = layer->as<Qwen2DecoderLayerImpl>();
        if (m_staging) {  // queued on the compute stream, as the Qwen-Image transformer streams its blocks
            auto staged = m_staging->named_parameters();
            for (const auto& item : run->named_parameters())
                staged[item.key()].copy_(item.value(), /*non_blocking=*/true);
            run = m_staging.get();
        }
        x = run->forward(x, cos, sin, keep);
    }
    return norm(x);
}

io::StateDict qwen2TextWeights(const io::StateDict& file) {
    io::StateDict out;
    out.source = file.source;
    for (const auto& [key, tensor] : file.tensors) {
        if (key.rfind("visual.", 0) == 0 || key.rfind("model.visual.", 0) == 0 || key.rfind("lm_head.", 0) == 0)
            continue;
        static const std::string kNested = "model.language_model.";
        if (key.rfind(kNested, 0) == 0) out.tensors["model." + key.substr(kNested.size())] = tensor;
        else out.tensors[key] = tensor;
    }
    return out;
}

Qwen2TextModel loadQwen2TextModel(const Qwen2TextConfig& config, const io::StateDict& weights,
                                  const runtime::ComputeTarget& target) {
    return loadModule<Qwen2TextModel>(config, qwen2TextWeights(weights), target);
}

}  // namespace storybrush::models
