// Opening checkpoints: diffusers folders as they are, single LDM files through the name table (name_map.cpp),
// family / prediction / inpainting detected from names and shapes.
#include "io/checkpoint.h"

#include "runtime/resources.h"

#include "io/config_infer.h"
#include "io/name_map.h"
#include "io/safetensors.h"

#include <storybrush/error.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

namespace storybrush::io {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
    throw Error(ErrorKind::ModelFile, "model " + path + ": " + problem);
}

// The refiner only finishes pictures an SDXL base model started (it conditions on OpenCLIP alone and an
// aesthetic score); Storybrush draws whole pictures, so it is refused rather than drawn badly.
[[noreturn]] void refuseSdxlRefiner(const std::string& path) {
    throw Error(ErrorKind::UnsupportedModel,
                "model " + path +
                    " is an SDXL refiner. A refiner only finishes pictures that an SDXL base model "
                    "started; choose the SDXL base model (or an SDXL fine-tune) instead.");
}

json readJson(const fs::path& file, const std::string& modelPath) {
    std::ifstream in(file);
    if (!in) fail(modelPath, "cannot read " + file.string() + ". The folder is incomplete: download it again.");
    try {
        return json::parse(in);
    } catch (const json::exception& error) {
        fail(modelPath, file.string() + " is not valid JSON (" + error.what() + "). Download it again.");
    }
}

// ---- diffusers folders ------------------------------------------------------------------------------

// The weights of one component folder: plain, then fp16 variant, then a sharded index; .bin only is refused.
StateDict loadFolderComponent(const fs::path& folder, const std::string& stem, const std::string& modelPath) {
    const std::string component = folder.filename().string();
    if (!fs::is_directory(folder))
        fail(modelPath, "has no " + component +
                            "/ folder. A diffusers model folder holds model_index.json, unet/, "
                            "vae/, text_encoder/, tokenizer/ and scheduler/: download the whole folder again.");
    StateDict dict;
    dict.source = folder.string();
    std::vector<fs::path> files;
    for (const std::string& name : {stem + ".safetensors", stem + ".fp16.safetensors"}) {
        if (fs::is_regular_file(folder / name)) {
            files.push_back(folder / name);
            break;
        }
    }
    if (files.empty()) {
        // Sharded weights (ref: diffusers/transformers *.safetensors.index.json "weight_map").
        for (const std::string& name : {stem + ".safetensors.index.json", stem + ".fp16.safetensors.index.json"}) {
            if (!fs::is_regular_file(folder / name)) continue;
            const json index = readJson(folder / name, modelPath);
            std::set<std::string> shards;
            if (index.contains("weight_map") && index["weight_map"].is_object())
                for (const auto& [key, shard] : index["weight_map"].items())
                    if (shard.is_string()) shards.insert(shard.get<std::string>());
            for (const auto& shard : shards) {
                if (shard.find('/') != std::string::npos || shard.find("..") != std::string::npos)
                    fail(modelPath, (folder / name).string() + " names a shard outside its folder: " + shard);
                files.push_back(folder / shard);
            }
            break;
        }
    }
    if (files.empty()) {
        // Only pickle weights (diffusion_pytorch_model.bin, pytorch_model.bin, ...): refused, with how to convert.
        std::error_code error;
        for (const auto& entry : fs::directory_iterator(folder, error))
            if (entry.is_regular_file() && isPicklePath(entry.path().string()))
                throw Error(ErrorKind::ModelFile, pickleRefusal(entry.path().string(), "is a pickle file"));
        fail(modelPath, component + "/ has no " + stem + ".safetensors. Download the model's .safetensors weights.");
    }
    for (const auto& file : files) {
        const auto opened = SafetensorsFile::open(file.string());
        for (const auto& info : opened->tensors()) {
            if (!dict.tensors.emplace(info.name, tensorView(opened, info)).second)
                fail(modelPath, "tensor " + info.name + " appears in two shards of " + component + "/");
        }
    }
    return dict;
}

