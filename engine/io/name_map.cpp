// The one LDM -> diffusers name table. Every rule names the diffusers function it follows
// (src/diffusers/loaders/single_file_utils.py; older copies in pipelines/stable_diffusion/convert_from_ckpt.py).
// Checked row by row against fixtures/keys_sd15.tsv and keys_sd2.tsv (tests/engine/tst_name_map.cpp).
#include "io/name_map.h"

#include <algorithm>
#include <string_view>

namespace storybrush::io {
namespace {

// Leaf renames: LDM spelling -> diffusers spelling, applied to what follows a block's prefix.
struct Rename {
    std::string_view from;
    std::string_view to;
    Transform transform = Transform::None;
};

// ref: renew_resnet_paths (UNet ResBlock: in_layers = GroupNorm, SiLU, Conv; out_layers = GroupNorm, SiLU,
// Dropout, Conv; emb_layers = SiLU, Linear).
constexpr Rename kUnetResnet[] = {
    {"in_layers.0.", "norm1."},  {"in_layers.2.", "conv1."},  {"emb_layers.1.", "time_emb_proj."},
    {"out_layers.0.", "norm2."}, {"out_layers.3.", "conv2."}, {"skip_connection.", "conv_shortcut."},
};

// ref: renew_attention_paths: the SpatialTransformer keeps its names (norm, proj_in, transformer_blocks, proj_out).
constexpr Rename kUnetAttention[] = {
    {"norm.", "norm."},
    {"proj_in.", "proj_in."},
    {"proj_out.", "proj_out."},
    {"transformer_blocks.", "transformer_blocks."},
};

// ref: convert_ldm_unet_checkpoint, the top-level layers outside the blocks.
constexpr Rename kUnetTop[] = {
    {"time_embed.0.", "time_embedding.linear_1."},
    {"time_embed.2.", "time_embedding.linear_2."},
    {"input_blocks.0.0.", "conv_in."},
    {"out.0.", "conv_norm_out."},
    {"out.2.", "conv_out."},
    // SDXL: the added (text_time) embedding, an MLP like time_embed (ref: convert_ldm_unet_checkpoint, label_emb).
    {"label_emb.0.0.", "add_embedding.linear_1."},
    {"label_emb.0.2.", "add_embedding.linear_2."},
};

// ref: renew_vae_resnet_paths (nin_shortcut -> conv_shortcut; norm1/conv1/norm2/conv2 keep their names).
constexpr Rename kVaeResnet[] = {
    {"norm1.", "norm1."},
    {"conv1.", "conv1."},
    {"norm2.", "norm2."},
    {"conv2.", "conv2."},
    {"nin_shortcut.", "conv_shortcut."},
};

// ref: renew_vae_attention_paths + conv_attn_to_linear: the mid-block attention's q/k/v/proj_out are
// 1x1 convolutions in LDM files and Linear layers in diffusers (same numbers, trailing 1x1 dropped).
constexpr Rename kVaeAttention[] = {
    {"norm.", "group_norm."},
    {"q.weight", "to_q.weight", Transform::SqueezeConv1x1},
    {"q.bias", "to_q.bias"},
    {"k.weight", "to_k.weight", Transform::SqueezeConv1x1},
    {"k.bias", "to_k.bias"},
    {"v.weight", "to_v.weight", Transform::SqueezeConv1x1},
    {"v.bias", "to_v.bias"},
    {"proj_out.weight", "to_out.0.weight", Transform::SqueezeConv1x1},
    {"proj_out.bias", "to_out.0.bias"},
};

// ref: convert_ldm_vae_checkpoint, layers outside the blocks (encoder.* and decoder.* alike).
constexpr Rename kVaeTop[] = {
    {"conv_in.", "conv_in."},
    {"conv_out.", "conv_out."},
    {"norm_out.", "conv_norm_out."},
    {"mid.block_1.", "mid_block.resnets.0."},
    {"mid.block_2.", "mid_block.resnets.1."},
};

// ref: convert_open_clip_checkpoint (textenc_conversion_lst / textenc_pattern): OpenCLIP -> CLIPTextModel.
constexpr Rename kOpenClipTop[] = {
    {"token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
    {"positional_embedding", "text_model.embeddings.position_embedding.weight"},
    {"ln_final.", "text_model.final_layer_norm."},
};
constexpr Rename kOpenClipLayer[] = {
    {"ln_1.", "layer_norm1."},
    {"ln_2.", "layer_norm2."},
    {"mlp.c_fc.", "mlp.fc1."},
    {"mlp.c_proj.", "mlp.fc2."},
    {"attn.out_proj.", "self_attn.out_proj."},
};

constexpr std::string_view kUnetPrefix = "model.diffusion_model.";
constexpr std::string_view kVaePrefix = "first_stage_model.";
constexpr std::string_view kClipPrefix = "cond_stage_model.transformer.";  // SD 1.x: HF CLIPTextModel inside
constexpr std::string_view kOpenClipPrefix = "cond_stage_model.model.";    // SD 2.x: OpenCLIP ViT-H text tower
// SDXL (Stability's SGM layout): the conditioner's first embedder is HF CLIP-L, the second OpenCLIP ViT-bigG.
constexpr std::string_view kSdxlClipPrefix = "conditioner.embedders.0.transformer.";
constexpr std::string_view kSdxlOpenClipPrefix = "conditioner.embedders.1.model.";

bool consume(std::string_view& text, std::string_view prefix) {
    if (text.substr(0, prefix.size()) != prefix) return false;
    text.remove_prefix(prefix.size());
    return true;
}

// "12.rest" -> 12, text = "rest". Only plain decimal numbers followed by a dot.
bool consumeIndex(std::string_view& text, int& index) {
    std::size_t digits = 0;
    while (digits < text.size() && digits < 6 && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits >= text.size() || text[digits] != '.') return false;
    index = std::stoi(std::string(text.substr(0, digits)));
    text.remove_prefix(digits + 1);
    return true;
}

template <std::size_t N>
std::vector<MappedName> applyRenames(const Rename (&table)[N], std::string_view rest, Component component,
                                     const std::string& targetPrefix) {
    for (const auto& rule : table) {
        std::string_view tail = rest;
        if (!consume(tail, rule.from)) continue;
        // A rule ending in '.' keeps the tail (weight, bias, deeper names); a full name must match exactly.
        if (rule.from.back() != '.' && !tail.empty()) continue;
        return {{component, targetPrefix + std::string(rule.to) + std::string(tail), rule.transform}};
    }
    return {};
}

std::vector<MappedName> mapUnet(std::string_view rest, const LdmLayout& layout) {
    constexpr auto kUnet = Component::Unet;
    if (auto top = applyRenames(kUnetTop, rest, kUnet, ""); !top.empty()) return top;
    const int perLevel = layout.unetLayersPerBlock + 1;  // resnets, then one down/upsampler slot
    int block = 0;
    int sub = 0;
    if (consume(rest, "input_blocks.")) {
        // ref: convert_ldm_unet_checkpoint: input_blocks.K (K >= 1) -> down_blocks[(K-1) / (L+1)], layer
        // (K-1) % (L+1); layer L is the downsampler (input_blocks.K.0.op).
        if (!consumeIndex(rest, block) || !consumeIndex(rest, sub) || block < 1) return {};
        const int level = (block - 1) / perLevel;
        const int layer = (block - 1) % perLevel;
        const std::string down = "down_blocks." + std::to_string(level) + ".";
        if (layer == layout.unetLayersPerBlock) {
            if (sub == 0 && consume(rest, "op.")) return {{kUnet, down + "downsamplers.0.conv." + std::string(rest)}};
            return {};
        }
        if (sub == 0) return applyRenames(kUnetResnet, rest, kUnet, down + "resnets." + std::to_string(layer) + ".");
        if (sub == 1)
            return applyRenames(kUnetAttention, rest, kUnet, down + "attentions." + std::to_string(layer) + ".");
        return {};
    }
    if (consume(rest, "middle_block.")) {
        // ref: convert_ldm_unet_checkpoint: middle_block.0/2 = resnets 0/1, middle_block.1 = the attention.
        if (!consumeIndex(rest, sub)) return {};
        if (sub == 0) return applyRenames(kUnetResnet, rest, kUnet, "mid_block.resnets.0.");
        if (sub == 1) return applyRenames(kUnetAttention, rest, kUnet, "mid_block.attentions.0.");
        if (sub == 2) return applyRenames(kUnetResnet, rest, kUnet, "mid_block.resnets.1.");
        return {};
    }
    if (consume(rest, "output_blocks.")) {
        // ref: convert_ldm_unet_checkpoint: output_blocks.K -> up_blocks[K / (L+1)], layer K % (L+1);
        // .0 resnet, .1 attention (or the upsampler "conv" where the level has no attention), .2 upsampler.
        if (!consumeIndex(rest, block) || !consumeIndex(rest, sub)) return {};
        const int layer = block % perLevel;
        const std::string up = "up_blocks." + std::to_string(block / perLevel) + ".";
        if (sub == 0) return applyRenames(kUnetResnet, rest, kUnet, up + "resnets." + std::to_string(layer) + ".");
        if ((sub == 1 || sub == 2) && consume(rest, "conv.")) {
            if (layer != layout.unetLayersPerBlock) return {};  // only the last layer of a level upsamples
            return {{kUnet, up + "upsamplers.0.conv." + std::string(rest)}};
        }
        if (sub == 1)
            return applyRenames(kUnetAttention, rest, kUnet, up + "attentions." + std::to_string(layer) + ".");
        return {};
    }
    return {};
}

std::vector<MappedName> mapVae(std::string_view rest, const LdmLayout& layout) {
    constexpr auto kVae = Component::Vae;
    // ref: convert_ldm_vae_checkpoint: quant_conv / post_quant_conv keep their names.
    if (rest.substr(0, 11) == "quant_conv." || rest.substr(0, 16) == "post_quant_conv.")
        return {{kVae, std::string(rest)}};
    std::string side;
    if (consume(rest, "encoder.")) side = "encoder.";
    else if (consume(rest, "decoder.")) side = "decoder.";
    else return {};
    if (auto top = applyRenames(kVaeTop, rest, kVae, side); !top.empty()) return top;
    if (consume(rest, "mid.attn_1.")) return applyRenames(kVaeAttention, rest, kVae, side + "mid_block.attentions.0.");
    int level = 0;
    int index = 0;
    if (side == "encoder." && consume(rest, "down.") && consumeIndex(rest, level)) {
        // ref: convert_ldm_vae_checkpoint: encoder.down.i.block.j -> down_blocks.i.resnets.j,
        // encoder.down.i.downsample.conv -> down_blocks.i.downsamplers.0.conv.
        const std::string down = side + "down_blocks." + std::to_string(level) + ".";
        if (consume(rest, "downsample.conv.")) return {{kVae, down + "downsamplers.0.conv." + std::string(rest)}};
        if (consume(rest, "block.") && consumeIndex(rest, index))
            return applyRenames(kVaeResnet, rest, kVae, down + "resnets." + std::to_string(index) + ".");
        return {};
    }
    if (side == "decoder." && consume(rest, "up.") && consumeIndex(rest, level)) {
        // ref: convert_ldm_vae_checkpoint: the decoder's up.i is numbered from the lowest resolution in LDM
        // and from the highest in diffusers: up_blocks[levels - 1 - i].
        if (level >= layout.vaeLevels) return {};
        const std::string up = side + "up_blocks." + std::to_string(layout.vaeLevels - 1 - level) + ".";
        if (consume(rest, "upsample.conv.")) return {{kVae, up + "upsamplers.0.conv." + std::string(rest)}};
        if (consume(rest, "block.") && consumeIndex(rest, index))
            return applyRenames(kVaeResnet, rest, kVae, up + "resnets." + std::to_string(index) + ".");
        return {};
    }
    return {};
}

// layersKept: SD 2.x drops OpenCLIP's last layer (see below); SDXL keeps every layer, as its pooled embedding
// is read after the last one. kText is the component the tower becomes.
std::vector<MappedName> mapOpenClip(std::string_view rest, int layersKept, Component kText) {
    if (auto top = applyRenames(kOpenClipTop, rest, kText, ""); !top.empty()) return top;
    // ref: convert_open_clip_checkpoint (SDXL's text_encoder_2): text_projection is stored [in, out] and applied
    // as x @ P; CLIPTextModelWithProjection's Linear keeps [out, in].
    if (kText == Component::TextEncoder2 && rest == "text_projection")
        return {{kText, "text_projection.weight", Transform::Transpose}};
    int layer = 0;
    if (!consume(rest, "transformer.resblocks.") || !consumeIndex(rest, layer)) return {};
    if (layer >= layersKept) return {};
    const std::string target = "text_model.encoder.layers." + std::to_string(layer) + ".";
    // ref: convert_open_clip_checkpoint (protected / code2idx): in_proj_weight/bias stack q, k, v by rows.
    for (const std::string_view kind : {std::string_view("weight"), std::string_view("bias")}) {
        if (rest != std::string("attn.in_proj_") + std::string(kind)) continue;
        const std::string suffix = "." + std::string(kind);
        return {{kText, target + "self_attn.q_proj" + suffix, Transform::SliceQ},
                {kText, target + "self_attn.k_proj" + suffix, Transform::SliceK},
                {kText, target + "self_attn.v_proj" + suffix, Transform::SliceV}};
    }
    return applyRenames(kOpenClipLayer, rest, kText, target);
}

// The allow-list of known leftovers, one comment each (see docs/environment.md, Fixtures: the leftovers real files
// carry).
struct Leftover {
    enum Match { Exact, Prefix, Suffix, Contains } match;
    std::string_view text;
};
constexpr Leftover kLeftovers[] = {
    // The DDPM noise schedule LDM's LatentDiffusion registers as buffers (ref: ldm/models/diffusion/ddpm.py
    // register_schedule); the sampler recomputes it from the scheduler config.
    {Leftover::Exact, "betas"},
    {Leftover::Exact, "alphas_cumprod"},
    {Leftover::Exact, "alphas_cumprod_prev"},
    {Leftover::Exact, "sqrt_alphas_cumprod"},
    {Leftover::Exact, "sqrt_one_minus_alphas_cumprod"},
    {Leftover::Exact, "log_one_minus_alphas_cumprod"},
    {Leftover::Exact, "sqrt_recip_alphas_cumprod"},
    {Leftover::Exact, "sqrt_recipm1_alphas_cumprod"},
    {Leftover::Exact, "posterior_variance"},
    {Leftover::Exact, "posterior_log_variance_clipped"},
    {Leftover::Exact, "posterior_mean_coef1"},
    {Leftover::Exact, "posterior_mean_coef2"},
    {Leftover::Exact, "lvlb_weights"},  // training loss weights (ddpm.py)
    {Leftover::Exact, "logvar"},        // learned log-variance of the training loss (ddpm.py, learn_logvar)
    // A marker some v-prediction files carry (ComfyUI model_detection reads it); used by detection only.
    {Leftover::Exact, "v_pred"},
    // EMA copies of the weights (names with the dots removed) and the EMA counters: the file's main
    // weights are what every UI samples with.
    {Leftover::Prefix, "model_ema."},
    // CLIP's position_ids buffer (int64 0..76): transformers recomputes it, diffusers drops it.
    {Leftover::Suffix, ".position_ids"},
    // The VAE's training loss (LPIPS network, discriminator): first_stage_model.loss.*.
    {Leftover::Prefix, "first_stage_model.loss."},
    // OpenCLIP's projection to the joint image-text space and its temperature: unused for conditioning
    // (ref: convert_open_clip_checkpoint drops them).
    {Leftover::Exact, "cond_stage_model.model.text_projection"},
    {Leftover::Exact, "cond_stage_model.model.logit_scale"},
    // OpenCLIP's causal attention mask buffer, rebuilt at run time.
    {Leftover::Exact, "cond_stage_model.model.attn_mask"},
    // The same in SDXL's second text encoder (whose text_projection is used: see mapOpenClip).
    {Leftover::Exact, "conditioner.embedders.1.model.logit_scale"},
    {Leftover::Exact, "conditioner.embedders.1.model.attn_mask"},
    // SGM's DiscreteDenoiser keeps its sigma table as a buffer; the sampler recomputes it.
    {Leftover::Exact, "denoiser.sigmas"},
    {Leftover::Exact, "denoiser.log_sigmas"},
};

}  // namespace

LdmLayout detectLdmLayout(const std::vector<std::string>& keys) {
    LdmLayout layout;
    int maxInputBlock = -1;
    int downsamplers = 0;
    int maxVaeLevel = -1;
    int maxResblock = -1;
    for (const auto& key : keys) {
        std::string_view rest = key;
        int index = 0;
        int sub = 0;
        if (consume(rest, kUnetPrefix) && consume(rest, "input_blocks.") && consumeIndex(rest, index)) {
            maxInputBlock = std::max(maxInputBlock, index);
            if (consumeIndex(rest, sub) && sub == 0 && rest == "op.weight") ++downsamplers;
            continue;
        }
        rest = key;
        if (consume(rest, kVaePrefix) && consume(rest, "decoder.up.") && consumeIndex(rest, index)) {
            maxVaeLevel = std::max(maxVaeLevel, index);
            continue;
        }
        rest = key;
        if (consume(rest, kOpenClipPrefix) && consume(rest, "transformer.resblocks.") && consumeIndex(rest, index))
            maxResblock = std::max(maxResblock, index);
    }
    // input_blocks: conv_in, then per level L resnets and (except the last level) a downsampler:
    // count = 1 + levels * L + (levels - 1), levels = downsamplers + 1.
    if (maxInputBlock > 0) {
        const int levels = downsamplers + 1;
        const int layers = (maxInputBlock - downsamplers) / levels;
        if (layers > 0) layout.unetLayersPerBlock = layers;
    }
    if (maxVaeLevel >= 0) layout.vaeLevels = maxVaeLevel + 1;
    if (maxResblock >= 0) layout.openClipLayersKept = maxResblock;  // all but the last (index maxResblock)
    return layout;
}

std::vector<MappedName> mapLdmKey(const std::string& key, const LdmLayout& layout) {
    std::string_view rest = key;
    if (consume(rest, kUnetPrefix)) return mapUnet(rest, layout);
    if (consume(rest, kVaePrefix)) return mapVae(rest, layout);
    if (consume(rest, kClipPrefix)) {
        // ref: convert_ldm_clip_checkpoint: strip "cond_stage_model.transformer."; the rest is already
        // CLIPTextModel's module path ("text_model.encoder.layers.0...").
        if (rest.substr(0, 11) != "text_model." || isKnownLeftover(key, layout)) return {};
        return {{Component::TextEncoder, std::string(rest)}};
    }
    // ref: convert_open_clip_checkpoint skips SD 2.x's last resblock: SD 2.x conditions on the penultimate
    // layer, so diffusers ships 23 of OpenCLIP-H's 24 layers.
    if (consume(rest, kOpenClipPrefix)) return mapOpenClip(rest, layout.openClipLayersKept, Component::TextEncoder);
    if (consume(rest, kSdxlClipPrefix)) {
        if (rest.substr(0, 11) != "text_model." || isKnownLeftover(key, layout)) return {};
        return {{Component::TextEncoder, std::string(rest)}};
    }
    if (consume(rest, kSdxlOpenClipPrefix)) return mapOpenClip(rest, 1 << 20, Component::TextEncoder2);
    return {};
}

bool isKnownLeftover(const std::string& key, const LdmLayout& layout) {
    const std::string_view text = key;
    for (const auto& entry : kLeftovers) {
        switch (entry.match) {
        case Leftover::Exact:
            if (text == entry.text) return true;
            break;
        case Leftover::Prefix:
            if (text.substr(0, entry.text.size()) == entry.text) return true;
            break;
        case Leftover::Suffix:
            if (text.size() >= entry.text.size() && text.substr(text.size() - entry.text.size()) == entry.text)
                return true;
            break;
        case Leftover::Contains:
            if (text.find(entry.text) != std::string_view::npos) return true;
            break;
        }
    }
    // OpenCLIP's last resblock (see mapOpenClip): present in every SD 2.x file, never used.
    std::string_view rest = key;
    int layer = 0;
    return consume(rest, kOpenClipPrefix) && consume(rest, "transformer.resblocks.") && consumeIndex(rest, layer) &&
           layer >= layout.openClipLayersKept;
}

}  // namespace storybrush::io
