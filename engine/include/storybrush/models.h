// What a model file or folder is, as the studio's model manager and the CLI show it, without loading a weight.
#pragma once

#include <string>

namespace storybrush {

struct ModelDescription {
    std::string path;        // the file or folder ("builtin" resolved to where the built-in model is)
    std::string family;      // "sd1", "sd2", "sdxl", "builtin", "qwenimage" (docs/cli.md spells them)
    std::string familyName;  // "SD 1.x", "SD 2.x", "SDXL", "built-in", "Qwen-Image"
    bool vPrediction = false;
    bool inpainting = false;  // trained to repaint (9-channel UNet); every model can repaint
    int nativeSize = 512;     // pixels along a side of the model's own square
    int defaultSteps = 25;
    float defaultGuidance = 7.5f;
    bool ownSampler = false;  // draws with its own sampler whatever is chosen (Qwen-Image: flow matching)
};

// Everything a load would check (family, parts present, every config, every tensor's name and shape), quick even
// for SDXL. `path` may be "builtin". Throws Error(ModelFile / UnsupportedModel) saying why it cannot be used.
ModelDescription describeModel(const std::string& path);

// The folder of the built-in model (resources/models/builtin, or where it is installed); "" when not installed.
std::string builtinModelFolder();

// Pickle-based files (.ckpt, .pt, .bin, .pth) are never opened: loading one can run code.
bool isPickleFile(const std::string& path);
// The refusal for such a file: what it is and how to convert it to .safetensors.
std::string pickleRefusal(const std::string& path, const std::string& why);

// Whether a .safetensors file holds a LoRA (lora_down/lora_up or lora_A/lora_B weights) rather than a model.
// Throws Error(ModelFile) when the file cannot be read as safetensors.
bool isLoraFile(const std::string& path);

}  // namespace storybrush
