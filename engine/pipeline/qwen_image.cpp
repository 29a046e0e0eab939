// Qwen-Image. ref: diffusers pipelines/qwenimage/pipeline_qwenimage.py (and _img2img, _inpaint for the picture
// inputs).
#include "pipeline/qwen_image.h"

#include "io/safetensors.h"
#include "models/weights.h"
#include "pipeline/generation.h"
#include "runtime/memory.h"
#include "runtime/speed.h"
#include "sampling/sampler.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

namespace storybrush::pipeline {

namespace {

namespace fs = std::filesystem;

std::string classNameIn(const fs::path& configPath) {
    std::ifstream in(configPath, std::ios::binary);
    if (!in) return {};
    const auto json = nlohmann::json::parse(in, nullptr, false);
    if (!json.is_object() || !json.contains("_class_name") || !json["_class_name"].is_string()) return {};
    return json["_class_name"].get<std::string>();
}

// The tensors of every .safetensors file in `folder` (sharded models have several).
io::StateDict readFolderWeights(const fs::path& folder, const std::string& part) {
    io::StateDict dict;
    dict.source = folder.u8string();
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder, ec))
        if (entry.path().extension() == ".safetensors") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    if (files.empty())
        throw Error(ErrorKind::ModelFile, "The Qwen-Image " + part + " in " + folder.u8string() +
                                              " has no .safetensors weights. Copy the whole model folder again.");
    for (const auto& path : files) {
        const auto file = io::SafetensorsFile::open(path.u8string());
        for (const auto& info : file->tensors()) dict.tensors[info.name] = io::tensorView(file, info);
    }
    return dict;
}

// Text encoder and VAE precision: BF16 on GPUs that have it, FP32 elsewhere (FP16 overflows in both).
runtime::ComputeTarget safeTarget(const runtime::ComputeTarget& target) {
    if (target.dtype == torch::kFloat32) return target;
    if (target.device.is_cuda() && runtime::vaeTarget(target, true).dtype == torch::kBFloat16)
        return {target.device, torch::kBFloat16};
    return {target.device, torch::kFloat32};
}

}  // namespace

bool isQwenImageFolder(const std::string& path) {
    const fs::path dir = fs::u8path(path);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return false;
    return classNameIn(dir / "model_index.json") == "QwenImagePipeline" ||
           classNameIn(dir / "transformer" / "config.json") == "QwenImageTransformer2DModel";
}

