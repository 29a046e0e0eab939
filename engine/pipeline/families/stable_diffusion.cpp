// Stable Diffusion's model, loader and the SD 1.x, SD 2.x and built-in families (SDXL: families/sdxl.cpp).
#include "pipeline/families/stable_diffusion.h"

#include "io/name_map.h"
#include "io/safetensors.h"
#include "models/weights.h"
#include "pipeline/diffusion.h"
#include "pipeline/generation.h"
#include "pipeline/latent_preview.h"
#include "pipeline/prompt_encoder.h"
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
        throw Error(ErrorKind::ModelFile, "The model " + path +
                                              " has a second text encoder without the projection "
                                              "SDXL needs (text_projection). The file is incomplete.");
    return config;
}

// The UNet's first call plans each of its convolution shapes with cuDNN, and libtorch keeps those plans per thread
// (most of the first step's time, whatever the warm-up thread of runtime/warm_up.h loaded; docs/performance.md).
// Copying the weights needs the CPU and the bus but not cuDNN, so while another thread copies them, this one (the
// thread that will sample) calls the still-empty UNet at batch 2 and the VAE's decoder once, at the model's own size.
// The outputs are garbage and thrown away; the plans, libraries and kernels stay.
void planOnThisThread(StableDiffusionModel& model, const models::UNetConfig& unetConfig) {
    runtime::InferenceGuard inference;
    const auto options = torch::TensorOptions().device(model.target.device).dtype(model.target.dtype);
    const std::int64_t side = model.nativeSize / 8;
    const std::int64_t contextDim = unetConfig.crossAttentionDim.empty() ? 1280 : unetConfig.crossAttentionDim.front();
    models::UNetConditioning extra;
    if (unetConfig.textTimeEmbedding) {
        extra.textEmbeds = torch::zeros(
            {2, unetConfig.projectionClassEmbeddingsInputDim - 6 * unetConfig.additionTimeEmbedDim}, options);
        extra.timeIds = torch::zeros({2, 6}, options);
    }
    if (unetConfig.timeCondProjDim) extra.timestepCond = torch::zeros({2, *unetConfig.timeCondProjDim}, options);
    const auto sample = torch::zeros({2, unetConfig.inChannels, side, side}, options);
    const auto timestep =
        torch::full({2}, 999.0, torch::TensorOptions().dtype(torch::kFloat32).device(model.target.device));
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

void checkStableDiffusionComplete(const io::Checkpoint& checkpoint, const std::string& path) {
    if (checkpoint.family == io::ModelFamily::Unknown) {
        throw Error(ErrorKind::UnsupportedModel, "The model " + path +
                                                     " is of a kind Storybrush does not know; it "
                                                     "draws with SD 1.x, SD 2.x and SDXL models.");
    }
    const bool sdxl = checkpoint.family == io::ModelFamily::SDXL;
    if (checkpoint.unet.tensors.empty() || checkpoint.vae.tensors.empty() || checkpoint.textEncoder.tensors.empty() ||
        (sdxl && checkpoint.textEncoder2.tensors.empty())) {
        throw Error(ErrorKind::ModelFile, "The model " + path +
                                              " lacks a part needed to draw (UNet, VAE or text "
                                              "encoder): use a complete checkpoint, not a UNet-only or VAE-only file.");
    }
}

ModelSummary checkStableDiffusion(const Family& family, io::Checkpoint& checkpoint) {
    const std::string& path = checkpoint.path;
    checkStableDiffusionComplete(checkpoint, path);
    ModelSummary summary;
    summary.family = &family;
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

std::shared_ptr<models::TinyDecoder> choosePreviewDecoder(const std::string& choice, const std::string& modelPath,
                                                          const runtime::ComputeTarget& target) {
    if (choice == "none") return nullptr;
    if (choice == "random") return models::TinyDecoder::makeRandom(target.device, target.dtype, 7);
    if (choice == "auto") {
        const std::string found = models::TinyDecoder::findFor(modelPath);
        return found.empty() ? nullptr : models::TinyDecoder::load(found, target.device, target.dtype);
    }
    return models::TinyDecoder::load(choice, target.device, target.dtype);
}

std::shared_ptr<StableDiffusionModel> loadStableDiffusion(const Family& family, io::Checkpoint& checkpoint,
                                                          const runtime::ComputeTarget& target,
                                                          const LoadOptions& options) {
    if (options.fp8Weights)
        throw Error(ErrorKind::InvalidRequest, "FP8 weights are for Qwen-Image models; " +
                                                   std::string(family.displayName()) + " models load in FP16 or FP32.");
    const std::string& path = checkpoint.path;
    checkStableDiffusionComplete(checkpoint, path);
    const bool sdxl = checkpoint.family == io::ModelFamily::SDXL;

    auto model = std::make_shared<StableDiffusionModel>();
    model->path = path;
    fs::path name = fs::u8path(path);
    if (name.filename().empty()) name = name.parent_path();  // "folder/"
    model->name = name.stem().u8string();
    model->family = &family;
    model->sdxlLatents = sdxl;
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
        model->tokenizer = std::make_unique<text::ClipTokenizer>((dir / "vocab.json").u8string(),
                                                                 (dir / "merges.txt").u8string(),
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
    model->textEncoder =
        models::ClipTextModel(models::ClipTextConfig::fromJson(checkpoint.textEncoderConfig, source), on(target));
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
             model->textEncoder.get(), model->textEncoder2 ? model->textEncoder2.get() : nullptr, model->unet.get(),
             model->vae.get()}) {
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
    model->previewDecoder = choosePreviewDecoder(options.previewDecoder, path, target);
    return model;
}

std::shared_ptr<StableDiffusionModel> loadStableDiffusion(const std::string& path, const runtime::ComputeTarget& target,
                                                          const LoadOptions& options) {
    auto model = std::dynamic_pointer_cast<StableDiffusionModel>(loadModel(path, target, options));
    if (!model)
        throw Error(ErrorKind::UnsupportedModel, "The model " + path + " is not of Stable Diffusion's architecture.");
    return model;
}

StableDiffusionModel::StableDiffusionModel() : prompts(std::make_unique<PromptCache>()) {}
StableDiffusionModel::~StableDiffusionModel() = default;

models::LoraTargets StableDiffusionModel::loraTargets() {
    models::LoraTargets targets{{"unet", unet.ptr().get()}, {"te", textEncoder.ptr().get()}};
    if (textEncoder2) targets["te2"] = textEncoder2.ptr().get();
    return targets;
}

Picture StableDiffusionModel::draw(const GenerationRequest& request, std::uint64_t seed, int width, int height,
                                   const StepCallback& onStep, const PictureInputs& inputs,
                                   const PictureOverrides& overrides) {
    return drawStableDiffusion(*this, *prompts, request, seed, width, height, onStep, inputs, overrides);
}

void StableDiffusionModel::encodePrompts(const GenerationRequest& request) {
    (void)prompts->get(*this, request.prompt, request.negativePrompt, request.clipSkip, request.cfgScale > 1.0f);
}

void StableDiffusionModel::clearPromptCache() { *prompts = PromptCache(); }

Image StableDiffusionModel::stepPreview(const torch::Tensor& latents) {
    return pipeline::stepPreview(previewDecoder.get(), latents, sdxlLatents);
}

double StableDiffusionModel::timeDenoiserCalls(const GenerationRequest& request, int width, int height, int calls) {
    PromptCache fresh;
    const auto conditioning =
        fresh.get(*this, request.prompt, request.negativePrompt, request.clipSkip, request.cfgScale > 1.0f);
    return timeUNetCalls(*this, conditioning, width, height, calls);
}

// A separate VAE file (diffusers names, LDM names as standalone VAE files have them, or a whole checkpoint whose
// VAE is taken): its weights replace the model's VAE, which must have the same shape.
void StableDiffusionModel::replaceVae(const std::string& vaePath) {
    if (!fs::exists(fs::u8path(vaePath)))
        throw Error(ErrorKind::ModelFile, "The VAE file " + vaePath + " does not exist.");
    const auto file = io::SafetensorsFile::open(vaePath);
    std::vector<std::string> ldmKeys;  // every key under its single-file name
    bool diffusersNames = false;
    for (const auto& info : file->tensors()) {
        const std::string& key = info.name;
        if (key.rfind("encoder.down_blocks.", 0) == 0 || key.rfind("decoder.up_blocks.", 0) == 0) diffusersNames = true;
        ldmKeys.push_back(key.rfind("first_stage_model.", 0) == 0 ? key : "first_stage_model." + key);
    }
    io::StateDict weights;
    weights.source = vaePath;
    const io::LdmLayout layout = io::detectLdmLayout(ldmKeys);
    std::size_t index = 0;
    for (const auto& info : file->tensors()) {
        const std::string& ldmKey = ldmKeys[index++];
        if (diffusersNames) {
            if (info.name.rfind("encoder.", 0) == 0 || info.name.rfind("decoder.", 0) == 0 ||
                info.name.find("quant_conv") != std::string::npos) {
                weights.tensors[info.name] = io::tensorView(file, info);
            }
            continue;
        }
        for (const auto& mapped : io::mapLdmKey(ldmKey, layout)) {
            if (mapped.component != io::Component::Vae) continue;
            torch::Tensor tensor = io::tensorView(file, info);
            if (mapped.transform == io::Transform::SqueezeConv1x1)
                tensor = tensor.reshape({tensor.size(0), tensor.size(1)});
            weights.tensors[mapped.name] = tensor;
        }
    }
    if (weights.tensors.empty()) {
        throw Error(ErrorKind::ModelFile,
                    vaePath + " holds no VAE weights (encoder/decoder): choose a VAE .safetensors file.");
    }
    try {
        models::loadStrict(*vae, weights);
    } catch (const Error& error) {
        throw Error(ErrorKind::UnsupportedModel,
                    "The VAE " + vaePath + " does not fit the model " + name + ": " + error.what());
    }
}

bool StableDiffusionFamily::claims(Probe& probe) const { return probe.checkpoint().family == checkpointKind(); }

ModelSummary StableDiffusionFamily::check(Probe& probe) const {
    return checkStableDiffusion(*this, probe.checkpoint());
}

std::shared_ptr<LoadedModel> StableDiffusionFamily::load(Probe& probe, const runtime::ComputeTarget& target,
                                                         const LoadOptions& options) const {
    return loadStableDiffusion(*this, probe.checkpoint(), target, options);
}

namespace {

class Sd1Family final : public StableDiffusionFamily {
public:
    std::string_view id() const override { return "sd1"; }
    std::string_view displayName() const override { return "SD 1.x"; }
    FamilyDefaults defaults() const override { return {512, 25, 7.5f, std::nullopt}; }

protected:
    io::ModelFamily checkpointKind() const override { return io::ModelFamily::SD1; }
};

class Sd2Family final : public StableDiffusionFamily {
public:
    std::string_view id() const override { return "sd2"; }
    std::string_view displayName() const override { return "SD 2.x"; }
    FamilyDefaults defaults() const override { return {768, 25, 7.5f, std::nullopt}; }

protected:
    io::ModelFamily checkpointKind() const override { return io::ModelFamily::SD2; }
};

// The small model that ships inside Storybrush: SD 1.x's architecture with its own tokenizer, 256x256.
class BuiltinFamily final : public StableDiffusionFamily {
public:
    std::string_view id() const override { return "builtin"; }
    std::string_view displayName() const override { return "built-in"; }
    FamilyDefaults defaults() const override { return {256, 25, 7.5f, std::nullopt}; }

protected:
    io::ModelFamily checkpointKind() const override { return io::ModelFamily::Builtin; }
};

}  // namespace

const Family& sd1Family() {
    static const Sd1Family family;
    return family;
}

const Family& sd2Family() {
    static const Sd2Family family;
    return family;
}

const Family& builtinFamily() {
    static const BuiltinFamily family;
    return family;
}

}  // namespace storybrush::pipeline