void openFolder(Checkpoint& checkpoint) {
    const fs::path root = checkpoint.path;
    if (!fs::is_regular_file(root / "model_index.json"))
        fail(checkpoint.path,
             "is a folder but not a diffusers model (no model_index.json). Pick a diffusers folder "
             "(model_index.json, unet/, vae/, text_encoder/, tokenizer/) or a single .safetensors file.");
    const json index = readJson(root / "model_index.json", checkpoint.path);
    const auto hasComponent = [&](const char* name) {
        return index.contains(name) && index[name].is_array() && !index[name].empty() && !index[name][0].is_null();
    };
    const bool sdxl = hasComponent("text_encoder_2");
    if (sdxl && !hasComponent("text_encoder")) refuseSdxlRefiner(checkpoint.path);
    checkpoint.layout = Layout::DiffusersFolder;

    checkpoint.unetConfig = readJson(root / "unet" / "config.json", checkpoint.path);
    checkpoint.unet = loadFolderComponent(root / "unet", "diffusion_pytorch_model", checkpoint.path);
    checkpoint.vae = loadFolderComponent(root / "vae", "diffusion_pytorch_model", checkpoint.path);
    checkpoint.textEncoder = loadFolderComponent(root / "text_encoder", "model", checkpoint.path);
    checkpoint.vaeConfig = readJson(root / "vae" / "config.json", checkpoint.path);
    checkpoint.textEncoderConfig = readJson(root / "text_encoder" / "config.json", checkpoint.path);
    checkpoint.schedulerConfig = readJson(root / "scheduler" / "scheduler_config.json", checkpoint.path);

    const auto tokenizerIn = [&](const char* folder) {
        const fs::path tokenizer = root / folder;
        if (!fs::is_regular_file(tokenizer / "vocab.json") || !fs::is_regular_file(tokenizer / "merges.txt"))
            fail(checkpoint.path, std::string("has no ") + folder + "/vocab.json and " + folder +
                                      "/merges.txt. Download the whole folder again.");
        return tokenizer.string();
    };
    checkpoint.tokenizerDir = tokenizerIn("tokenizer");
    if (sdxl) {
        checkpoint.textEncoder2 = loadFolderComponent(root / "text_encoder_2", "model", checkpoint.path);
        checkpoint.textEncoder2Config = readJson(root / "text_encoder_2" / "config.json", checkpoint.path);
        checkpoint.tokenizer2Dir = tokenizerIn("tokenizer_2");
        // ref: StableDiffusionXLPipeline.__init__(force_zeros_for_empty_prompt=True).
        checkpoint.zeroEmptyNegative = index.value("force_zeros_for_empty_prompt", true);
    }

    // transformers wrote the position_ids buffer into older text encoder files; it is not a weight.
    for (auto* encoder : {&checkpoint.textEncoder, &checkpoint.textEncoder2}) {
        for (auto it = encoder->tensors.begin(); it != encoder->tensors.end();) {
            if (isKnownLeftover(it->first, LdmLayout{})) {
                checkpoint.ignoredKeys.push_back(fs::path(encoder->source).filename().string() + "/" + it->first);
                it = encoder->tensors.erase(it);
            } else {
                ++it;
            }
        }
    }

    // SD 2.x: OpenCLIP text encoder (gelu; CLIP-L uses quick_gelu) and linear transformer projections.
    const bool openClip = checkpoint.textEncoderConfig.value("hidden_act", std::string()) == "gelu";
    const bool linear = checkpoint.unetConfig.value("use_linear_projection", false);
    checkpoint.family = sdxl ? ModelFamily::SDXL : openClip || linear ? ModelFamily::SD2 : ModelFamily::SD1;
    // Our own small model (engine/train) says so in its index; it runs through the SD 1.x path.
    if (index.value("_storybrush_family", std::string()) == "builtin") checkpoint.family = ModelFamily::Builtin;
    checkpoint.prediction = checkpoint.schedulerConfig.value("prediction_type", std::string()) == "v_prediction"
                                ? Prediction::VPrediction
                                : Prediction::Epsilon;
}

// ---- single files -----------------------------------------------------------------------------------