namespace {

constexpr const char* kComfyPrefix = "model.diffusion_model.";

// ComfyUI's diffusion_models/ files carry the diffusers names, some behind "model.diffusion_model.".
io::StateDict withoutComfyPrefix(io::StateDict dict) {
    io::StateDict out;
    out.source = dict.source;
    const std::string prefix = kComfyPrefix;
    for (auto& [key, tensor] : dict.tensors)
        out.tensors[key.rfind(prefix, 0) == 0 ? key.substr(prefix.size()) : key] = std::move(tensor);
    return out;
}

bool holdsQwenTransformer(const std::string& file) {
    try {
        const auto opened = io::SafetensorsFile::open(file);
        return opened->find("transformer_blocks.0.img_mod.1.weight") ||
               opened->find(std::string(kComfyPrefix) + "transformer_blocks.0.img_mod.1.weight");
    } catch (const Error&) {
        return false;
    }
}

// A lone transformer file needs the rest of the model: a Qwen-Image folder beside it, or in a folder beside one
// of the three folders above it (ComfyUI keeps models/diffusion_models/ next to the other parts).
std::optional<fs::path> companionFolder(const fs::path& file) {
    std::error_code ec;
    fs::path level = file.parent_path();
    for (int up = 0; up < 3 && !level.empty(); ++up, level = level.parent_path()) {
        if (isQwenImageFolder(level.u8string())) return level;
        std::vector<fs::path> candidates;
        for (const auto& entry : fs::directory_iterator(level, ec))
            if (entry.is_directory(ec) && isQwenImageFolder(entry.path().u8string()))
                candidates.push_back(entry.path());
        std::sort(candidates.begin(), candidates.end());
        if (!candidates.empty()) return candidates.front();
        if (level == level.parent_path()) break;
    }
    return std::nullopt;
}

// The transformer's config from its tensors' shapes (a lone file has no config.json); the companion folder's
// config when its shapes agree (it also says the RoPE axes, which shapes do not).
models::QwenImageTransformerConfig inferTransformerConfig(const io::StateDict& weights, const fs::path& companion) {
    auto shape = [&](const std::string& key) {
        const auto found = weights.tensors.find(key);
        if (found == weights.tensors.end())
            throw Error(ErrorKind::ModelFile, "The Qwen-Image transformer " + weights.source + " has no " + key +
                                                  ": the file is incomplete or not a Qwen-Image transformer.");
        return found->second.sizes().vec();
    };
    models::QwenImageTransformerConfig c;
    const auto imageIn = shape("img_in.weight");
    c.inChannels = imageIn[1];
    c.jointAttentionDim = shape("txt_in.weight")[1];
    c.headDim = shape("transformer_blocks.0.attn.norm_q.weight")[0];
    c.heads = imageIn[0] / c.headDim;
    c.outChannels = shape("proj_out.weight")[0] / (c.patchSize * c.patchSize);
    c.numLayers = 0;
    while (weights.tensors.count("transformer_blocks." + std::to_string(c.numLayers) + ".img_mod.1.weight"))
        ++c.numLayers;
    std::error_code ec;
    const fs::path companionConfig = companion / "transformer" / "config.json";
    if (fs::is_regular_file(companionConfig, ec)) {
        const auto theirs = models::QwenImageTransformerConfig::fromFile(companionConfig.u8string());
        if (theirs.inChannels == c.inChannels && theirs.jointAttentionDim == c.jointAttentionDim &&
            theirs.headDim == c.headDim && theirs.heads == c.heads && theirs.outChannels == c.outChannels &&
            theirs.numLayers == c.numLayers)
            return theirs;
    }
    if (c.headDim != 128)
        throw Error(ErrorKind::UnsupportedModel, "The Qwen-Image transformer " + weights.source + " has heads " +
                                                     std::to_string(c.headDim) +
                                                     " wide; only Qwen-Image's own 128 "
                                                     "can be read from a lone file. Use the diffusers folder.");
    return c;
}

// Where each part of a Qwen-Image comes from: a diffusers folder, or a lone transformer file and such a folder.
struct QwenSource {
    fs::path folder;
    io::StateDict transformerWeights;
    models::QwenImageTransformerConfig transformerConfig;
    models::Qwen2TextConfig textConfig;
    models::QwenImageVaeConfig vaeConfig;
};

QwenSource openSource(const std::string& path) {
    QwenSource source;
    const fs::path given = fs::u8path(path);
    std::error_code ec;
    if (fs::is_regular_file(given, ec)) {
        const auto folder = companionFolder(given);
        if (!folder)
            throw Error(ErrorKind::ModelFile,
                        "The file " + path +
                            " is a Qwen-Image transformer on its own. It needs the rest of the model "
                            "(tokenizer, text encoder, VAE): put the Qwen-Image diffusers folder beside it, or choose "
                            "that folder instead.");
        source.folder = *folder;
        io::StateDict file;
        file.source = path;
        const auto opened = io::SafetensorsFile::open(path);
        for (const auto& info : opened->tensors()) file.tensors[info.name] = io::tensorView(opened, info);
        source.transformerWeights = withoutComfyPrefix(std::move(file));
        source.transformerConfig = inferTransformerConfig(source.transformerWeights, source.folder);
    } else {
        source.folder = given;
    }
    for (const char* part : {"tokenizer", "text_encoder", "transformer", "vae"}) {
        if (!fs::is_directory(source.folder / part, ec))
            throw Error(ErrorKind::ModelFile, "The Qwen-Image folder " + source.folder.u8string() + " has no " + part +
                                                  "/ folder. Copy the whole model folder again.");
    }
    if (source.transformerWeights.tensors.empty()) {
        source.transformerWeights = withoutComfyPrefix(readFolderWeights(source.folder / "transformer", "transformer"));
        source.transformerConfig =
            models::QwenImageTransformerConfig::fromFile((source.folder / "transformer" / "config.json").u8string());
    }
    source.textConfig = models::Qwen2TextConfig::fromFile((source.folder / "text_encoder" / "config.json").u8string());
    source.vaeConfig = models::QwenImageVaeConfig::fromFile((source.folder / "vae" / "config.json").u8string());
    if (source.transformerConfig.jointAttentionDim != source.textConfig.hiddenSize)
        throw Error(ErrorKind::ModelFile, "The Qwen-Image model " + path + " has a text encoder " +
                                              std::to_string(source.textConfig.hiddenSize) +
                                              " wide and a transformer that takes " +
                                              std::to_string(source.transformerConfig.jointAttentionDim) +
                                              ": they come from different models.");
    const auto& t = source.transformerConfig;
    if (t.outChannels != source.vaeConfig.zDim || t.inChannels != source.vaeConfig.zDim * t.patchSize * t.patchSize)
        throw Error(ErrorKind::ModelFile,
                    "The Qwen-Image model " + path + " has a transformer and a VAE with different latent channels.");
    return source;
}

}  // namespace

