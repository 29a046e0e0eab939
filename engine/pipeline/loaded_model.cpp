// Loading a checkpoint into ready-to-run networks.
#include "pipeline/loaded_model.h"

#include <storybrush/error.h>

#include <filesystem>

namespace storybrush::pipeline {

namespace fs = std::filesystem;

std::shared_ptr<LoadedModel> loadModel(const std::string& path, const runtime::ComputeTarget& target,
                                       const LoadOptions& options) {
    io::OpenOptions open;
    open.configFrom = options.configFrom;
    io::Checkpoint checkpoint = io::openCheckpoint(path, open);
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
    const int unetChannels = static_cast<int>(checkpoint.unetConfig.value("in_channels", 4));
    model->inpaintingUnet = unetChannels == 2 * model->latentChannels + 1;
    if (unetChannels != model->latentChannels && !model->inpaintingUnet) {
        throw Error(ErrorKind::UnsupportedModel,
                    "The model " + path + " has a UNet taking " + std::to_string(unetChannels) +
                        " channels; Storybrush runs ordinary (" + std::to_string(model->latentChannels) +
                        ") and inpainting (" + std::to_string(2 * model->latentChannels + 1) + ") UNets.");
    }

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
    if (sdxl) {
        auto config = models::ClipTextConfig::fromJson(checkpoint.textEncoder2Config, source);
        if (!config.withProjection)
            throw Error(ErrorKind::ModelFile, "The model " + path + " has a second text encoder without the projection "
                                              "SDXL needs (text_projection). The file is incomplete.");
        model->textEncoder2 = models::loadClipTextModel(config, checkpoint.textEncoder2, target);
    }
    model->unet = models::loadUNet(models::UNetConfig::fromJson(checkpoint.unetConfig, source), checkpoint.unet, target);
    const auto vaeConfig = models::AutoencoderKLConfig::fromJson(checkpoint.vaeConfig, source);
    // The published SD VAEs overflow in fp16 (ref: diffusers upcast_vae / force_upcast): keep them in fp32.
    model->vaeTarget = target;
    if (vaeConfig.forceUpcast) model->vaeTarget.dtype = torch::kFloat32;
    model->vae = models::loadAutoencoderKL(vaeConfig, checkpoint.vae, model->vaeTarget);
    return model;
}

}  // namespace storybrush::pipeline
