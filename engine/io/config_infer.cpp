// Configs for single-file checkpoints from tensor shapes. What shapes cannot tell comes from the family's
// original yaml (ref: diffusers single_file_utils create_unet_diffusers_config_from_ldm /
// create_vae_diffusers_config_from_ldm / the DIFFUSERS_DEFAULT_PIPELINE_PATHS configs they fall back on).
#include "io/config_infer.h"

#include <storybrush/error.h>

#include <algorithm>
#include <string>
#include <vector>

namespace storybrush::io {
namespace {

using nlohmann::json;

std::vector<std::int64_t> shapeOf(const StateDict& dict, const std::string& key) {
    const auto it = dict.tensors.find(key);
    if (it == dict.tensors.end())
        throw Error(ErrorKind::ModelFile, "model file " + dict.source + ": tensor " + key +
                                              " is missing, so the model's structure cannot be read. The file is "
                                              "incomplete or not a Stable Diffusion checkpoint.");
    return it->second.sizes().vec();
}

bool hasPrefix(const StateDict& dict, const std::string& prefix) {
    const auto it = dict.tensors.lower_bound(prefix);
    return it != dict.tensors.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

// 1 + the largest N of keys "<prefix>N.<...>"; 0 when there is none.
int countIndexed(const StateDict& dict, const std::string& prefix) {
    int count = 0;
    for (auto it = dict.tensors.lower_bound(prefix); it != dict.tensors.end(); ++it) {
        if (it->first.compare(0, prefix.size(), prefix) != 0) break;
        const std::string rest = it->first.substr(prefix.size());
        const auto dot = rest.find('.');
        if (dot == 0 || dot == std::string::npos || rest.find_first_not_of("0123456789") != dot) continue;
        count = std::max(count, std::stoi(rest.substr(0, dot)) + 1);
    }
    return count;
}

// The first tensor whose name ends with suffix, or nullptr.
const torch::Tensor* findSuffix(const StateDict& dict, const std::string& suffix) {
    for (const auto& [name, tensor] : dict.tensors)
        if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            return &tensor;
    return nullptr;
}

// Stable Diffusion renders at 512 (SD 1.x, SD 2.x base), 768 (SD 2.x v-prediction, "768-v") or 1024 (SDXL).
int imageSize(ModelFamily family, Prediction prediction) {
    if (family == ModelFamily::SDXL) return 1024;
    return family == ModelFamily::SD2 && prediction == Prediction::VPrediction ? 768 : 512;
}

}  // namespace

json inferUnetConfig(const StateDict& unet, ModelFamily family, Prediction prediction, std::int64_t pooledTextDim) {
    if (unet.tensors.empty()) return nullptr;
    const int levels = countIndexed(unet, "down_blocks.");
    if (levels == 0) shapeOf(unet, "down_blocks.0.resnets.0.conv1.weight");  // throws with the name
    json config;
    config["_class_name"] = "UNet2DConditionModel";
    std::vector<std::int64_t> channels;
    json downTypes = json::array();
    json upTypes = json::array();
    for (int i = 0; i < levels; ++i) {
        const std::string down = "down_blocks." + std::to_string(i) + ".";
        channels.push_back(shapeOf(unet, down + "resnets.0.conv1.weight")[0]);
        downTypes.push_back(hasPrefix(unet, down + "attentions.") ? "CrossAttnDownBlock2D" : "DownBlock2D");
        upTypes.push_back(hasPrefix(unet, "up_blocks." + std::to_string(i) + ".attentions.") ? "CrossAttnUpBlock2D"
                                                                                             : "UpBlock2D");
    }
    config["block_out_channels"] = channels;
    config["down_block_types"] = downTypes;
    config["up_block_types"] = upTypes;
    config["layers_per_block"] = countIndexed(unet, "down_blocks.0.resnets.");
    const auto convIn = shapeOf(unet, "conv_in.weight");
    const auto convOut = shapeOf(unet, "conv_out.weight");
    config["in_channels"] = convIn[1];
    config["out_channels"] = convOut[0];
    config["conv_in_kernel"] = convIn[2];
    config["conv_out_kernel"] = convOut[2];
    const torch::Tensor* toK = findSuffix(unet, "attn2.to_k.weight");
    config["cross_attention_dim"] = toK ? toK->size(1) : (family == ModelFamily::SD2 ? 1024 : 768);
    // Linear proj_in/proj_out ([C, C]) instead of 1x1 convs: SD 2.x's use_linear_in_transformer.
    const torch::Tensor* projIn = findSuffix(unet, "proj_in.weight");
    config["use_linear_projection"] = projIn && projIn->dim() == 2;
    // Transformer depth per level (SDXL: 1 where there is no attention, then 2 and 10); the mid block's
    // depth is the last level's (ref: UNet2DConditionModel reads transformer_layers_per_block[-1] for it).
    json depths = json::array();
    for (int i = 0; i < levels; ++i) {
        const std::string prefix = "down_blocks." + std::to_string(i) + ".attentions.0.transformer_blocks.";
        depths.push_back(hasPrefix(unet, prefix) ? countIndexed(unet, prefix) : 1);
    }
    // One number when every level agrees, as the SD 1.x / 2.x configs write it.
    const bool uniform = std::all_of(depths.begin(), depths.end(), [&](const json& d) { return d == depths.front(); });
    config["transformer_layers_per_block"] = uniform && !depths.empty() ? depths.front() : depths;
    config["mid_block_type"] = hasPrefix(unet, "mid_block.attentions.") ? "UNetMidBlock2DCrossAttn" : "UNetMidBlock2D";
    if (family == ModelFamily::SD2 || family == ModelFamily::SDXL) {
        // ref: v2-inference(-v).yaml and sd_xl_base.yaml num_head_channels 64 -> diffusers attention_head_dim =
        // channels / 64 per level ([5, 10, 20, 20] for SD 2.x, [5, 10, 20] for SDXL). Head counts are
        // invisible in shapes.
        json heads = json::array();
        for (const auto c : channels) heads.push_back(std::max<std::int64_t>(1, c / 64));
        config["attention_head_dim"] = heads;
    } else {
        // ref: v1-inference.yaml num_heads 8 (diffusers calls the head count attention_head_dim for SD 1.x).
        config["attention_head_dim"] = 8;
    }
    config["sample_size"] = imageSize(family, prediction) / 8;
    // ref: stabilityai/stable-diffusion-2-1 unet/config.json: the 768-v model upcasts attention to float32
    // (its fp16 attention overflows otherwise).
    config["upcast_attention"] = family == ModelFamily::SD2 && prediction == Prediction::VPrediction;
    // Family constants (ref: UNetModel defaults in the v1/v2 yaml and UNet2DConditionModel's defaults).
    config["norm_num_groups"] = 32;
    config["norm_eps"] = 1e-5;
    config["act_fn"] = "silu";
    config["flip_sin_to_cos"] = true;
    config["freq_shift"] = 0;
    config["downsample_padding"] = 1;
    config["mid_block_scale_factor"] = 1;
    config["center_input_sample"] = false;
    config["only_cross_attention"] = false;
    config["dual_cross_attention"] = false;
    config["resnet_time_scale_shift"] = "default";
    config["time_embedding_type"] = "positional";
    config["addition_embed_type"] = nullptr;
    config["class_embed_type"] = nullptr;
    if (const auto addIn = unet.tensors.find("add_embedding.linear_1.weight"); addIn != unet.tensors.end()) {
        // ref: sd_xl_base.yaml adm_in_channels 2816 = the pooled text embedding (1280) + 6 size/crop numbers
        // embedded with 256 sinusoids each. With the text encoder's width known the 256 follows from shapes.
        const std::int64_t inputs = addIn->second.size(1);
        const bool derivable = pooledTextDim > 0 && inputs > pooledTextDim && (inputs - pooledTextDim) % 6 == 0;
        config["addition_embed_type"] = "text_time";
        config["addition_time_embed_dim"] = derivable ? (inputs - pooledTextDim) / 6 : 256;
        config["projection_class_embeddings_input_dim"] = inputs;
    }
    return config;
}

json inferVaeConfig(const StateDict& vae, ModelFamily family, Prediction prediction) {
    if (vae.tensors.empty()) return nullptr;
    const int levels = countIndexed(vae, "encoder.down_blocks.");
    json config;
    config["_class_name"] = "AutoencoderKL";
    std::vector<std::int64_t> channels;
    for (int i = 0; i < levels; ++i)
        channels.push_back(shapeOf(vae, "encoder.down_blocks." + std::to_string(i) + ".resnets.0.conv1.weight")[0]);
    if (channels.empty()) shapeOf(vae, "encoder.down_blocks.0.resnets.0.conv1.weight");  // throws with the name
    config["block_out_channels"] = channels;
    config["down_block_types"] = std::vector<std::string>(channels.size(), "DownEncoderBlock2D");
    config["up_block_types"] = std::vector<std::string>(channels.size(), "UpDecoderBlock2D");
    config["layers_per_block"] = countIndexed(vae, "encoder.down_blocks.0.resnets.");
    config["in_channels"] = shapeOf(vae, "encoder.conv_in.weight")[1];
    config["out_channels"] = shapeOf(vae, "decoder.conv_out.weight")[0];
    config["latent_channels"] = shapeOf(vae, "decoder.conv_in.weight")[1];
    config["use_quant_conv"] = vae.tensors.count("quant_conv.weight") > 0;
    config["use_post_quant_conv"] = vae.tensors.count("post_quant_conv.weight") > 0;
    config["mid_block_add_attention"] = hasPrefix(vae, "decoder.mid_block.attentions.");
    // ref: the v1/v2 yaml first_stage_config and diffusers' LDM_VAE_DEFAULT_SCALING_FACTOR; SDXL's VAE was
    // retrained and scales by 0.13025 (sd_xl_base.yaml scale_factor).
    config["scaling_factor"] = family == ModelFamily::SDXL ? 0.13025 : 0.18215;
    config["norm_num_groups"] = 32;
    config["act_fn"] = "silu";
    config["force_upcast"] = true;
    config["sample_size"] = imageSize(family, prediction);
    return config;
}

json inferTextEncoderConfig(const StateDict& text, TextTower tower) {
    if (text.tensors.empty()) return nullptr;
    const auto tokens = shapeOf(text, "text_model.embeddings.token_embedding.weight");
    const std::int64_t hidden = tokens[1];
    const bool openClip = tower != TextTower::ClipL;
    json config;
    config["architectures"] = {tower == TextTower::OpenClipWithProjection ? "CLIPTextModelWithProjection"
                                                                          : "CLIPTextModel"};
    config["model_type"] = "clip_text_model";
    config["hidden_size"] = hidden;
    config["vocab_size"] = tokens[0];
    config["max_position_embeddings"] = shapeOf(text, "text_model.embeddings.position_embedding.weight")[0];
    config["num_hidden_layers"] = countIndexed(text, "text_model.encoder.layers.");
    config["intermediate_size"] = shapeOf(text, "text_model.encoder.layers.0.mlp.fc1.weight")[0];
    // ref: CLIP ViT-L/14 text tower (12 heads of 64), OpenCLIP ViT-H/14 (16 of 64) and ViT-bigG/14 (20 of 64).
    // Invisible in shapes.
    config["num_attention_heads"] = std::max<std::int64_t>(1, hidden / 64);
    // ref: openai/clip-vit-large-patch14 config (quick_gelu); OpenCLIP uses nn.GELU (stable-diffusion-2-1
    // text_encoder/config.json and stable-diffusion-xl-base-1.0 text_encoder_2/config.json: "gelu").
    config["hidden_act"] = openClip ? "gelu" : "quick_gelu";
    config["layer_norm_eps"] = 1e-5;
    config["bos_token_id"] = 49406;
    config["eos_token_id"] = 49407;
    // OpenCLIP's tokenizers pad with "!" (id 0), CLIP-L's with the end token (ref: the repos' tokenizer configs).
    config["pad_token_id"] = openClip ? 0 : 49407;
    const auto projection = text.tensors.find("text_projection.weight");
    config["projection_dim"] = projection != text.tensors.end() ? projection->second.size(0) : hidden;
    return config;
}

json defaultSchedulerConfig(ModelFamily family, Prediction prediction) {
    json config;
    // ref: the SD 1.5 / 2.1 / SDXL base repos' scheduler_config.json (PNDM / DDIM / Euler over the same
    // training schedule).
    config["_class_name"] = family == ModelFamily::SDXL  ? "EulerDiscreteScheduler"
                            : family == ModelFamily::SD2 ? "DDIMScheduler"
                                                         : "PNDMScheduler";
    config["beta_start"] = 0.00085;
    config["beta_end"] = 0.012;
    config["beta_schedule"] = "scaled_linear";
    config["num_train_timesteps"] = 1000;
    config["steps_offset"] = 1;
    config["timestep_spacing"] = "leading";
    config["clip_sample"] = false;
    config["set_alpha_to_one"] = false;
    config["skip_prk_steps"] = true;
    config["trained_betas"] = nullptr;
    config["prediction_type"] = prediction == Prediction::VPrediction ? "v_prediction" : "epsilon";
    return config;
}

}  // namespace storybrush::io
