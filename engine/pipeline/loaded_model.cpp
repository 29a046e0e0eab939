// Loading a checkpoint into ready-to-run networks.
#include "pipeline/loaded_model.h"

#include "models/weights.h"
#include "runtime/memory.h"
#include "runtime/speed.h"
#include "runtime/torch_compat.h"
#include "runtime/warm_up.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <filesystem>
#include <future>

namespace storybrush::pipeline {

namespace fs = std::filesystem;

namespace {

// The family is one we draw with and every part is there.
void checkComplete(const io::Checkpoint& checkpoint, const std::string& path) {
    if (checkpoint.family == io::ModelFamily::Unknown) {
        throw Error(ErrorKind::UnsupportedModel, "The model " + path + " is of a kind Storybrush does not know; it "
                                                 "draws with SD 1.x, SD 2.x and SDXL models.");
    }
    const bool sdxl = checkpoint.family == io::ModelFamily::SDXL;
    if (checkpoint.unet.tensors.empty() || checkpoint.vae.tensors.empty() || checkpoint.textEncoder.tensors.empty() ||
        (sdxl && checkpoint.textEncoder2.tensors.empty())) {
        throw Error(ErrorKind::ModelFile, "The model " + path + " lacks a part needed to draw (UNet, VAE or text "
                                          "encoder): use a complete checkpoint, not a UNet-only or VAE-only file.");
    }
}

// The UNet takes the VAE's latents (ordinary) or latents + mask + masked picture (inpainting); true for inpainting.
bool checkUnetChannels(const io::Checkpoint& checkpoint, const std::string& path) {
    const int latentChannels = static_cast<int>(checkpoint.vaeConfig.value("latent_channels", 4));
    const int unetChannels = static_cast<int>(checkpoint.unetConfig.value("in_channels", 4));
    const bool inpainting = unetChannels == 2 * latentChannels + 1;
    if (unetChannels != latentChannels && !inpainting) {
        throw Error(ErrorKind::UnsupportedModel,
                    "The model " + path + " has a UNet taking " + std::to_string(unetChannels) +
                        " channels; Storybrush runs ordinary (" + std::to_string(latentChannels) +
                        ") and inpainting (" + std::to_string(2 * latentChannels + 1) + ") UNets.");
    }
    return inpainting;
}

models::ClipTextConfig secondEncoderConfig(const io::Checkpoint& checkpoint, const std::string& path) {
    auto config = models::ClipTextConfig::fromJson(checkpoint.textEncoder2Config, checkpoint.path);
    if (!config.withProjection)
        throw Error(ErrorKind::ModelFile, "The model " + path + " has a second text encoder without the projection "
                                          "SDXL needs (text_projection). The file is incomplete.");
    return config;
}

// The UNet's first call plans each of its convolution shapes with cuDNN, and libtorch keeps those plans per thread
// (about 0.8 s of SD 1.5's first step on the H200, whatever the warm-up thread of runtime/warm_up.h loaded). Copying
// the weights needs the CPU and the bus but not cuDNN, so while another thread copies them, this one (the thread that
// will sample) calls the still-empty UNet at batch 2 and the VAE's decoder once, at the model's own size. The outputs
// are garbage and thrown away; the plans, libraries and kernels stay.
void planOnThisThread(LoadedModel& model, const models::UNetConfig& unetConfig) {
    runtime::InferenceGuard inference;
    const auto options = torch::TensorOptions().device(model.target.device).dtype(model.target.dtype);
    const std::int64_t side = model.nativeSize / 8;
    const std::int64_t contextDim = unetConfig.crossAttentionDim.empty() ? 1280 : unetConfig.crossAttentionDim.front();
    models::UNetConditioning extra;
    if (unetConfig.textTimeEmbedding) {
        extra.textEmbeds = torch::zeros({2, unetConfig.projectionClassEmbeddingsInputDim - 6 * unetConfig.additionTimeEmbedDim}, options);
        extra.timeIds = torch::zeros({2, 6}, options);
    }
    if (unetConfig.timeCondProjDim) extra.timestepCond = torch::zeros({2, *unetConfig.timeCondProjDim}, options);
    const auto sample = torch::zeros({2, unetConfig.inChannels, side, side}, options);
    const auto timestep = torch::full({2}, 999.0, torch::TensorOptions().dtype(torch::kFloat32).device(model.target.device));
    try {
        (void)model.unet->forward(sample, timestep, torch::zeros({2, 77, contextDim}, options), extra);
        const auto vaeOptions = torch::TensorOptions().device(model.vaeTarget.device).dtype(model.vaeTarget.dtype);
        (void)model.vae->decode(torch::zeros({1, model.latentChannels, side, side}, vaeOptions));
        runtime::synchronize(model.target.device);
    } catch (const c10::OutOfMemoryError&) {
        // A card that fits the model only at smaller sizes than its own: the first picture plans as before.
    }
}

}  // namespace

ModelSummary checkModel(const std::string& path) {
    if (isQwenImage(path)) {
        ModelSummary summary;
        summary.family = io::ModelFamily::QwenImage;
        summary.nativeSize = checkQwenImage(path);
        return summary;
    }
    const io::Checkpoint checkpoint = io::openCheckpoint(path);
    checkComplete(checkpoint, path);
    ModelSummary summary;
    summary.family = checkpoint.family;
    summary.prediction = checkpoint.prediction;
    summary.inpainting = checkUnetChannels(checkpoint, path);
    summary.nativeSize = static_cast<int>(checkpoint.unetConfig.value("sample_size", 64)) * 8;
    // Built on the meta device: shapes only, so the check costs no memory whatever the model's size.
    const auto meta = torch::TensorOptions().device(torch::Device(torch::kMeta)).dtype(torch::kFloat16);
    const std::string& source = checkpoint.path;
    models::UNet2DConditionModel unet(models::UNetConfig::fromJson(checkpoint.unetConfig, source), meta);
    models::checkStrict(*unet, checkpoint.unet);
    models::AutoencoderKL vae(models::AutoencoderKLConfig::fromJson(checkpoint.vaeConfig, source), meta);
    models::checkStrict(*vae, checkpoint.vae);
    models::ClipTextModel text(models::ClipTextConfig::fromJson(checkpoint.textEncoderConfig, source), meta);
    models::checkStrict(*text, checkpoint.textEncoder);
    if (checkpoint.family == io::ModelFamily::SDXL) {
        models::ClipTextModel text2(secondEncoderConfig(checkpoint, path), meta);
        models::checkStrict(*text2, checkpoint.textEncoder2);
    }
    return summary;
}

std::shared_ptr<LoadedModel> loadModel(const std::string& path, const runtime::ComputeTarget& target,
                                       const LoadOptions& options, const QwenLoadOptions& qwen) {
    if (isQwenImage(path)) {
        const runtime::GpuWarmUp warmUp(target.device, {target.dtype, runtime::vaeTarget(target, /*forceUpcast=*/true).dtype});
        auto model = std::make_shared<LoadedModel>();
        model->path = path;
        fs::path name = fs::u8path(path);
        if (name.filename().empty()) name = name.parent_path();
        model->name = name.stem().u8string();
        model->family = io::ModelFamily::QwenImage;
        model->target = target;
        model->qwen = loadQwenImageParts(path, target, qwen);
        model->vaeTarget = model->qwen->vaeTarget;
        model->latentChannels = static_cast<int>(model->qwen->vae->config.zDim);
        // ref: QwenImagePipeline: default_sample_size 128 latents
        model->nativeSize = static_cast<int>(128 * model->qwen->vae->config.scaleFactor());
        return model;
    }
    io::OpenOptions open;
    open.configFrom = options.configFrom;
    io::Checkpoint checkpoint = io::openCheckpoint(path, open);
    checkComplete(checkpoint, path);
    const bool sdxl = checkpoint.family == io::ModelFamily::SDXL;

    auto model = std::make_shared<LoadedModel>();
    model->path = path;
    fs::path name = fs::u8path(path);
    if (name.filename().empty()) name = name.parent_path();  // "folder/"
    model->name = name.stem().u8string();
    model->family = checkpoint.family;
    model->prediction = checkpoint.prediction;
    model->schedulerConfig = checkpoint.schedulerConfig;
    model->target = target;
    model->nativeSize = static_cast<int>(checkpoint.unetConfig.value("sample_size", 64)) * 8;
    model->latentChannels = static_cast<int>(checkpoint.vaeConfig.value("latent_channels", 4));
    model->inpaintingUnet = checkUnetChannels(checkpoint, path);

    // Single files carry no tokenizer: the bundled CLIP vocabulary is the one every SD 1.x/2.x/XL model uses;
    // SD 2.x pads with "!" (id 0) where SD 1.x pads with the end token (ref: the SD 2 tokenizer_config.json).
    if (checkpoint.layout == io::Layout::SingleFile) {
        const fs::path dir = fs::u8path(checkpoint.tokenizerDir);
        model->tokenizer = std::make_unique<text::ClipTokenizer>(
            (dir / "vocab.json").u8string(), (dir / "merges.txt").u8string(),
            checkpoint.family == io::ModelFamily::SD2 ? "!" : "");
    } else {
        model->tokenizer = std::make_unique<text::ClipTokenizer>(checkpoint.tokenizerDir);
    }
    if (sdxl) {
        const fs::path dir = fs::u8path(checkpoint.tokenizer2Dir);
        model->tokenizer2 = checkpoint.tokenizer2PadToken.empty()
                                ? std::make_unique<text::ClipTokenizer>(checkpoint.tokenizer2Dir)
                                : std::make_unique<text::ClipTokenizer>((dir / "vocab.json").u8string(),
                                                                        (dir / "merges.txt").u8string(),
                                                                        checkpoint.tokenizer2PadToken);
        model->zeroEmptyNegative = checkpoint.zeroEmptyNegative;
    }

    // The networks are made empty on the device (and in their layouts) first, then filled: so their first calls can
    // overlap the filling (planOnThisThread).
    const std::string source = checkpoint.path;
    const auto on = [](const runtime::ComputeTarget& where) {
        return torch::TensorOptions().device(where.device).dtype(where.dtype);
    };
    torch::NoGradGuard noGrad;
    model->textEncoder = models::ClipTextModel(models::ClipTextConfig::fromJson(checkpoint.textEncoderConfig, source), on(target));
    if (sdxl) model->textEncoder2 = models::ClipTextModel(secondEncoderConfig(checkpoint, path), on(target));
    const auto unetConfig = models::UNetConfig::fromJson(checkpoint.unetConfig, source);
    model->unet = models::UNet2DConditionModel(unetConfig, on(target));
    if (target.device.is_cuda() && runtime::speedLevers().channelsLast) models::useChannelsLast(*model->unet);
    const auto vaeConfig = models::AutoencoderKLConfig::fromJson(checkpoint.vaeConfig, source);
    // The published SD VAEs overflow in fp16 (ref: diffusers upcast_vae / force_upcast): keep them in fp32.
    model->vaeTarget = runtime::vaeTarget(target, vaeConfig.forceUpcast);
    model->vae = models::AutoencoderKL(vaeConfig, on(model->vaeTarget));
    if (target.device.is_cuda() && runtime::speedLevers().vaeChannelsLast) models::useChannelsLast(*model->vae);
    for (torch::nn::Module* network : std::initializer_list<torch::nn::Module*>{
             model->textEncoder.get(), model->textEncoder2 ? model->textEncoder2.get() : nullptr, model->unet.get(), model->vae.get()}) {
        if (network) network->eval();
    }

    // Tensors made in inference mode (Engine::generate loads in it) can be written only in it, and the mode is per
    // thread: the thread that fills them takes the caller's.
    const bool inferenceMode = c10::InferenceMode::is_enabled();
    const auto fill = [&checkpoint, &model, sdxl, inferenceMode] {
        const runtime::InferenceGuard sameMode(inferenceMode);
        models::loadStrict(*model->textEncoder, checkpoint.textEncoder);
        if (sdxl) models::loadStrict(*model->textEncoder2, checkpoint.textEncoder2);
        models::loadStrict(*model->unet, checkpoint.unet);
        models::loadStrict(*model->vae, checkpoint.vae);
    };
    if (options.planWhileLoading.value_or(target.device.is_cuda() && runtime::speedLevers().planWhileLoading)) {
        auto filling = std::async(std::launch::async, fill);
        planOnThisThread(*model, unetConfig);
        filling.get();  // rethrows what the weights were found to lack
    } else {
        const runtime::GpuWarmUp warmUp(target.device, {target.dtype, model->vaeTarget.dtype});
        fill();
    }
    if (target.device.is_cuda()) model->vae->parkEncoder();
    return model;
}

}  // namespace storybrush::pipeline
