// QwenImageTransformer2DModel. ref: diffusers models/transformers/transformer_qwenimage.py.
#include "models/qwenimage_transformer.h"

#include "models/config_json.h"
#include "models/resnet.h"
#include "models/weights.h"
#include "runtime/torch_compat.h"

#include <storybrush/error.h>

#include <torch/torch.h>

namespace storybrush::models {

namespace {

constexpr double kEps = 1e-6;
constexpr double kRopeTheta = 10000.0;

QwenImageTransformerConfig parse(const JsonConfig& json) {
    QwenImageTransformerConfig c;
    c.patchSize = json.integer("patch_size", c.patchSize);
    c.inChannels = json.integer("in_channels", c.inChannels);
    c.outChannels = json.integer("out_channels", c.outChannels);
    c.numLayers = json.integer("num_layers", c.numLayers);
    c.headDim = json.integer("attention_head_dim", c.headDim);
    c.heads = json.integer("num_attention_heads", c.heads);
    c.jointAttentionDim = json.integer("joint_attention_dim", c.jointAttentionDim);
    const auto axes = json.integers("axes_dims_rope", {c.axesDimsRope.begin(), c.axesDimsRope.end()});
    if (axes.size() != 3) json.fail("axes_dims_rope", "must list three sizes (frame, height, width)");
    for (std::size_t i = 0; i < 3; ++i) {
        if (axes[i] <= 0 || axes[i] % 2 != 0) json.fail("axes_dims_rope", "every size must be even and positive");
        c.axesDimsRope[i] = axes[i];
    }
    if (c.patchSize <= 0 || c.inChannels <= 0 || c.outChannels <= 0 || c.numLayers <= 0 || c.heads <= 0 ||
        c.headDim <= 0 || c.jointAttentionDim <= 0)
        json.fail("num_layers", "sizes and counts must be positive");
    if (axes[0] + axes[1] + axes[2] != c.headDim)
        json.fail("axes_dims_rope", "the three sizes must add up to attention_head_dim");
    // The Edit/Layered variants condition on reference pictures (zero_cond_t, a second stream of picture tokens,
    // 3-D layer RoPE); the guidance-distilled one embeds the guidance. Refused rather than drawn wrongly.
    for (const char* field : {"zero_cond_t", "use_additional_t_cond", "use_layer3d_rope", "guidance_embeds"})
        if (json.boolean(field, false))
            json.fail(field, "is a Qwen-Image variant (Edit, Layered or guidance-distilled) this engine does not draw "
                             "with yet; use the Qwen-Image text-to-image transformer");
    return c;
}

torch::Tensor applyRope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
    // x [B, S, H, D] with (real, imaginary) pairs interleaved along D; cos/sin [S, D/2]. Complex multiplication
    // in float32, as diffusers' apply_rotary_emb_qwen(use_real=False) does.
    const auto pairs = x.to(torch::kFloat32).unflatten(-1, {-1, 2});
    const auto re = pairs.select(-1, 0);
    const auto im = pairs.select(-1, 1);
    const auto c = cos.unsqueeze(1);
    const auto s = sin.unsqueeze(1);
    return torch::stack({re * c - im * s, re * s + im * c}, -1).flatten(-2).to(x.scalar_type());
}

// Angles of positions `positions` [S] (float32) on one axis of `dim` sizes: [S, dim / 2].
torch::Tensor axisAngles(const torch::Tensor& positions, std::int64_t dim) {
    const auto options = positions.options();
    const auto inverse = torch::pow(kRopeTheta, -torch::arange(0, dim, 2, options) / static_cast<double>(dim));
    return torch::outer(positions, inverse);
}

torch::Tensor modulate(const torch::Tensor& x, const torch::Tensor& shift, const torch::Tensor& scale) {
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1);
}

// The norms read scaled streams as they are: the scale cancels, and the scaled values stay far above eps.
// The LinearImpl of each module of `block` in order, to carry the FP8 scales that are no parameters.
std::vector<LinearImpl*> linearsOf(torch::nn::Module& block) {
    std::vector<LinearImpl*> out;
    for (const auto& module : block.modules(/*include_self=*/false))
        if (auto* linear = module->as<LinearImpl>()) out.push_back(linear);
    return out;
}

torch::Tensor layerNorm(const torch::Tensor& x) { return torch::layer_norm(x, {x.size(-1)}, {}, {}, kEps); }