torch::Tensor applyTransform(const torch::Tensor& tensor, Transform transform, const std::string& key,
                             const std::string& path) {
    switch (transform) {
    case Transform::None: return tensor;
    case Transform::SqueezeConv1x1:
        if (tensor.dim() == 2) return tensor;  // some converters already stored Linear weights
        if (tensor.dim() != 4 || tensor.size(2) != 1 || tensor.size(3) != 1)
            fail(path, "tensor " + key + " has shape " + c10::str(tensor.sizes()) +
                           ", expected a 1x1 convolution [C, C, 1, 1]. The file is damaged or of an unknown kind.");
        return tensor.view({tensor.size(0), tensor.size(1)});
    case Transform::SliceQ:
    case Transform::SliceK:
    case Transform::SliceV: {
        if (tensor.dim() < 1 || tensor.size(0) % 3 != 0)
            fail(path, "tensor " + key + " has shape " + c10::str(tensor.sizes()) +
                           ", expected q, k and v stacked (a first dimension divisible by 3).");
        const std::int64_t rows = tensor.size(0) / 3;
        const std::int64_t part = transform == Transform::SliceQ ? 0 : transform == Transform::SliceK ? 1 : 2;
        return tensor.narrow(0, part * rows, rows);
    }
    case Transform::Transpose:
        if (tensor.dim() != 2)
            fail(path, "tensor " + key + " has shape " + c10::str(tensor.sizes()) + ", expected a matrix.");
        return tensor.t();
    }
    return tensor;
}

// v-prediction for a single file. Rules, in order:
// 1. An explicit marker: a `v_pred` tensor (ComfyUI model_detection treats its presence as V_PREDICTION) or the
//    ModelSpec metadata `modelspec.prediction_type` (Stability's safetensors metadata standard).
// 2. SD 2.x with a 4-channel UNet is v-prediction: diffusers' single-file loader does this for every "v2"
//    model (single_file_utils: prediction_type = "epsilon" if global_step == 875000 else "v_prediction";
//    safetensors files carry no global_step, so it is always v_prediction), the 768-v model being SD 2.x's
//    main release. SD 2.x inpainting (9 channels) is epsilon (ComfyUI SD20.model_type: "SD2.0 inpainting
//    models are not v prediction").
// 3. Everything else (SD 1.x) is epsilon.
// Not used: ComfyUI's statistic (std of output_blocks.11.1.transformer_blocks.0.norm1.bias > 0.09), which
// depends on trained weights: on tiny-sd2v-ldm (v-prediction) it is 0.082 and would say epsilon.
// A SD 2.x *base* (512, epsilon) single file is therefore read as v-prediction, as diffusers does; the
// ModelSpec metadata, when present, overrides.
Prediction detectSingleFilePrediction(const SafetensorsFile& file, ModelFamily family, int inChannels) {
    if (file.find("v_pred")) return Prediction::VPrediction;
    const auto& metadata = file.metadata();
    const auto spec = metadata.find("modelspec.prediction_type");
    if (spec != metadata.end()) {
        if (spec->second == "v" || spec->second == "v_prediction") return Prediction::VPrediction;
        if (spec->second == "epsilon" || spec->second == "eps") return Prediction::Epsilon;
    }
    return family == ModelFamily::SD2 && inChannels == 4 ? Prediction::VPrediction : Prediction::Epsilon;
}