bool isQwenImage(const std::string& path) {
    if (isQwenImageFolder(path)) return true;
    const fs::path file = fs::u8path(path);
    std::error_code ec;
    return fs::is_regular_file(file, ec) && file.extension() == ".safetensors" && holdsQwenTransformer(path);
}

int checkQwenImage(const std::string& path) {
    const QwenSource source = openSource(path);
    text::QwenTokenizer tokenizer((source.folder / "tokenizer").u8string());
    const auto meta = torch::TensorOptions().device(torch::Device(torch::kMeta)).dtype(torch::kBFloat16);
    models::Qwen2TextModel text(source.textConfig, meta);
    models::checkStrict(*text,
                        models::qwen2TextWeights(readFolderWeights(source.folder / "text_encoder", "text encoder")));
    models::QwenImageTransformer2DModel transformer(source.transformerConfig, meta);
    models::checkStrict(*transformer, source.transformerWeights);
    models::AutoencoderQwenImage vae(source.vaeConfig, meta);
    models::checkStrict(*vae, models::qwenImageVaeSingleFrame(readFolderWeights(source.folder / "vae", "VAE")));
    return static_cast<int>(128 * source.vaeConfig.scaleFactor());
}

Offload planQwenOffload(double textGiB, double transformerGiB, double vaeGiB, double budgetGiB) {
    constexpr double kWorkGiB = 2.5;  // activations of a 1024x1024 batch-2 step, a widened FP8 weight, the decode
    if (textGiB + transformerGiB + vaeGiB + kWorkGiB <= budgetGiB) return Offload::None;
    if (transformerGiB + vaeGiB + kWorkGiB <= budgetGiB) return Offload::TextEncoder;
    return Offload::Blocks;
}

void placeQwenParts(QwenImageParts& parts, Offload offload, bool fp8Blocks) {
    torch::NoGradGuard noGrad;
    const auto device = parts.target.device;
    parts.offload = offload;
    if (fp8Blocks) parts.transformer->storeBlockWeightsAsFloat8(device);
    if (offload == Offload::Blocks) parts.transformer->streamBlocksFrom(device);
    else parts.transformer->moveTo(device);
    parts.vae->to(device);
    if (offload == Offload::None) parts.textEncoder->to(device);
    else parts.textEncoder->streamLayersTo(parts.textTarget.device);
}

namespace {

double gibOf(const io::StateDict& dict, std::size_t bytesPerValue) {
    double values = 0;
    for (const auto& [key, tensor] : dict.tensors) values += static_cast<double>(tensor.numel());
    return values * static_cast<double>(bytesPerValue) / (1024.0 * 1024.0 * 1024.0);
}

}  // namespace

