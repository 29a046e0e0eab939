// Loading a checkpoint into ready-to-run networks.
#include "pipeline/loaded_model.h"

#include "models/weights.h"
#include "runtime/speed.h"
#include "runtime/warm_up.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <filesystem>

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
    const runtime::GpuWarmUp warmUp(target.device, {target.dtype, runtime::vaeTarget(target, /*forceUpcast=*/true).dtype});
    if (isQwenImage(path)) {
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

    const std::string source = checkpoint.path;
    model->textEncoder = models::loadClipTextModel(
        models::ClipTextConfig::fromJson(checkpoint.textEncoderConfig, source), checkpoint.textEncoder, target);
    if (sdxl) model->textEncoder2 = models::loadClipTextModel(secondEncoderConfig(checkpoint, path), checkpoint.textEncoder2, target);
    model->unet = models::loadUNet(models::UNetConfig::fromJson(checkpoint.unetConfig, source), checkpoint.unet, target);
    if (target.device.is_cuda() && runtime::speedLevers().channelsLast) models::useChannelsLast(*model->unet);
    const auto vaeConfig = models::AutoencoderKLConfig::fromJson(checkpoint.vaeConfig, source);
    // The published SD VAEs overflow in fp16 (ref: diffusers upcast_vae / force_upcast): keep them in fp32.
    model->vaeTarget = runtime::vaeTarget(target, vaeConfig.forceUpcast);
    model->vae = models::loadAutoencoderKL(vaeConfig, checkpoint.vae, model->vaeTarget);
    if (target.device.is_cuda() && runtime::speedLevers().vaeChannelsLast) models::useChannelsLast(*model->vae);
    if (target.device.is_cuda()) model->vae->parkEncoder();
    return model;
}

}  // namespace storybrush::pipeline