constexpr double kStreamCeiling = 2048.0;  // 2^11: room for a block's updates up to 30x the stream below 65504

// A new power-of-two scale that brings the stream's largest value to at most kStreamCeiling (never above 1).
void renewScale(QwenStream& stream) {
    if (!stream.scale.defined()) return;
    const auto largest = stream.hidden.abs().amax().to(torch::kFloat32).clamp_min(1e-30);
    auto factor = torch::exp2(torch::floor(torch::log2(kStreamCeiling / largest)));
    factor = torch::minimum(factor, 1.0 / stream.scale);  // a stream that is small stays unscaled
    stream.hidden = stream.hidden * factor.to(stream.hidden.scalar_type());
    stream.scale = stream.scale * factor;
}

}  // namespace

QwenImageTransformerConfig QwenImageTransformerConfig::fromFile(const std::string& path) {
    return parse(JsonConfig::fromFile(path));
}

QwenImageTransformerConfig QwenImageTransformerConfig::fromJson(const nlohmann::json& json, const std::string& source) {
    return parse(JsonConfig::fromJson(json, source));
}

QwenRope qwenImageRope(const QwenImageTransformerConfig& config, std::int64_t gridHeight, std::int64_t gridWidth,
                       std::int64_t textTokens, const torch::Device& device) {
    const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    const auto& axes = config.axesDimsRope;
    const auto rows = torch::arange(-(gridHeight - gridHeight / 2), gridHeight / 2, options);
    const auto columns = torch::arange(-(gridWidth - gridWidth / 2), gridWidth / 2, options);
    const auto frameAngles = axisAngles(torch::zeros({1}, options), axes[0]);  // [1, a0/2]
    const auto rowAngles = axisAngles(rows, axes[1]);                          // [H, a1/2]
    const auto columnAngles = axisAngles(columns, axes[2]);                    // [W, a2/2]
    const auto image = torch::cat({frameAngles.view({1, 1, -1}).expand({gridHeight, gridWidth, -1}),
                                   rowAngles.view({gridHeight, 1, -1}).expand({gridHeight, gridWidth, -1}),
                                   columnAngles.view({1, gridWidth, -1}).expand({gridHeight, gridWidth, -1})},
                                  -1)
                           .reshape({gridHeight * gridWidth, -1});
    const auto start = static_cast<double>(std::max(gridHeight / 2, gridWidth / 2));
    const auto textPositions = torch::arange(start, start + static_cast<double>(textTokens), options);
    const auto text = torch::cat(
        {axisAngles(textPositions, axes[0]), axisAngles(textPositions, axes[1]), axisAngles(textPositions, axes[2])},
        -1);
    return {image.cos(), image.sin(), text.cos(), text.sin()};
}

torch::Tensor linearIntoStream(const Linear& layer, const torch::Tensor& x, const torch::Tensor& scale) {
    if (!scale.defined()) return torch::linear(x, layer->weightFor(x.scalar_type()), layer->bias);
    const auto s = scale.to(x.scalar_type());
    const auto bias = layer->bias.defined() ? (layer->bias.to(torch::kFloat32) * scale).to(x.scalar_type())
                                            : torch::Tensor();
    return torch::linear(x * s, layer->weightFor(x.scalar_type()), bias);
}

QwenJointAttentionImpl::QwenJointAttentionImpl(std::int64_t dim, std::int64_t headCount, std::int64_t headSize,
                                               const torch::TensorOptions& options)
    : heads(headCount), headDim(headSize) {
    const auto inner = heads * headDim;
    to_q = register_module("to_q", Linear(dim, inner, options));
    to_k = register_module("to_k", Linear(dim, inner, options));
    to_v = register_module("to_v", Linear(dim, inner, options));
    add_q_proj = register_module("add_q_proj", Linear(dim, inner, options));
    add_k_proj = register_module("add_k_proj", Linear(dim, inner, options));
    add_v_proj = register_module("add_v_proj", Linear(dim, inner, options));
    norm_q = register_module("norm_q", RmsNorm(headDim, kEps, options));
    norm_k = register_module("norm_k", RmsNorm(headDim, kEps, options));
    norm_added_q = register_module("norm_added_q", RmsNorm(headDim, kEps, options));
    norm_added_k = register_module("norm_added_k", RmsNorm(headDim, kEps, options));
    to_out = register_module("to_out", torch::nn::ModuleList());
    imageOutProjection = Linear(inner, dim, options);
    to_out->push_back(imageOutProjection);
    to_add_out = register_module("to_add_out", Linear(inner, dim, options));
}