std::unique_ptr<QwenImageParts> loadQwenImageParts(const std::string& path, const runtime::ComputeTarget& target,
                                                   const LoadOptions& options) {
    const QwenSource source = openSource(path);
    const fs::path& dir = source.folder;
    auto parts = std::make_unique<QwenImageParts>();
    parts->target = target;
    parts->textTarget = safeTarget(target);
    parts->vaeTarget = safeTarget(target);
    parts->tokenizer = std::make_unique<text::QwenTokenizer>((dir / "tokenizer").u8string());
    const fs::path schedulerConfig = dir / "scheduler" / "scheduler_config.json";
    std::error_code ec;
    const fs::path schedulerFile = fs::is_regular_file(schedulerConfig, ec) ? schedulerConfig
                                                                            : dir / "scheduler_config.json";
    if (fs::is_regular_file(schedulerFile, ec))
        parts->scheduler = sampling::FlowMatchConfig::fromFile(schedulerFile.u8string());
    const auto textWeights = models::qwen2TextWeights(readFolderWeights(dir / "text_encoder", "text encoder"));
    const auto vaeWeights = readFolderWeights(dir / "vae", "VAE");
    Offload offload = options.offload.value_or(Offload::None);
    if (target.device.is_cuda() && !options.offload) {
        const double budget = options.gpuBudgetGiB > 0 ? options.gpuBudgetGiB : runtime::deviceTotalGiB(target.device);
        const std::size_t computeBytes = c10::elementSize(target.dtype);
        offload = planQwenOffload(gibOf(textWeights, c10::elementSize(parts->textTarget.dtype)),
                                  gibOf(source.transformerWeights, options.fp8Weights ? 1 : computeBytes),
                                  gibOf(vaeWeights, c10::elementSize(parts->vaeTarget.dtype)), budget);
    }
    // What will not stay on the card, or must pass through FP8 first, is loaded into main memory.
    const bool stageInMemory = offload != Offload::None || options.fp8Weights;
    const runtime::ComputeTarget host{torch::kCPU, target.dtype};
    parts->textEncoder = models::loadQwen2TextModel(
        source.textConfig, textWeights,
        stageInMemory ? runtime::ComputeTarget{torch::kCPU, parts->textTarget.dtype} : parts->textTarget);
    parts->transformer = models::loadQwenImageTransformer(source.transformerConfig, source.transformerWeights,
                                                          stageInMemory ? host : target);
    parts->vae = models::loadQwenImageVae(source.vaeConfig, vaeWeights, parts->vaeTarget);
    if (stageInMemory) placeQwenParts(*parts, offload, options.fp8Weights);
    return parts;
}

std::vector<int> qwenTemplateIds(const text::QwenTokenizer& tokenizer, const std::string& prompt) {
    std::string text = kQwenPromptTemplate;
    text.replace(text.find("{}"), 2, prompt);
    return tokenizer.encode(text);
}

torch::Tensor encodeQwenPrompt(QwenImageParts& parts, const std::string& prompt) {
    if (const auto hit = parts.promptCache.find(prompt); hit != parts.promptCache.end()) return hit->second;
    torch::NoGradGuard noGrad;
    std::vector<int> ids = qwenTemplateIds(*parts.tokenizer, prompt);
    // ref: tokenizer(max_length=1024 + drop_idx, truncation=True), then prompt_embeds[:, :512]
    const std::size_t keep = static_cast<std::size_t>(kQwenTemplateDrop + kQwenMaxPromptTokens);
    if (ids.size() > keep) ids.resize(keep);
    const auto input = torch::tensor(std::vector<std::int64_t>(ids.begin(), ids.end()), torch::kInt64)
                           .unsqueeze(0)
                           .to(parts.textTarget.device);
    const auto hidden = parts.textEncoder->forward(input);
    const auto drop = std::min<std::int64_t>(kQwenTemplateDrop, hidden.size(1) - 1);
    const auto embedding = hidden.slice(1, drop).to(parts.target.dtype);
    if (parts.promptCache.size() >= 8) parts.promptCache.clear();
    parts.promptCache.emplace(prompt, embedding);
    return embedding;
}

