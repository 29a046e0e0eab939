// Random full-size SD models. The configs are the published diffusers config.json files' fields.
#include "pipeline/random_model.h"

#include "io/checkpoint.h"
#include "io/safetensors_writer.h"
#include "models/weights.h"
#include "runtime/memory.h"
#include "runtime/speed.h"
#include "text/byte_level_bpe.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace storybrush::pipeline {

namespace {

using nlohmann::json;

// ref: stabilityai/stable-diffusion-xl-base-1.0 unet/config.json.
json sdxlUnetConfig() {
    return {{"in_channels", 4},
            {"out_channels", 4},
            {"sample_size", 128},
            {"block_out_channels", {320, 640, 1280}},
            {"layers_per_block", 2},
            {"down_block_types", {"DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"}},
            {"up_block_types", {"CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"}},
            {"transformer_layers_per_block", {1, 2, 10}},
            {"attention_head_dim", {5, 10, 20}},
            {"cross_attention_dim", 2048},
            {"use_linear_projection", true},
            {"norm_num_groups", 32},
            {"addition_embed_type", "text_time"},
            {"addition_time_embed_dim", 256},
            {"projection_class_embeddings_input_dim", 2816}};
}

// ref: stable-diffusion-xl-base-1.0 text_encoder_2/config.json (OpenCLIP ViT-bigG).
json sdxlText2Config() {
    return {{"architectures", {"CLIPTextModelWithProjection"}},
            {"hidden_size", 1280},
            {"num_hidden_layers", 32},
            {"num_attention_heads", 20},
            {"intermediate_size", 5120},
            {"hidden_act", "gelu"},
            {"projection_dim", 1280},
            {"max_position_embeddings", 77},
            {"vocab_size", 49408},
            {"eos_token_id", 49407},
            {"pad_token_id", 0}};
}

json unetConfig(bool sd2) {
    json config = {
        {"in_channels", 4},
        {"out_channels", 4},
        {"sample_size", sd2 ? 96 : 64},
        {"block_out_channels", {320, 640, 1280, 1280}},
        {"layers_per_block", 2},
        {"down_block_types", {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"}},
        {"up_block_types", {"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"}},
        {"cross_attention_dim", sd2 ? 1024 : 768},
        {"norm_num_groups", 32},
    };
    if (sd2) {
        config["attention_head_dim"] = {5, 10, 20, 20};  // diffusers' SD 2 name for the head counts (64 wide)
        config["use_linear_projection"] = true;
    } else {
        config["attention_head_dim"] = 8;
    }
    return config;
}

json vaeConfig() {
    return {
        {"in_channels", 3},
        {"out_channels", 3},
        {"latent_channels", 4},
        {"block_out_channels", {128, 256, 512, 512}},
        {"layers_per_block", 2},
        {"norm_num_groups", 32},
        {"down_block_types", {"DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"}},
        {"up_block_types", {"UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"}},
        {"sample_size", 512},
        {"scaling_factor", 0.18215}};
}

json textConfig(bool sd2) {
    return {{"hidden_size", sd2 ? 1024 : 768},
            {"num_hidden_layers", sd2 ? 23 : 12},
            {"num_attention_heads", sd2 ? 16 : 12},
            {"intermediate_size", sd2 ? 4096 : 3072},
            {"hidden_act", sd2 ? "gelu" : "quick_gelu"},
            {"max_position_embeddings", 77},
            {"vocab_size", 49408},
            {"eos_token_id", 49407},
            {"pad_token_id", sd2 ? 0 : 49407}};
}

json schedulerConfig(bool sd2) {
    return {{"num_train_timesteps", 1000}, {"beta_start", 0.00085},
            {"beta_end", 0.012},           {"beta_schedule", "scaled_linear"},
            {"steps_offset", 1},           {"timestep_spacing", "leading"},
            {"clip_sample", false},        {"set_alpha_to_one", false},
            {"skip_prk_steps", true},      {"prediction_type", sd2 ? "v_prediction" : "epsilon"}};
}

// Norm weights 1, biases 0, everything else normal with std 1/sqrt(fan_in): activations keep their scale
// through the network, so a random model runs the same kernels on the same value ranges as a real one.
// `work`: the device that draws the values (the GPU where there is one: drawing SD 1.5's billion values on the
// CPU takes tens of seconds).
void randomise(torch::nn::Module& module, std::uint64_t seed, const torch::Device& work) {
    torch::NoGradGuard noGrad;
    // Drawn in place where the weights live on `work`; the default generators are seeded for this only:
    // generations never use them (their noise comes from explicit CPU generators).
    torch::manual_seed(seed);
    for (auto& item : module.named_parameters()) {
        auto& tensor = item.value();
        const std::string& name = item.key();
        const bool isNorm = name.find("norm") != std::string::npos;
        const bool isBias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
        if (isBias) {
            tensor.zero_();
        } else if (isNorm || tensor.dim() < 2) {
            tensor.fill_(1.0);
        } else {
            const double fanIn = static_cast<double>(tensor.numel() / tensor.size(0));
            if (tensor.device() == work) {
                tensor.normal_(0.0, 1.0 / std::sqrt(fanIn));
            } else {  // weights kept in main memory are drawn on the GPU: minutes become seconds for 28 B values
                tensor.copy_(
                    torch::empty(tensor.sizes(), tensor.options().device(work)).normal_(0.0, 1.0 / std::sqrt(fanIn)));
            }
        }
    }
}

void writeJson(const std::filesystem::path& file, const json& value) {
    std::ofstream out(file);
    out << value.dump(2) << "\n";
    if (!out) throw Error(ErrorKind::Io, "Cannot write " + file.string() + " (is the disk full?)");
}

void writeWeights(const std::filesystem::path& file, const torch::nn::Module& module) {
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& item : module.named_parameters())
        tensors.emplace_back(item.key(), item.value().detach().to(torch::kCPU, torch::kFloat16));
    for (const auto& item : module.named_buffers())
        tensors.emplace_back(item.key(), item.value().detach().to(torch::kCPU));
    io::writeSafetensors(file.string(), tensors);
}

// A byte-level BPE with no merges worth the name: every byte its own token, plus Qwen's special tokens.
std::string writeByteTokenizer() {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "storybrush-random-qwen-tokenizer";
    std::error_code error;
    fs::create_directories(dir, error);
    json vocab = json::object();
    for (int byte = 0; byte < 256; ++byte)
        vocab[text::ByteLevelBpe::byteLevel(std::string(1, static_cast<char>(byte)))] = byte;
    vocab["Ġt"] = 256;
    writeJson(dir / "vocab.json", vocab);
    std::ofstream merges(dir / "merges.txt");
    merges << "#version: 0.2\nĠ t\n";
    if (!merges) throw Error(ErrorKind::Io, "Cannot write " + (dir / "merges.txt").string() + " (is the disk full?)");
    writeJson(dir / "tokenizer_config.json", {{"pad_token", "<|endoftext|>"}});
    writeJson(dir / "added_tokens.json", {{"<|endoftext|>", 151643}, {"<|im_start|>", 151644}, {"<|im_end|>", 151645}});
    return dir.u8string();
}

std::int64_t parameterCount(const torch::nn::Module& module) {
    std::int64_t count = 0;
    for (const auto& p : module.parameters()) count += p.numel();
    return count;
}

}  // namespace

std::shared_ptr<LoadedModel> makeRandomQwenImage(const runtime::ComputeTarget& target, std::uint64_t seed,
                                                 const LoadOptions& options) {
    auto model = std::make_shared<QwenImageModel>();
    model->path = "random:qwenimage";
    model->name = "random-qwenimage";
    model->family = familyById("qwenimage");
    auto parts = std::make_unique<QwenImageParts>();
    parts->target = target;
    // as loadQwenImageParts: BF16 (or FP32) for the text encoder and the VAE
    const bool bf16 = target.device.is_cuda() && runtime::vaeTarget(target, true).dtype == torch::kBFloat16;
    parts->textTarget = {target.device, target.dtype == torch::kFloat32 ? torch::kFloat32
                                        : bf16                          ? torch::kBFloat16
                                                                        : torch::kFloat32};
    parts->vaeTarget = parts->textTarget;
    parts->tokenizer = std::make_unique<text::QwenTokenizer>(writeByteTokenizer());
    const auto tensorOptions = [](const runtime::ComputeTarget& t) {
        return torch::TensorOptions().device(t.device).dtype(t.dtype);
    };
    const auto vaeConfig = models::QwenImageVaeConfig::fromJson(json::object(), model->path);
    Offload offload = Offload::None;
    if (target.device.is_cuda()) {  // planned as loadQwenImageParts plans it, from the shapes alone
        const auto meta = torch::TensorOptions().device(torch::Device(torch::kMeta));
        constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
        const double text = parameterCount(*models::Qwen2TextModel(models::Qwen2TextConfig{}, meta)) *
                            double(c10::elementSize(parts->textTarget.dtype)) / kGiB;
        const double transformer =
            parameterCount(*models::QwenImageTransformer2DModel(models::QwenImageTransformerConfig{}, meta)) *
            double(options.fp8Weights ? 1 : c10::elementSize(target.dtype)) / kGiB;
        const double vae = parameterCount(*models::AutoencoderQwenImage(vaeConfig, meta)) *
                           double(c10::elementSize(parts->vaeTarget.dtype)) / kGiB;
        const double budget = options.gpuBudgetGiB > 0 ? options.gpuBudgetGiB : runtime::deviceTotalGiB(target.device);
        offload = options.offload.value_or(planQwenOffload(text, transformer, vae, budget));
    }
    // With the card big enough, FP8 is made in place on it (placeQwenParts converts layer by layer).
    const bool stageInMemory = offload != Offload::None;
    const torch::Device host(torch::kCPU);
    parts->textEncoder = models::Qwen2TextModel(
        models::Qwen2TextConfig{}, tensorOptions(parts->textTarget).device(stageInMemory ? host : target.device));
    randomise(*parts->textEncoder, seed, target.device);
    parts->textEncoder->eval();
    parts->transformer = models::QwenImageTransformer2DModel(
        models::QwenImageTransformerConfig{}, tensorOptions(target).device(stageInMemory ? host : target.device));
    randomise(*parts->transformer, seed + 1, target.device);
    parts->transformer->eval();
    parts->vae = models::AutoencoderQwenImage(vaeConfig, tensorOptions(parts->vaeTarget));
    randomise(*parts->vae, seed + 2, target.device);
    parts->vae->eval();
    placeQwenParts(*parts, offload, options.fp8Weights);
    model->parts = std::move(parts);
    model->describeParts();
    return model;
}

void writeModelFolder(const std::string& kind, const LoadedModel& loaded, const std::string& folderPath) {
    namespace fs = std::filesystem;
    const auto* sd = dynamic_cast<const StableDiffusionModel*>(&loaded);
    if (!sd)
        throw Error(ErrorKind::InvalidRequest, "Writing a random Qwen-Image is not offered: its 48 GB of weights would "
                                               "not fit the disk; benchmark it in memory instead.");
    const bool sd2 = kind == "sd2";
    const bool sdxl = kind == "sdxl";
    const fs::path folder = fs::u8path(folderPath);
    std::error_code error;
    for (const char* part : {"unet", "vae", "text_encoder", "tokenizer", "scheduler"})
        fs::create_directories(folder / part, error);
    if (sdxl) {
        fs::create_directories(folder / "text_encoder_2", error);
        fs::create_directories(folder / "tokenizer_2", error);
    }
    if (error) throw Error(ErrorKind::Io, "Cannot make the folder " + folderPath + ": " + error.message());
    json index = {{"_class_name", sdxl ? "StableDiffusionXLPipeline" : "StableDiffusionPipeline"},
                  {"unet", {"diffusers", "UNet2DConditionModel"}},
                  {"vae", {"diffusers", "AutoencoderKL"}},
                  {"text_encoder", {"transformers", "CLIPTextModel"}},
                  {"tokenizer", {"transformers", "CLIPTokenizer"}},
                  {"scheduler", {"diffusers", sdxl ? "EulerDiscreteScheduler" : "PNDMScheduler"}}};
    auto unet = sdxl ? sdxlUnetConfig() : unetConfig(sd2);
    unet["_class_name"] = "UNet2DConditionModel";
    unet["in_channels"] = sd->unet->config.inChannels;
    auto vae = vaeConfig();
    vae["_class_name"] = "AutoencoderKL";
    if (sdxl) vae["scaling_factor"] = 0.13025;
    auto text = textConfig(sd2);
    text["architectures"] = {"CLIPTextModel"};
    text["model_type"] = "clip_text_model";
    writeJson(folder / "unet" / "config.json", unet);
    writeJson(folder / "vae" / "config.json", vae);
    writeJson(folder / "text_encoder" / "config.json", text);
    writeJson(folder / "scheduler" / "scheduler_config.json", schedulerConfig(sd2));
    writeWeights(folder / "unet" / "diffusion_pytorch_model.safetensors", *sd->unet);
    writeWeights(folder / "vae" / "diffusion_pytorch_model.safetensors", *sd->vae);
    writeWeights(folder / "text_encoder" / "model.safetensors", *sd->textEncoder);
    const fs::path vocabulary = fs::u8path(io::bundledClipTokenizerDir());
    std::vector<const char*> tokenizers{"tokenizer"};
    if (sdxl) {
        index["text_encoder_2"] = {"transformers", "CLIPTextModelWithProjection"};
        index["tokenizer_2"] = {"transformers", "CLIPTokenizer"};
        auto text2 = sdxlText2Config();
        text2["model_type"] = "clip_text_model";
        writeJson(folder / "text_encoder_2" / "config.json", text2);
        writeWeights(folder / "text_encoder_2" / "model.safetensors", *sd->textEncoder2);
        tokenizers.push_back("tokenizer_2");
    }
    for (const char* tokenizer : tokenizers) {
        for (const char* file : {"vocab.json", "merges.txt"})
            fs::copy_file(vocabulary / file, folder / tokenizer / file, fs::copy_options::overwrite_existing, error);
        // The pad token each family's tokenizer uses (SD 2.x's and SDXL's second: "!").
        const bool bang = sd2 || std::string(tokenizer) == "tokenizer_2";
        writeJson(folder / tokenizer / "special_tokens_map.json", {{"bos_token", "<|startoftext|>"},
                                                                   {"eos_token", "<|endoftext|>"},
                                                                   {"unk_token", "<|endoftext|>"},
                                                                   {"pad_token", bang ? "!" : "<|endoftext|>"}});
        writeJson(folder / tokenizer / "tokenizer_config.json",
                  {{"model_max_length", 77}, {"tokenizer_class", "CLIPTokenizer"}});
    }
    if (error) throw Error(ErrorKind::Io, "Cannot copy the tokenizer into " + folderPath + ": " + error.message());
    writeJson(folder / "model_index.json", index);
}

std::shared_ptr<LoadedModel> makeRandomModel(const std::string& kind, const runtime::ComputeTarget& target,
                                             std::uint64_t seed, const LoadOptions& loadOptions) {
    if (kind == "qwenimage") return makeRandomQwenImage(target, seed, loadOptions);
    if (loadOptions.fp8Weights) throw Error(ErrorKind::InvalidRequest, "FP8 weights are for Qwen-Image models.");
    if (kind != "sd15" && kind != "sd15-inpaint" && kind != "sd2" && kind != "sdxl") {
        throw Error(ErrorKind::InvalidRequest,
                    "Unknown random model '" + kind + "': use sd15, sd15-inpaint, sd2, sdxl or qwenimage.");
    }
    const bool sd2 = kind == "sd2";
    const bool sdxl = kind == "sdxl";
    const bool inpainting = kind == "sd15-inpaint";
    auto model = std::make_shared<StableDiffusionModel>();
    model->path = "random:" + kind;
    model->name = "random-" + kind;
    model->family = familyById(sdxl ? "sdxl" : sd2 ? "sd2" : "sd1");
    model->sdxlLatents = sdxl;
    model->prediction = sd2 ? io::Prediction::VPrediction : io::Prediction::Epsilon;
    model->schedulerConfig = schedulerConfig(sd2);
    model->nativeSize = sdxl ? 1024 : sd2 ? 768 : 512;
    model->target = target;
    model->vaeTarget = runtime::vaeTarget(target, /*forceUpcast=*/true);  // as loadModel for the SD VAEs
    const std::string dir = io::bundledClipTokenizerDir();
    model->tokenizer = std::make_unique<text::ClipTokenizer>(dir + "/vocab.json", dir + "/merges.txt", sd2 ? "!" : "");

    const auto options = torch::TensorOptions().device(target.device).dtype(target.dtype);
    const std::string source = model->path;
    model->textEncoder = models::ClipTextModel(models::ClipTextConfig::fromJson(textConfig(sd2), source), options);
    randomise(*model->textEncoder, seed, target.device);
    model->textEncoder->eval();
    if (sdxl) {
        model->tokenizer2 = std::make_unique<text::ClipTokenizer>(dir + "/vocab.json", dir + "/merges.txt", "!");
        model->textEncoder2 =
            models::ClipTextModel(models::ClipTextConfig::fromJson(sdxlText2Config(), source), options);
        randomise(*model->textEncoder2, seed + 3, target.device);
        model->textEncoder2->eval();
        model->zeroEmptyNegative = true;
    }
    auto unetJson = sdxl ? sdxlUnetConfig() : unetConfig(sd2);
    if (inpainting) unetJson["in_channels"] = 9;
    model->inpaintingUnet = inpainting;
    model->unet = models::UNet2DConditionModel(models::UNetConfig::fromJson(unetJson, source), options);
    randomise(*model->unet, seed + 1, target.device);
    if (target.device.is_cuda() && runtime::speedLevers().channelsLast) models::useChannelsLast(*model->unet);
    auto vaeJson = vaeConfig();
    if (sdxl) vaeJson["scaling_factor"] = 0.13025;
    model->vae = models::AutoencoderKL(models::AutoencoderKLConfig::fromJson(vaeJson, source),
                                       torch::TensorOptions().device(target.device).dtype(model->vaeTarget.dtype));
    randomise(*model->vae, seed + 2, target.device);
    if (target.device.is_cuda() && runtime::speedLevers().vaeChannelsLast) models::useChannelsLast(*model->vae);
    if (target.device.is_cuda()) model->vae->parkEncoder();
    model->unet->eval();
    model->vae->eval();
    // A random model has no TAESD beside it: "auto" means none.
    if (loadOptions.previewDecoder != "auto")
        model->previewDecoder = choosePreviewDecoder(loadOptions.previewDecoder, model->path, target);
    return model;
}

}  // namespace storybrush::pipeline