std::pair<torch::Tensor, torch::Tensor>
QwenJointAttentionImpl::forward(const torch::Tensor& image, const torch::Tensor& text, const torch::Tensor& textMask,
                                const QwenRope& rope, const torch::Tensor& imageScale, const torch::Tensor& textScale) {
    auto heads4 = [&](const torch::Tensor& t) { return t.unflatten(-1, {heads, headDim}); };  // [B, S, H, D]
    auto imageQ = applyRope(norm_q(heads4(to_q(image))), rope.imageCos, rope.imageSin);
    auto imageK = applyRope(norm_k(heads4(to_k(image))), rope.imageCos, rope.imageSin);
    auto textQ = applyRope(norm_added_q(heads4(add_q_proj(text))), rope.textCos, rope.textSin);
    auto textK = applyRope(norm_added_k(heads4(add_k_proj(text))), rope.textCos, rope.textSin);
    const auto q = torch::cat({textQ, imageQ}, 1).transpose(1, 2);  // [B, H, T + N, D]
    const auto k = torch::cat({textK, imageK}, 1).transpose(1, 2);
    const auto v = torch::cat({heads4(add_v_proj(text)), heads4(to_v(image))}, 1).transpose(1, 2);
    torch::Tensor mask;
    if (textMask.defined()) {
        const auto keep = torch::cat(
            {textMask.to(torch::kBool), torch::ones({image.size(0), image.size(1)},
                                                    torch::TensorOptions().dtype(torch::kBool).device(image.device()))},
            1);
        mask = keep.view({keep.size(0), 1, 1, keep.size(1)});
    }
    const auto joint = runtime::scaledDotProductAttention(q, k, v, mask).transpose(1, 2).flatten(2);
    const auto textTokens = text.size(1);
    const auto imageOut = linearIntoStream(imageOutProjection, joint.slice(1, textTokens), imageScale);
    const auto textOut = linearIntoStream(to_add_out, joint.slice(1, 0, textTokens), textScale);
    return {imageOut, textOut};
}

QwenFeedForwardImpl::QwenFeedForwardImpl(std::int64_t dim, const torch::TensorOptions& options) {
    net = register_module("net", torch::nn::ModuleList());
    auto gelu = std::make_shared<torch::nn::Module>();  // diffusers' GELU module: holds the projection as "proj"
    proj = gelu->register_module("proj", Linear(dim, 4 * dim, options));
    out = Linear(4 * dim, dim, options);
    net->push_back(gelu);
    net->push_back(torch::nn::Dropout(0.0));
    net->push_back(out);
}

torch::Tensor QwenFeedForwardImpl::forward(const torch::Tensor& x, const torch::Tensor& outScale) {
    return linearIntoStream(out, torch::gelu(proj(x), "tanh"), outScale);
}

QwenImageTransformerBlockImpl::QwenImageTransformerBlockImpl(const QwenImageTransformerConfig& config,
                                                             const torch::TensorOptions& options) {
    const auto dim = config.innerDim();
    imageModulation = Linear(dim, 6 * dim, options);
    textModulation = Linear(dim, 6 * dim, options);
    img_mod = register_module("img_mod", torch::nn::ModuleList(torch::nn::Identity(), imageModulation));
    attn = register_module("attn", QwenJointAttention(dim, config.heads, config.headDim, options));
    img_mlp = register_module("img_mlp", QwenFeedForward(dim, options));
    txt_mod = register_module("txt_mod", torch::nn::ModuleList(torch::nn::Identity(), textModulation));
    txt_mlp = register_module("txt_mlp", QwenFeedForward(dim, options));
}

