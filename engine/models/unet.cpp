// UNet2DConditionModel (diffusers) built from its config.json.
#include "models/unet.h"

#include "models/config_json.h"
#include "models/weights.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <algorithm>
#include <atomic>

namespace storybrush::models {

namespace {

bool isCrossAttnDown(const std::string& type) { return type == "CrossAttnDownBlock2D"; }
bool isCrossAttnUp(const std::string& type) { return type == "CrossAttnUpBlock2D"; }

void unsupportedIfSet(const JsonConfig& json, const std::string& field) {
    if (json.has(field)) {
        throw Error(ErrorKind::UnsupportedModel, "field \"" + field + "\" in " + json.source() +
                                                     " asks for a UNet variant this engine does not implement");
    }
}

UNetConfig parse(const JsonConfig& json) {
    UNetConfig c;
    const auto className = json.string("_class_name", "UNet2DConditionModel");
    if (className != "UNet2DConditionModel") {
        throw Error(ErrorKind::UnsupportedModel,
                    json.source() + " describes a " + className + ", not a UNet2DConditionModel");
    }
    c.inChannels = json.integer("in_channels", c.inChannels);
    c.outChannels = json.integer("out_channels", c.outChannels);
    c.blockOutChannels = json.integers("block_out_channels", c.blockOutChannels);
    const auto blocks = c.blockOutChannels.size();
    if (blocks == 0 ||
        std::any_of(c.blockOutChannels.begin(), c.blockOutChannels.end(), [](std::int64_t v) { return v <= 0; })) {
        json.fail("block_out_channels", "expected a non-empty list of positive channel counts");
    }
    c.downBlockTypes = json.strings("down_block_types", c.downBlockTypes);
    c.upBlockTypes = json.strings("up_block_types", c.upBlockTypes);
    if (c.downBlockTypes.size() != blocks || c.upBlockTypes.size() != blocks) {
        json.fail("down_block_types", "down_block_types, up_block_types and block_out_channels must have the "
                                      "same length");
    }
    for (const auto& type : c.downBlockTypes) {
        if (type != "CrossAttnDownBlock2D" && type != "DownBlock2D") {
            throw Error(ErrorKind::UnsupportedModel, "down block type " + type + " in " + json.source() +
                                                         " is not supported (CrossAttnDownBlock2D, DownBlock2D are)");
        }
    }
    for (const auto& type : c.upBlockTypes) {
        if (type != "CrossAttnUpBlock2D" && type != "UpBlock2D") {
            throw Error(ErrorKind::UnsupportedModel, "up block type " + type + " in " + json.source() +
                                                         " is not supported (CrossAttnUpBlock2D, UpBlock2D are)");
        }
    }
    if (json.isNull("mid_block_type")) {
        c.hasMidBlock = false;
    } else {
        const auto mid = json.string("mid_block_type", "UNetMidBlock2DCrossAttn");
        if (mid != "UNetMidBlock2DCrossAttn") {
            throw Error(ErrorKind::UnsupportedModel, "mid_block_type " + mid + " in " + json.source() +
                                                         " is not supported (UNetMidBlock2DCrossAttn is)");
        }
    }
    c.layersPerBlock = json.perBlock("layers_per_block", blocks, 2);
    c.transformerLayersPerBlock = json.perBlock("transformer_layers_per_block", blocks, 1);
    // ref: UNet2DConditionModel.__init__: "num_attention_heads = num_attention_heads or attention_head_dim".
    c.attentionHeads = json.has("num_attention_heads") ? json.perBlock("num_attention_heads", blocks, 8)
                                                       : json.perBlock("attention_head_dim", blocks, 8);
    c.crossAttentionDim = json.perBlock("cross_attention_dim", blocks, 1280);
    c.onlyCrossAttention = json.perBlockBool("only_cross_attention", blocks, false);
    c.normNumGroups = json.integer("norm_num_groups", c.normNumGroups);
    c.normEps = json.number("norm_eps", c.normEps);
    c.activation = parseActivation(json.string("act_fn", "silu"), "act_fn", json.source());
    c.flipSinToCos = json.boolean("flip_sin_to_cos", c.flipSinToCos);
    c.freqShift = json.number("freq_shift", c.freqShift);
    c.useLinearProjection = json.boolean("use_linear_projection", c.useLinearProjection);
    c.upcastAttention = json.boolean("upcast_attention", c.upcastAttention);
    const auto shift = json.string("resnet_time_scale_shift", "default");
    if (shift != "default" && shift != "scale_shift") {
        json.fail("resnet_time_scale_shift", "\"" + shift + "\" is not supported (default, scale_shift are)");
    }
    c.resnetScaleShift = shift == "scale_shift";
    c.midBlockScaleFactor = json.number("mid_block_scale_factor", c.midBlockScaleFactor);
    c.downsamplePadding = json.integer("downsample_padding", c.downsamplePadding);
    c.convInKernel = json.integer("conv_in_kernel", c.convInKernel);
    c.convOutKernel = json.integer("conv_out_kernel", c.convOutKernel);
    if (c.convInKernel % 2 == 0 || c.convOutKernel % 2 == 0 || c.convInKernel < 1 || c.convOutKernel < 1) {
        json.fail("conv_in_kernel", "conv_in_kernel and conv_out_kernel must be odd and positive");
    }
    c.centerInputSample = json.boolean("center_input_sample", c.centerInputSample);
    if (json.has("time_embedding_dim")) {
        c.timeEmbeddingDim = json.integer("time_embedding_dim", 0);
    }
    if (json.has("time_cond_proj_dim")) {
        c.timeCondProjDim = json.integer("time_cond_proj_dim", 0);
    }
    const auto timeType = json.string("time_embedding_type", "positional");
    if (timeType != "positional") {
        json.fail("time_embedding_type", "\"" + timeType + "\" is not supported (positional is)");
    }
    if (json.boolean("dual_cross_attention", false)) {
        json.fail("dual_cross_attention", "dual cross-attention is not supported");
    }
    if (json.string("attention_type", "default") != "default") {
        json.fail("attention_type", "only \"default\" attention is supported");
    }
    for (const char* field : {"class_embed_type", "num_class_embeds", "encoder_hid_dim_type", "encoder_hid_dim",
                              "time_embedding_act_fn", "timestep_post_act", "reverse_transformer_layers_per_block"}) {
        unsupportedIfSet(json, field);
    }
    if (json.has("addition_embed_type")) {
        const auto addition = json.string("addition_embed_type", "");
        if (addition != "text_time") {
            json.fail("addition_embed_type", "\"" + addition + "\" is not supported (text_time is)");
        }
        c.textTimeEmbedding = true;
        c.additionTimeEmbedDim = json.requiredInteger("addition_time_embed_dim");
        c.projectionClassEmbeddingsInputDim = json.requiredInteger("projection_class_embeddings_input_dim");
    }
    return c;
}

UNetBlockOptions blockOptions(const UNetConfig& c, std::size_t block, bool hasAttention) {
    UNetBlockOptions o;
    o.tembChannels = c.timeEmbedDim();
    o.groups = c.normNumGroups;
    o.eps = c.normEps;
    o.activation = c.activation;
    o.scaleShift = c.resnetScaleShift;
    o.hasAttention = hasAttention;
    o.heads = c.attentionHeads.at(block);
    o.crossAttentionDim = c.crossAttentionDim.at(block);
    o.transformerLayers = c.transformerLayersPerBlock.at(block);
    o.useLinearProjection = c.useLinearProjection;
    o.onlyCrossAttention = c.onlyCrossAttention.at(block);
    return o;
}

}  // namespace

UNetConfig UNetConfig::fromFile(const std::string& path) { return parse(JsonConfig::fromFile(path)); }

UNetConfig UNetConfig::fromJsonText(const std::string& text, const std::string& source) {
    return parse(JsonConfig::fromText(text, source));
}

UNetConfig UNetConfig::fromJson(const nlohmann::json& json, const std::string& source) {
    return parse(JsonConfig::fromJson(json, source));
}

UNet2DConditionModelImpl::UNet2DConditionModelImpl(const UNetConfig& cfg, const torch::TensorOptions& options)
    : config(cfg) {
    const auto& channels = cfg.blockOutChannels;
    const auto blocks = channels.size();
    const auto tembDim = cfg.timeEmbedDim();
    conv_in = register_module(
        "conv_in", Conv2d(cfg.inChannels, channels[0], cfg.convInKernel, 1, (cfg.convInKernel - 1) / 2, options));
    // time_proj (sinusoidal) has no weights: see timestepEmbedding.
    time_embedding = register_module(
        "time_embedding", TimestepEmbedding(channels[0], tembDim, cfg.activation, cfg.timeCondProjDim, options));
    if (cfg.textTimeEmbedding) {
        // ref: UNet2DConditionModel._set_add_embedding, addition_embed_type "text_time".
        add_embedding =
            register_module("add_embedding", TimestepEmbedding(cfg.projectionClassEmbeddingsInputDim, tembDim,
                                                               cfg.activation, std::nullopt, options));
    }

    down_blocks = register_module("down_blocks", torch::nn::ModuleList());
    std::int64_t outputChannel = channels[0];
    for (std::size_t i = 0; i < blocks; ++i) {
        const auto inputChannel = outputChannel;
        outputChannel = channels[i];
        const bool isFinal = i + 1 == blocks;
        auto o = blockOptions(cfg, i, isCrossAttnDown(cfg.downBlockTypes[i]));
        down_blocks->push_back(UNetDownBlock(cfg.layersPerBlock[i], inputChannel, outputChannel, !isFinal,
                                             cfg.downsamplePadding, o, options));
    }

    if (cfg.hasMidBlock) {
        auto o = blockOptions(cfg, blocks - 1, true);
        o.outputScaleFactor = cfg.midBlockScaleFactor;
        o.onlyCrossAttention = false;  // UNetMidBlock2DCrossAttn takes no only_cross_attention
        mid_block = register_module("mid_block", UNetMidBlock(channels.back(), 1, o, options));
    }

    // ref: UNet2DConditionModel.__init__ up blocks: every per-block list read in reverse.
    up_blocks = register_module("up_blocks", torch::nn::ModuleList());
    outputChannel = channels.back();
    for (std::size_t i = 0; i < blocks; ++i) {
        const auto reversed = blocks - 1 - i;
        const bool isFinal = i + 1 == blocks;
        const auto prevOutputChannel = outputChannel;
        outputChannel = channels[reversed];
        const auto inputChannel = channels[reversed == 0 ? 0 : reversed - 1];
        auto o = blockOptions(cfg, reversed, isCrossAttnUp(cfg.upBlockTypes[i]));
        up_blocks->push_back(UNetUpBlock(cfg.layersPerBlock[reversed] + 1, inputChannel, prevOutputChannel,
                                         outputChannel, !isFinal, o, options));
    }

    conv_norm_out = register_module("conv_norm_out", GroupNorm(cfg.normNumGroups, channels[0], cfg.normEps, options));
    conv_out = register_module(
        "conv_out", Conv2d(channels[0], cfg.outChannels, cfg.convOutKernel, 1, (cfg.convOutKernel - 1) / 2, options));
}

CrossAttentionKeys UNet2DConditionModelImpl::crossAttentionKeys(const torch::Tensor& context) {
    static std::atomic<std::uint64_t> serials{0};
    CrossAttentionKeys keys;
    keys.serial = ++serials;
    const auto tokens = context.to(conv_in->weight.options());
    for (const auto& module : modules(/*include_self=*/false)) {
        auto* attention = dynamic_cast<AttentionImpl*>(module.get());
        if (attention && attention->opts.crossAttentionDim)
            keys.byLayer.emplace(attention, attention->keysAndValues(tokens));
    }
    return keys;
}

torch::Tensor UNet2DConditionModelImpl::forward(const torch::Tensor& sample, const torch::Tensor& timesteps,
                                                const torch::Tensor& context, const UNetConditioning& extra,
                                                const CrossAttentionKeys* keys) {
    if (sample.dim() != 4 || sample.size(1) != config.inChannels) {
        throw Error(ErrorKind::InvalidRequest, "UNet input has shape " + shapeString(sample.sizes()) +
                                                   "; expected [B, " + std::to_string(config.inChannels) + ", H, W]");
    }
    const auto batch = sample.size(0);
    if (context.dim() != 3 || context.size(0) != batch || context.size(2) != config.crossAttentionDim.back()) {
        throw Error(ErrorKind::InvalidRequest, "UNet context has shape " + shapeString(context.sizes()) +
                                                   "; expected [" + std::to_string(batch) + ", tokens, " +
                                                   std::to_string(config.crossAttentionDim.back()) + "]");
    }
    auto t = timesteps.to(sample.device()).reshape({-1});
    if (t.size(0) == 1) {
        t = t.expand({batch});  // ref: "timesteps = timesteps.expand(sample.shape[0])"
    } else if (t.size(0) != batch) {
        throw Error(ErrorKind::InvalidRequest,
                    "UNet got " + std::to_string(t.size(0)) + " timesteps for a batch of " + std::to_string(batch));
    }
    const auto dtype = sample.scalar_type();
    auto tEmb = timestepEmbedding(t, config.blockOutChannels[0], config.flipSinToCos, config.freqShift).to(dtype);
    auto emb =
        time_embedding(tEmb, extra.timestepCond.defined() ? extra.timestepCond.to(sample.options()) : torch::Tensor());
    if (add_embedding) {
        if (!extra.textEmbeds.defined() || !extra.timeIds.defined()) {
            throw Error(ErrorKind::InvalidRequest, "this UNet (SDXL) needs the pooled text embedding and time ids");
        }
        // ref: UNet2DConditionModel.get_aug_embed, "text_time".
        auto timeEmbeds = timestepEmbedding(extra.timeIds.to(sample.device()).flatten(), config.additionTimeEmbedDim,
                                            config.flipSinToCos, config.freqShift)
                              .reshape({batch, -1});
        auto addEmbeds = torch::cat({extra.textEmbeds.to(sample.device()).to(torch::kFloat32), timeEmbeds}, -1);
        emb = emb + add_embedding(addEmbeds.to(dtype));
    }
    const CrossContext ctx(context.to(sample.options()), keys);
    emb = activate(config.activation, emb);  // once for every resnet (ResnetOptions::tembActivated)

    auto x = config.centerInputSample ? 2 * sample - 1.0 : sample;
    if (conv_in->weight.is_contiguous(at::MemoryFormat::ChannelsLast) && !conv_in->weight.is_contiguous())
        x = x.contiguous(at::MemoryFormat::ChannelsLast);  // weights stored NHWC (useChannelsLast): so are activations
    x = conv_in(x);
    std::vector<torch::Tensor> skips{x};
    for (const auto& block : *down_blocks) {
        x = block->as<UNetDownBlockImpl>()->forward(x, emb, ctx, skips);
    }
    if (mid_block) {
        x = mid_block(x, emb, ctx);
    }
    for (const auto& block : *up_blocks) {
        x = block->as<UNetUpBlockImpl>()->forward(x, emb, ctx, skips);
    }
    x = activateTemporary(config.activation, conv_norm_out(x));
    return conv_out(x);
}

UNet2DConditionModel loadUNet(const UNetConfig& config, const io::StateDict& weights,
                              const runtime::ComputeTarget& target) {
    return loadModule<UNet2DConditionModel>(config, weights, target);
}

}  // namespace storybrush::models