torch::Tensor denoiseQwen(QwenImageParts& parts, const sampling::FlowMatchSchedule& schedule, torch::Tensor latents,
                          const torch::Tensor& positive, const torch::Tensor& negative, double trueCfg,
                          std::int64_t gridHeight, std::int64_t gridWidth, int startIndex,
                          const std::function<bool(int, int, const torch::Tensor&)>& onStep, bool* stopped,
                          const QwenLatentBlend* blend) {
    torch::NoGradGuard noGrad;
    const auto dtype = parts.target.dtype;
    const auto device = parts.target.device;
    const int total = static_cast<int>(schedule.timesteps.size());
    latents = latents.to(device, torch::kFloat32);
    const bool guided = negative.defined() && trueCfg > 1.0;
    // Both prompts in one batch: the shorter one padded with zeros that the attention mask leaves out (the
    // transformer gives every real token the same RoPE position either way).
    struct {
        torch::Tensor text, mask;
    } pair;
    if (guided && runtime::speedLevers().batchedTrueCfg && positive.size(0) == 1 && negative.size(0) == 1) {
        const auto length = std::max(positive.size(1), negative.size(1));
        auto padded = [&](const torch::Tensor& e) {
            return torch::constant_pad_nd(e, {0, 0, 0, length - e.size(1)}, 0);
        };
        pair.text = torch::cat({padded(positive), padded(negative)});
        if (positive.size(1) != negative.size(1)) {
            pair.mask = torch::zeros({2, length}, torch::TensorOptions().dtype(torch::kBool).device(device));
            pair.mask[0].slice(0, 0, positive.size(1)).fill_(true);
            pair.mask[1].slice(0, 0, negative.size(1)).fill_(true);
        }
    }
    for (int i = startIndex; i < total; ++i) {
        const auto t = torch::full({latents.size(0)}, schedule.timesteps[static_cast<std::size_t>(i)] / 1000.0,
                                   torch::TensorOptions().dtype(torch::kFloat32).device(device));
        const auto input = latents.to(dtype);
        torch::Tensor velocity, unconditional;
        if (pair.text.defined()) {
            const auto both = parts.transformer
                                  ->forward(torch::cat({input, input}), pair.text, pair.mask, torch::cat({t, t}),
                                            gridHeight, gridWidth)
                                  .to(torch::kFloat32);
            velocity = both.slice(0, 0, 1);
            unconditional = both.slice(0, 1, 2);
        } else {
            velocity = parts.transformer->forward(input, positive, {}, t, gridHeight, gridWidth).to(torch::kFloat32);
            if (guided)
                unconditional =
                    parts.transformer->forward(input, negative, {}, t, gridHeight, gridWidth).to(torch::kFloat32);
        }
        if (guided) {
            // ref: true CFG, then rescaled to the positive prediction's norm per token
            const auto combined = unconditional + trueCfg * (velocity - unconditional);
            velocity = combined * (velocity.norm(2, -1, true) / combined.norm(2, -1, true));
        }
        latents = sampling::flowMatchStep(schedule, i, velocity, latents);
        if (blend) {
            auto kept = blend->imageLatents;
            if (i + 1 < total)
                kept = sampling::flowMatchNoise(kept, blend->noise, schedule.sigmas[static_cast<std::size_t>(i) + 1]);
            latents = (1 - blend->mask) * kept + blend->mask * latents;
        }
        if (onStep && !onStep(i - startIndex + 1, total - startIndex, latents)) {
            if (stopped) *stopped = true;
            return latents;
        }
    }
    return latents;
}

Image qwenStepPreview(QwenImageParts& parts, const torch::Tensor& latents) {
    torch::NoGradGuard noGrad;
    constexpr std::int64_t kPreviewPixels = 256;
    torch::Tensor first = latents.narrow(0, 0, 1).to(torch::kFloat32);
    const std::int64_t side = std::max<std::int64_t>(1, kPreviewPixels / parts.vae->config.scaleFactor());
    const std::int64_t factor = (std::max(first.size(2), first.size(3)) + side - 1) / side;
    if (factor > 1)
        first = torch::avg_pool2d(first, {factor, factor}, {factor, factor}, {0, 0}, /*ceil_mode=*/true,
                                  /*count_include_pad=*/false);
    const auto decoded = parts.vae->decode(first.to(parts.vaeTarget.device, parts.vaeTarget.dtype));
    return tensorToImage(decoded.to(torch::kCPU, torch::kFloat32));
}