void QwenImageTransformerBlockImpl::forward(QwenStream& image, QwenStream& text, const torch::Tensor& textMask,
                                            const torch::Tensor& temb, const QwenRope& rope) {
    const auto activated = torch::silu(temb);
    const auto imageMod = imageModulation(activated).chunk(6, -1);  // shift, scale, gate for attention, then MLP
    const auto textMod = textModulation(activated).chunk(6, -1);

    const auto [imageAttention, textAttention] = attn->forward(
        modulate(layerNorm(image.hidden), imageMod[0], imageMod[1]),
        modulate(layerNorm(text.hidden), textMod[0], textMod[1]), textMask, rope, image.scale, text.scale);
    image.hidden = image.hidden + imageMod[2].unsqueeze(1) * imageAttention;
    text.hidden = text.hidden + textMod[2].unsqueeze(1) * textAttention;

    image.hidden =
        image.hidden + imageMod[5].unsqueeze(1) *
                           img_mlp->forward(modulate(layerNorm(image.hidden), imageMod[3], imageMod[4]), image.scale);
    text.hidden =
        text.hidden + textMod[5].unsqueeze(1) *
                          txt_mlp->forward(modulate(layerNorm(text.hidden), textMod[3], textMod[4]), text.scale);
    if (image.scale.defined()) {
        renewScale(image);
        renewScale(text);
    } else if (image.hidden.scalar_type() == torch::kFloat16) {  // ref: diffusers clips FP16 streams
        image.hidden = image.hidden.clamp(-65504, 65504);
        text.hidden = text.hidden.clamp(-65504, 65504);
    }
}

QwenImageTransformer2DModelImpl::QwenImageTransformer2DModelImpl(const QwenImageTransformerConfig& c,
                                                                 const torch::TensorOptions& options)
    : config(c) {
    const auto dim = c.innerDim();
    time_text_embed = register_module("time_text_embed", std::make_shared<torch::nn::Module>());
    auto timestepEmbedder =
        time_text_embed->register_module("timestep_embedder", std::make_shared<torch::nn::Module>());
    timestepLinear1 = timestepEmbedder->register_module("linear_1", Linear(256, dim, options));
    timestepLinear2 = timestepEmbedder->register_module("linear_2", Linear(dim, dim, options));
    txt_norm = register_module("txt_norm", RmsNorm(c.jointAttentionDim, kEps, options));
    img_in = register_module("img_in", Linear(c.inChannels, dim, options));
    txt_in = register_module("txt_in", Linear(c.jointAttentionDim, dim, options));
    transformer_blocks = register_module("transformer_blocks", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < c.numLayers; ++i) transformer_blocks->push_back(QwenImageTransformerBlock(c, options));
    norm_out = register_module("norm_out", std::make_shared<torch::nn::Module>());
    normOutLinear = norm_out->register_module("linear", Linear(dim, 2 * dim, options));
    proj_out = register_module("proj_out", Linear(dim, c.patchSize * c.patchSize * c.outChannels, options));
}

torch::Tensor QwenImageTransformer2DModelImpl::forward(const torch::Tensor& imageTokens,
                                                       const torch::Tensor& textStates, const torch::Tensor& textMask,
                                                       const torch::Tensor& timestep, std::int64_t gridHeight,
                                                       std::int64_t gridWidth) {
    if (imageTokens.dim() != 3 || imageTokens.size(2) != config.inChannels ||
        imageTokens.size(1) != gridHeight * gridWidth)
        throw Error(ErrorKind::InvalidRequest,
                    "Qwen-Image transformer: expected packed latents [B, " + std::to_string(gridHeight * gridWidth) +
                        ", " + std::to_string(config.inChannels) + "], got " + shapeString(imageTokens.sizes()));
    if (textStates.dim() != 3 || textStates.size(2) != config.jointAttentionDim)
        throw Error(ErrorKind::InvalidRequest,
                    "Qwen-Image transformer: the text encoder gives " + std::to_string(textStates.size(-1)) +
                        "-wide states, this model takes " + std::to_string(config.jointAttentionDim) +
                        "; the text encoder and transformer come from different models");
    const auto dtype = imageTokens.scalar_type();
    QwenStream image{img_in(imageTokens), {}};
    QwenStream text{txt_in(txt_norm(textStates)), {}};
    if (scaleStreams.value_or(dtype == torch::kFloat16)) {
        // The streams as they are stand for gain x themselves: the scale says so, and no value grows.
        const auto scale = torch::full({}, 1.0 / streamGainForTest,
                                       torch::TensorOptions().dtype(torch::kFloat32).device(imageTokens.device()));
        image.scale = scale;
        text.scale = scale.clone();
        renewScale(image);
        renewScale(text);
    } else if (streamGainForTest != 1.0) {
        image.hidden = image.hidden * streamGainForTest;
        text.hidden = text.hidden * streamGainForTest;
    }
    // ref: QwenTimestepProjEmbeddings: Timesteps(256, flip_sin_to_cos, shift 0, scale 1000) -> TimestepEmbedding.
    const auto sinusoid = timestepEmbedding(timestep.to(torch::kFloat32) * 1000.0, 256, true, 0.0).to(dtype);
    const auto temb = timestepLinear2(torch::silu(timestepLinear1(sinusoid)));
    const auto rope = qwenImageRope(config, gridHeight, gridWidth, text.hidden.size(1), imageTokens.device());
    torch::Tensor mask;
    if (textMask.defined() && !textMask.to(torch::kBool).all().item<bool>()) mask = textMask;
    const int blocks = static_cast<int>(transformer_blocks->size());
    for (int i = 0; i < blocks; ++i) {
        auto* block = transformer_blocks[static_cast<std::size_t>(i)]->as<QwenImageTransformerBlockImpl>();
        if (m_staging) {
            // Queued on the compute stream: the copy waits for the previous block's work, the block for the copy.
            auto staged = m_staging->named_parameters();
            for (const auto& item : block->named_parameters()) {
                auto& target = staged[item.key()];
                if (target.scalar_type() != item.value().scalar_type())
                    target.set_data(torch::empty(target.sizes(), target.options().dtype(item.value().scalar_type())));
                target.copy_(item.value(), /*non_blocking=*/true);
            }
            const auto from = linearsOf(*block);
            const auto to = linearsOf(*m_staging);
            for (std::size_t k = 0; k < from.size(); ++k)
                to[k]->weightScale = from[k]->weightScale.defined()
                                         ? from[k]->weightScale.to(to[k]->weight.device(), /*non_blocking=*/true)
                                         : torch::Tensor();
            if (onBlockStreamed) onBlockStreamed(i + 1, blocks);
            block = m_staging.get();
        }
        block->forward(image, text, mask, temb, rope);
    }
    const auto scaleShift = normOutLinear(torch::silu(temb).to(dtype)).chunk(2, -1);
    return proj_out(modulate(layerNorm(image.hidden), scaleShift[1], scaleShift[0]));
}

