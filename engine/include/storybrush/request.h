// What a caller asks the engine for: one request covers text-to-image, image-to-image, inpaint and
// outpaint, a batch of pictures with consecutive seeds, and carries its own progress and cancel hooks.
#pragma once

#include <storybrush/image.h>
#include <storybrush/progress.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storybrush {

// CLI names (docs/cli.md): euler, euler_a, ddim, dpmpp2m, dpmpp2m_karras, lcm, pndm. Each means the
// diffusers scheduler of that name built from the model's own scheduler config.
enum class Sampler { Euler, EulerAncestral, Ddim, DpmPP2M, DpmPP2MKarras, Lcm, Pndm };
std::string_view samplerName(Sampler sampler);
std::optional<Sampler> samplerFromName(std::string_view name);
const std::vector<Sampler>& allSamplers();

enum class DevicePreference { Auto, Cpu, Cuda };
enum class Precision { Auto, F16, BF16, F32 };  // Auto: FP16 on CUDA, FP32 on the CPU

enum class GenerationMode { TextToImage, ImageToImage, Inpaint, Outpaint };

struct LoraRef {
    std::string path;
    float weight = 1.0f;
};

struct MaskOptions {
    int blurPixels = 4;       // feather: the mask edge fades out over this many pixels beyond the mask
    int growPixels = 0;       // negative shrinks
    bool onlyMasked = false;  // repaint a padded crop around the mask at the model's native size
    int paddingPixels = 32;   // context kept around the mask for onlyMasked
    bool colorMatch = false;  // shift the repainted colours to match the untouched pixels around them
};

// How the new area of an extended canvas is filled before the model repaints it: ordinary models start
// from this (at strength < 1) and inpainting models see its edges.
enum class OutpaintFill { Telea, EdgeExtend };

struct OutpaintMargins {
    int left = 0, top = 0, right = 0, bottom = 0;
    OutpaintFill fill = OutpaintFill::Telea;
    int blendPixels = 16;  // band of the old picture, next to the new area, repainted with fading strength
    bool any() const { return left > 0 || top > 0 || right > 0 || bottom > 0; }
};

// The special model name for the small model that ships inside the app.
inline constexpr std::string_view kBuiltinModel = "builtin";

struct GenerationRequest {
    std::string model{kBuiltinModel};  // a .safetensors file, a diffusers folder, or "builtin"
    std::string prompt;
    std::string negativePrompt;
    int width = 0;  // 0: the model family's native size (SD 1.x 512, SDXL 1024, built-in 256)
    int height = 0;
    // With width and height 0: the model's own number of pixels in this shape (1.5 = 3:2 wide, 0.667 = tall).
    float aspectRatio = 1.0f;
    int steps = 25;
    float cfgScale = 7.5f;
    std::uint64_t seed = 0;  // picture i of a batch uses seed + i, drawn from a fresh CPU generator
    int batchSize = 1;
    Sampler sampler = Sampler::DpmPP2MKarras;
    int clipSkip = 1;  // 1: last layer; 2: penultimate (as A1111 counts)

    std::optional<Image> initImage;  // image-to-image, inpaint, outpaint
    float strength = 0.75f;          // how much of the init image (inpaint: of the masked part) is repainted
    // 1-channel, same size as initImage; 255 = repaint, 0 = keep exactly, values between repaint partly.
    std::optional<Image> mask;
    MaskOptions maskOptions;
    OutpaintMargins outpaint;  // extends initImage; the new area is repainted

    std::vector<LoraRef> loras;
    std::string vaePath;  // optional replacement VAE file

    DevicePreference device = DevicePreference::Auto;
    Precision precision = Precision::Auto;

    bool kidMode = false;     // adds the kid-mode negative prompt defaults
    bool safetyCheck = true;  // prompt policy and picture classifier; only adults may turn it off

    ProgressCallback onProgress;     // optional
    double previewsPerSecond = 4.0;  // 0: no previews
    CancelToken cancel;

    GenerationMode mode() const {
        if (!initImage) return GenerationMode::TextToImage;
        if (outpaint.any()) return GenerationMode::Outpaint;
        if (mask) return GenerationMode::Inpaint;
        return GenerationMode::ImageToImage;
    }
};

}  // namespace storybrush
