// Opening a Stable Diffusion checkpoint: a diffusers folder or one single-file .safetensors with LDM names.
// Detects family, prediction type and inpainting from names and shapes (never file names), renames to
// diffusers module names, and gives each component's config in diffusers' config.json shape.
#pragma once

#include "io/state_dict.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace storybrush::io {

// Builtin: the small model that ships with Storybrush (SD 1.x architecture, own tokenizer, 256x256).
enum class ModelFamily { SD1, SD2, SDXL, Builtin, QwenImage, Unknown };
enum class Prediction { Epsilon, VPrediction };
enum class Layout { DiffusersFolder, SingleFile };

struct Checkpoint {
    std::string path;
    Layout layout = Layout::SingleFile;
    ModelFamily family = ModelFamily::Unknown;
    Prediction prediction = Prediction::Epsilon;
    int unetInChannels = 4;                                                    // 4, or 9 for inpainting
    nlohmann::json unetConfig, vaeConfig, textEncoderConfig, schedulerConfig;  // diffusers config.json shapes
    std::string tokenizerDir;                                                  // folder with vocab.json + merges.txt
    StateDict unet, vae, textEncoder;  // diffusers names (see io/state_dict.h); empty when the file lacks it
    // SDXL's second text encoder (CLIPTextModelWithProjection) and its tokenizer; empty for other families.
    StateDict textEncoder2;
    nlohmann::json textEncoder2Config;
    std::string tokenizer2Dir;
    std::string tokenizer2PadToken;  // "" = the tokenizer's own; SDXL single files pad with "!"
    // ref: StableDiffusionXLPipeline force_zeros_for_empty_prompt: no negative prompt means zero embeddings.
    bool zeroEmptyNegative = false;
    std::vector<std::string> ignoredKeys;  // known training leftovers (noted by inspect)
    std::vector<std::string> unknownKeys;  // reported by inspect
};

struct OpenOptions {
    // A diffusers folder whose unet/vae/text_encoder/scheduler config.json replace the configs inferred for
    // a single file (as diffusers' from_single_file(config=...) does): head counts, GroupNorm groups and
    // sample sizes are not visible in tensor shapes. Weights still come from the single file.
    std::string configFrom;
};

// A diffusers folder or a single .safetensors file; "builtin" is the built-in model. Throws Error(ModelFile) naming the
// path and the problem (missing, not a model, a component folder missing, pickle files), Error(UnsupportedModel) for
// the SDXL refiner.
Checkpoint openCheckpoint(const std::string& path, const OpenOptions& options = {});

std::string_view familyName(ModelFamily family);  // "sd1", "sd2", "sdxl", "builtin", "qwenimage", "unknown"

// The bundled CLIP tokenizer folder (resources/tokenizers/clip): $STORYBRUSH_RESOURCES, the source tree's
// resources/, then ../share/storybrush beside the executable. Throws Error(Internal) with the places tried.
std::string bundledClipTokenizerDir();

// The folder of the built-in model (resources/models/builtin), found the same way; "" when not installed.
std::string builtinModelDir();

}  // namespace storybrush::io