void openSingleFile(Checkpoint& checkpoint) {
    checkpoint.layout = Layout::SingleFile;
    const auto file = SafetensorsFile::open(checkpoint.path);
    std::vector<std::string> keys;
    keys.reserve(file->tensors().size());
    for (const auto& info : file->tensors()) keys.push_back(info.name);

    bool hasUnet = false;
    bool hasClip = false;
    bool hasOpenClip = false;
    bool sdxl = false;
    for (const auto& key : keys) {
        // SDXL (Stability's SGM layout): the conditioner holds both text encoders; its UNet has a label_emb
        // (the added size/crop embedding). The refiner's conditioner holds OpenCLIP alone.
        if (key.rfind("conditioner.embedders.0.model.", 0) == 0) refuseSdxlRefiner(checkpoint.path);
        sdxl = sdxl || key.rfind("conditioner.embedders.", 0) == 0 ||
               key.rfind("model.diffusion_model.label_emb.", 0) == 0;
        hasUnet = hasUnet || key.rfind("model.diffusion_model.", 0) == 0;
        hasClip = hasClip || key.rfind("cond_stage_model.transformer.", 0) == 0;
        hasOpenClip = hasOpenClip || key.rfind("cond_stage_model.model.", 0) == 0;
    }
    if (!hasUnet)
        fail(checkpoint.path, "holds no Stable Diffusion UNet (no model.diffusion_model.* tensors). It may be a LoRA, "
                              "a VAE or an embedding, or a model Storybrush does not know: open a full checkpoint.");

    const LdmLayout layout = detectLdmLayout(keys);
    checkpoint.unet.source = checkpoint.vae.source = checkpoint.textEncoder.source = checkpoint.textEncoder2.source =
        checkpoint.path;
    for (const auto& info : file->tensors()) {
        const auto targets = mapLdmKey(info.name, layout);
        if (targets.empty()) {
            (isKnownLeftover(info.name, layout) ? checkpoint.ignoredKeys : checkpoint.unknownKeys).push_back(info.name);
            continue;
        }
        if (info.dtype == DType::F8_E4M3 || info.dtype == DType::F8_E5M2 || info.dtype == DType::Bool ||
            (info.dtype != DType::F16 && info.dtype != DType::BF16 && info.dtype != DType::F32 &&
             info.dtype != DType::F64))
            fail(checkpoint.path, "tensor " + info.name + " is stored as " + std::string(dtypeName(info.dtype)) +
                                      ", not a float type Storybrush computes with. Use a float16 or float32 version.");
        const torch::Tensor view = tensorView(file, info);
        for (const auto& target : targets) {
            StateDict& dict = target.component == Component::Unet           ? checkpoint.unet
                              : target.component == Component::Vae          ? checkpoint.vae
                              : target.component == Component::TextEncoder2 ? checkpoint.textEncoder2
                                                                            : checkpoint.textEncoder;
            if (!dict.tensors.emplace(target.name, applyTransform(view, target.transform, info.name, checkpoint.path))
                     .second)
                fail(checkpoint.path, "two tensors map onto " + target.name + " (the second is " + info.name +
                                          "). The file mixes two naming schemes.");
        }
    }

    // SD 1.x vs 2.x from the text encoder's naming scheme (HF CLIP-L inside vs OpenCLIP); a UNet-only file
    // from the UNet: SD 2.x's transformers use linear projections (use_linear_in_transformer).
    if (sdxl) {
        checkpoint.family = ModelFamily::SDXL;
    } else if (hasOpenClip) {
        checkpoint.family = ModelFamily::SD2;
    } else if (hasClip) {
        checkpoint.family = ModelFamily::SD1;
    } else {
        const auto it = checkpoint.unet.tensors.find("down_blocks.0.attentions.0.proj_in.weight");
        checkpoint.family = it != checkpoint.unet.tensors.end() && it->second.dim() == 2 ? ModelFamily::SD2
                                                                                         : ModelFamily::SD1;
    }
    const auto convIn = checkpoint.unet.tensors.find("conv_in.weight");
    if (convIn == checkpoint.unet.tensors.end() || convIn->second.dim() != 4)
        fail(checkpoint.path, "has no usable model.diffusion_model.input_blocks.0.0.weight (the UNet's first "
                              "convolution). The file is incomplete.");
    checkpoint.unetInChannels = static_cast<int>(convIn->second.size(1));
    checkpoint.prediction = detectSingleFilePrediction(*file, checkpoint.family, checkpoint.unetInChannels);

    const auto projection = checkpoint.textEncoder2.tensors.find("text_projection.weight");
    const std::int64_t pooledDim = projection != checkpoint.textEncoder2.tensors.end() ? projection->second.size(0) : 0;
    checkpoint.unetConfig = inferUnetConfig(checkpoint.unet, checkpoint.family, checkpoint.prediction, pooledDim);
    checkpoint.vaeConfig = inferVaeConfig(checkpoint.vae, checkpoint.family, checkpoint.prediction);
    checkpoint.textEncoderConfig = inferTextEncoderConfig(
        checkpoint.textEncoder, checkpoint.family == ModelFamily::SD2 ? TextTower::OpenClip : TextTower::ClipL);
    checkpoint.schedulerConfig = defaultSchedulerConfig(checkpoint.family, checkpoint.prediction);
    checkpoint.tokenizerDir = bundledClipTokenizerDir();
    if (checkpoint.family == ModelFamily::SDXL) {
        checkpoint.textEncoder2Config =
            inferTextEncoderConfig(checkpoint.textEncoder2, TextTower::OpenClipWithProjection);
        // The same CLIP vocabulary; SDXL's tokenizer_2 pads with "!" (ref: stable-diffusion-xl-base-1.0
        // tokenizer_2/special_tokens_map.json).
        checkpoint.tokenizer2Dir = checkpoint.tokenizerDir;
        checkpoint.tokenizer2PadToken = "!";
        checkpoint.zeroEmptyNegative = true;
    }
}