void QwenImageTransformer2DModelImpl::streamBlocksFrom(const torch::Device& device) {
    torch::NoGradGuard noGrad;
    const auto dtype = img_in->weight.scalar_type();
    for (const auto& child : named_children())
        if (child.key() != "transformer_blocks") child.value()->to(device);
    for (auto& parameter : transformer_blocks->parameters()) {
        parameter.set_data(parameter.data().to(torch::kCPU));
        if (device.is_cuda()) parameter.set_data(parameter.data().pin_memory());  // copies run at full bus speed
    }
    for (const auto& block : *transformer_blocks)
        for (auto* linear : linearsOf(*block))
            if (linear->weightScale.defined()) linear->weightScale = linear->weightScale.to(torch::kCPU);
    m_staging = QwenImageTransformerBlock(config, torch::TensorOptions().device(device).dtype(dtype));
    m_staging->eval();
}

void QwenImageTransformer2DModelImpl::moveTo(const torch::Device& device) {
    to(device);
    for (auto* linear : linearsOf(*this))
        if (linear->weightScale.defined()) linear->weightScale = linear->weightScale.to(device);
}

void QwenImageTransformer2DModelImpl::storeBlockWeightsAsFloat8(const torch::Device& work) {
    for (const auto& module : transformer_blocks->modules(/*include_self=*/false))
        if (auto* linear = module->as<LinearImpl>()) storeAsFloat8(*linear, work);
}

torch::Tensor packQwenLatents(const torch::Tensor& latents) {
    const auto b = latents.size(0), c = latents.size(1), h = latents.size(2), w = latents.size(3);
    return latents.view({b, c, h / 2, 2, w / 2, 2}).permute({0, 2, 4, 1, 3, 5}).reshape({b, (h / 2) * (w / 2), c * 4});
}

torch::Tensor unpackQwenLatents(const torch::Tensor& packed, std::int64_t latentHeight, std::int64_t latentWidth) {
    const auto b = packed.size(0), channels = packed.size(2);
    return packed.view({b, latentHeight / 2, latentWidth / 2, channels / 4, 2, 2})
        .permute({0, 3, 1, 4, 2, 5})
        .reshape({b, channels / 4, latentHeight, latentWidth});
}

QwenImageTransformer2DModel loadQwenImageTransformer(const QwenImageTransformerConfig& config,
                                                     const io::StateDict& weights,
                                                     const runtime::ComputeTarget& target) {
    return loadModule<QwenImageTransformer2DModel>(config, weights, target);
}

}  // namespace storybrush::models
