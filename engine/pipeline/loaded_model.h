// A model made ready to draw: checkpoint opened, tokenizer read, the three networks on the device.
#pragma once

#include "io/checkpoint.h"
#include "models/autoencoder_kl.h"
#include "models/clip_text_model.h"
#include "models/unet.h"
#include "pipeline/qwen_image.h"
#include "pipeline/unet_runner.h"
#include "runtime/device.h"
#include "text/clip_tokenizer.h"

#include <memory>
#include <optional>
#include <string>

namespace storybrush::pipeline {

struct LoadedModel {
    std::string path;
    std::string name;  // what the parameters text calls it: the file or folder name without extension
    io::ModelFamily family = io::ModelFamily::Unknown;
    io::Prediction prediction = io::Prediction::Epsilon;
    nlohmann::json schedulerConfig;
    int nativeSize = 512;  // pixels: the UNet's sample_size x 8 (SD 1.x 512, SD 2.x-v 768)
    int latentChannels = 4;       // the VAE's latent channels
    bool inpaintingUnet = false;  // the UNet takes 9 channels: latents, mask, masked picture's latents
    runtime::ComputeTarget target;
    runtime::ComputeTarget vaeTarget;  // fp32 when the VAE config asks for force_upcast
    std::unique_ptr<text::ClipTokenizer> tokenizer;
    models::ClipTextModel textEncoder{nullptr};
    // SDXL: the second text encoder (OpenCLIP bigG with projection) and its tokenizer; empty otherwise.
    std::unique_ptr<text::ClipTokenizer> tokenizer2;
    models::ClipTextModel textEncoder2{nullptr};
    bool zeroEmptyNegative = false;  // SDXL: an empty negative prompt is zeros, not the encoded ""
    models::UNet2DConditionModel unet{nullptr};
    std::unique_ptr<UNetRunner> unetRunner = std::make_unique<UNetRunner>();  // how the denoise loop calls the UNet
    models::AutoencoderKL vae{nullptr};
    // Qwen-Image (family QwenImage): its own networks; the SD members above stay empty.
    std::unique_ptr<QwenImageParts> qwen;
};

struct LoadOptions {
    std::string configFrom;  // see io::OpenOptions (tests give tiny single files their folder's configs)
    // Whether this thread calls the still-empty UNet and VAE while a second one loads the weights (see
    // loaded_model.cpp); unset: on a GPU when the `plan_while_loading` lever is on. Tests set it on the CPU.
    std::optional<bool> planWhileLoading;
};

// What the model manager shows of a model that passed checkModel.
struct ModelSummary {
    io::ModelFamily family = io::ModelFamily::Unknown;
    io::Prediction prediction = io::Prediction::Epsilon;
    bool inpainting = false;
    int nativeSize = 512;
};

// Everything loadModel checks (family, parts present, every config, every tensor's name and shape against the
// networks), without reading or allocating a weight: quick even for SDXL. Throws as loadModel does.
ModelSummary checkModel(const std::string& path);

// Opens `path` and builds the networks on `target`. Throws Error(ModelFile / UnsupportedModel) naming the
// path. SD 1.x, 2.x and SDXL (also their inpainting UNets), Qwen-Image folders and the built-in model are drawn with.
// `qwen` says how a Qwen-Image model is placed on a small card (planned from its memory when unset).
std::shared_ptr<LoadedModel> loadModel(const std::string& path, const runtime::ComputeTarget& target,
                                       const LoadOptions& options = {}, const QwenLoadOptions& qwen = {});

}  // namespace storybrush::pipeline