Picture drawQwenPicture(QwenImageParts& parts, const GenerationRequest& request, std::uint64_t seed, int width,
                        int height, const StepCallback& onStep, const PictureInputs& inputs,
                        const PictureOverrides& overrides) {
    torch::NoGradGuard noGrad;
    const auto device = parts.target.device;
    const std::int64_t factor = parts.vae->config.scaleFactor();
    const std::int64_t latentHeight = 2 * (height / (factor * 2));
    const std::int64_t latentWidth = 2 * (width / (factor * 2));
    const std::int64_t channels = parts.vae->config.zDim;
    if (latentHeight < 2 || latentWidth < 2)
        throw Error(ErrorKind::InvalidRequest, "The picture is too small for Qwen-Image: it needs at least " +
                                                   std::to_string(factor * 2) + " pixels each way.");
    sampling::CpuNoiseSource ownNoise(seed);
    sampling::NoiseSource& noise = overrides.noise ? *overrides.noise : ownNoise;

    const auto positive = encodeQwenPrompt(parts, request.prompt);
    torch::Tensor negative;
    // True CFG needs a negative prompt; with none given, a single space (what Qwen-Image's own examples pass).
    if (request.cfgScale > 1.0f)
        negative = encodeQwenPrompt(parts, request.negativePrompt.empty() ? std::string(" ") : request.negativePrompt);

    const auto gridHeight = latentHeight / 2, gridWidth = latentWidth / 2;
    const auto schedule = sampling::flowMatchSchedule(parts.scheduler, request.steps, gridHeight * gridWidth);
    const std::vector<std::int64_t> shape{1, channels, latentHeight, latentWidth};
    const torch::Tensor startNoise =
        models::packQwenLatents(overrides.latents.defined() ? overrides.latents : noise.next(shape)).to(device);

    int startIndex = 0;
    torch::Tensor latents = startNoise;
    std::optional<QwenLatentBlend> blend;
    if (inputs.image.defined()) {
        const auto picture =
            torch::upsample_bilinear2d(inputs.image, {latentHeight * factor, latentWidth * factor}, false);
        const auto clean = models::packQwenLatents(
            parts.vae->encode(picture.to(parts.vaeTarget.device, parts.vaeTarget.dtype)).to(device, torch::kFloat32));
        startIndex = sampling::img2imgStart(request.steps, sampling::strengthFromFloat(request.strength), request.steps)
                         .startIndex;
        if (startIndex >= request.steps)
            throw Error(ErrorKind::InvalidRequest, "The strength leaves no step to draw; raise it above 0.");
        latents = sampling::flowMatchNoise(clean, startNoise, schedule.sigmas[static_cast<std::size_t>(startIndex)]);
        if (inputs.mask.defined()) {
            namespace F = torch::nn::functional;
            const auto small = F::interpolate(inputs.mask.to(torch::kFloat32),
                                              F::InterpolateFuncOptions()
                                                  .size(std::vector<std::int64_t>{latentHeight, latentWidth})
                                                  .mode(torch::kNearest));
            // the mask per patch, as the pipeline packs it: repeated over the patch's channels
            const auto packedMask = models::packQwenLatents(small.expand({1, channels, latentHeight, latentWidth}));
            blend = QwenLatentBlend{packedMask.to(device), clean, startNoise};
        }
    }

    Picture result;
    const auto stepCallback = [&](int done, int total, const torch::Tensor& packed) {
        return !onStep || onStep(done, total, models::unpackQwenLatents(packed, latentHeight, latentWidth));
    };
    const auto finalPacked = denoiseQwen(parts, schedule, latents, positive, negative, request.cfgScale, gridHeight,
                                         gridWidth, startIndex, stepCallback, &result.stopped,
                                         blend ? &*blend : nullptr);
    result.latents = models::unpackQwenLatents(finalPacked, latentHeight, latentWidth);
    if (result.stopped) return result;
    auto decoded = parts.vae->decode(result.latents.to(parts.vaeTarget.device, parts.vaeTarget.dtype))
                       .to(torch::kCPU, torch::kFloat32);
    // A size off the patch grid (repainting plans in steps of 8 pixels) is drawn slightly smaller and scaled back.
    if (decoded.size(2) != height || decoded.size(3) != width)
        decoded = torch::upsample_bilinear2d(decoded, {height, width}, /*align_corners=*/false);
    result.image = tensorToImage(decoded);
    return result;
}

}  // namespace storybrush::pipeline