void applyConfigFolder(Checkpoint& checkpoint, const std::string& folder) {
    const fs::path root = folder;
    if (!fs::is_directory(root))
        fail(checkpoint.path, "the config folder " + folder + " is not a folder. Give a diffusers model folder.");
    const auto replace = [&](json& config, const fs::path& file) {
        if (fs::is_regular_file(root / file)) config = readJson(root / file, folder);
    };
    replace(checkpoint.unetConfig, fs::path("unet") / "config.json");
    replace(checkpoint.vaeConfig, fs::path("vae") / "config.json");
    replace(checkpoint.textEncoderConfig, fs::path("text_encoder") / "config.json");
    if (checkpoint.family == ModelFamily::SDXL) {
        replace(checkpoint.textEncoder2Config, fs::path("text_encoder_2") / "config.json");
        if (fs::is_regular_file(root / "tokenizer_2" / "vocab.json") &&
            fs::is_regular_file(root / "tokenizer_2" / "merges.txt")) {
            checkpoint.tokenizer2Dir = (root / "tokenizer_2").string();
            checkpoint.tokenizer2PadToken.clear();
        }
        if (fs::is_regular_file(root / "model_index.json"))
            checkpoint.zeroEmptyNegative =
                readJson(root / "model_index.json", folder).value("force_zeros_for_empty_prompt", true);
    }
    replace(checkpoint.schedulerConfig, fs::path("scheduler") / "scheduler_config.json");
    checkpoint.prediction = checkpoint.schedulerConfig.value("prediction_type", std::string()) == "v_prediction"
                                ? Prediction::VPrediction
                                : Prediction::Epsilon;
    if (fs::is_regular_file(root / "tokenizer" / "vocab.json") &&
        fs::is_regular_file(root / "tokenizer" / "merges.txt"))
        checkpoint.tokenizerDir = (root / "tokenizer").string();
}

}  // namespace

std::string_view familyName(ModelFamily family) {
    switch (family) {
    case ModelFamily::SD1: return "sd1";
    case ModelFamily::SD2: return "sd2";
    case ModelFamily::SDXL: return "sdxl";
    case ModelFamily::Builtin: return "builtin";
    case ModelFamily::QwenImage: return "qwenimage";
    case ModelFamily::Unknown: break;
    }
    return "unknown";
}

std::string builtinModelDir() {
    const fs::path index = runtime::findResource(fs::path("models") / "builtin" / "model_index.json");
    return index.empty() ? std::string() : index.parent_path().u8string();
}

std::string bundledClipTokenizerDir() {
    std::string tried;
    const fs::path dir = runtime::findResource(fs::path("tokenizers") / "clip" / "vocab.json", &tried).parent_path();
    if (dir.empty() || !fs::is_regular_file(dir / "merges.txt")) {
        throw Error(ErrorKind::Internal, "The bundled CLIP tokenizer (tokenizers/clip/vocab.json and merges.txt) is "
                                         "missing; looked in:" +
                                             tried +
                                             "\nReinstall Storybrush or set "
                                             "STORYBRUSH_RESOURCES to its resources folder.");
    }
    return fs::weakly_canonical(dir).string();
}

Checkpoint openCheckpoint(const std::string& requested, const OpenOptions& options) {
    const std::string path = requested == "builtin" ? builtinModelDir() : requested;
    if (path.empty())
        throw Error(ErrorKind::ModelFile, "The built-in model is not installed (resources/models/builtin). Choose a "
                                          "Stable Diffusion 1.x, 2.x or XL model of your own with --model PATH.");
    if (isPicklePath(path)) throw Error(ErrorKind::ModelFile, pickleRefusal(path, "is a pickle file"));
    Checkpoint checkpoint;
    checkpoint.path = path;
    std::error_code error;
    const auto status = fs::status(path, error);
    if (error || !fs::exists(status))
        fail(path, "no such file or folder. Check the path, or pick the model again in Settings.");
    if (fs::is_directory(status)) {
        openFolder(checkpoint);
        const auto convIn = checkpoint.unet.tensors.find("conv_in.weight");
        if (convIn == checkpoint.unet.tensors.end() || convIn->second.dim() != 4)
            fail(path, "unet/ has no conv_in.weight (the UNet's first convolution). Download the folder again.");
        checkpoint.unetInChannels = static_cast<int>(convIn->second.size(1));
    } else {
        openSingleFile(checkpoint);
    }
    if (!options.configFrom.empty()) applyConfigFolder(checkpoint, options.configFrom);
    return checkpoint;
}

}  // namespace storybrush::io
