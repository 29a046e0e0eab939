// The seam between the engine and the model families it draws with (SD 1.x/2.x, SDXL, Qwen-Image, ...).
// A family says whether a model file or folder is one of its own, checks it, loads it, and the loaded model
// draws: the engine, the CLI and the catalogue never ask which family they hold. One file per family under
// pipeline/families/, one row each in families/registry.cpp (see docs/architecture.md).
#pragma once

#include "io/checkpoint.h"
#include "models/lora.h"
#include "runtime/device.h"

#include <storybrush/image.h>
#include <storybrush/request.h>

#include <torch/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storybrush::sampling {
class NoiseSource;
}

namespace storybrush::pipeline {

class Family;

// Called after each step with the steps done so far (1-based) and the current latents; false stops.
using StepCallback = std::function<bool(int stepsDone, int totalSteps, const torch::Tensor& latents)>;

// The pictures a drawing starts from, already at the drawing size (the engine resizes and crops them).
struct PictureInputs {
    torch::Tensor image;  // [1, 3, H, W] in [-1, 1]: image-to-image and inpainting
    torch::Tensor mask;   // [1, 1, H, W] in [0, 1], 1 = repaint; needs `image`
};

// For tests that replay the reference's own random draws; the engine leaves them empty.
struct PictureOverrides {
    torch::Tensor latents;                   // initial noise (before init_noise_sigma), as diffusers' `latents`
    sampling::NoiseSource* noise = nullptr;  // the generator for VAE samples, img2img noise and per-step noise
};

struct Picture {
    torch::Tensor latents;  // the sampler's final latents, float32
    Image image;
    bool stopped = false;  // the step callback asked to stop; latents/image are empty then
};

// Where the weights of a model too big for the card live: TextEncoder keeps the text encoder in main memory and
// streams its layers over to read a new prompt; Blocks also keeps the denoiser's blocks there, streamed every step.
enum class Offload { None, TextEncoder, Blocks };
const char* offloadName(Offload offload);  // "none", "text", "blocks"

struct LoadOptions {
    // A diffusers folder whose configs replace those inferred for a single file (io::OpenOptions; tests give tiny
    // single files their folder's configs).
    std::string configFrom;
    // Whether this thread calls the still-empty networks while a second one loads the weights (planning cuDNN's
    // convolutions meanwhile); unset: on a GPU when the `plan_while_loading` lever is on. Tests set it on the CPU.
    std::optional<bool> planWhileLoading;
    // The step-preview decoder: "auto" (TAESD in vae_approx/ beside the model, when there is one), "none",
    // "random" (full-size random TAESD, for timing), or a TAESD folder. Families with their own previews ignore it.
    std::string previewDecoder = "auto";
    // Memory plan for models bigger than the card: unset offload is planned from the card's memory (or
    // gpuBudgetGiB when above 0). fp8Weights stores the denoiser's blocks in FP8 where the family supports it.
    std::optional<Offload> offload;
    double gpuBudgetGiB = 0;
    bool fp8Weights = false;
};

// What a family recommends when the user has not chosen.
struct FamilyDefaults {
    int nativeSize = 512;  // pixels along a side of the model's own square
    int steps = 25;
    float guidance = 7.5f;
    // The family draws with its one sampler whatever is asked (Qwen-Image: flow-matching Euler); the parameters
    // text records it.
    std::optional<Sampler> ownSampler;
};

// What the model manager shows of a model that passed Family::check.
struct ModelSummary {
    const Family* family = nullptr;
    io::Prediction prediction = io::Prediction::Epsilon;
    bool inpainting = false;  // a model trained to repaint (9-channel UNet)
    int nativeSize = 512;
};

// A model made ready to draw, of whichever family. Created by Family::load; used on one thread.
class LoadedModel {
public:
    virtual ~LoadedModel() = default;
    LoadedModel() = default;
    LoadedModel(const LoadedModel&) = delete;
    LoadedModel& operator=(const LoadedModel&) = delete;

    const Family* family = nullptr;
    std::string path;
    std::string name;      // what the parameters text calls it: the file or folder name without extension
    int nativeSize = 512;  // pixels along a side (SD 1.x 512, SD 2.x-v 768, SDXL and Qwen-Image 1024)
    int latentChannels = 4;
    runtime::ComputeTarget target;
    runtime::ComputeTarget vaeTarget;

    // The networks a LoRA may change, under the prefixes LoRA files use ("unet", "te", "te2", "transformer").
    virtual models::LoraTargets loraTargets() = 0;
    // The nearest size this model draws to width x height (text-to-image; repaint plans come in steps of 8).
    virtual std::pair<int, int> drawableSize(int width, int height) const { return {width, height}; }
    // Draws the picture of `seed`: a fresh CPU generator seeded `seed` makes every random draw in the order the
    // reference pipeline's one generator would. width/height: the size to draw; inputs have that size.
    virtual Picture draw(const GenerationRequest& request, std::uint64_t seed, int width, int height,
                         const StepCallback& onStep, const PictureInputs& inputs = {},
                         const PictureOverrides& overrides = {}) = 0;
    // Encodes the request's prompts (and negative prompt when guided) into the model's cache, as draw would.
    virtual void encodePrompts(const GenerationRequest& request) = 0;
    // Forgets the encoded prompts: the text encoder's weights changed (a LoRA), or a benchmark times it again.
    virtual void clearPromptCache() = 0;
    // The studio's step preview from the latents the step callback gives (the first picture of the batch).
    virtual Image stepPreview(const torch::Tensor& latents) = 0;
    virtual std::string previewDecoderName() const = 0;  // "taesd", "projection", "vae"
    // A separate VAE file whose weights replace the model's own. Throws Error when the family has no such VAE.
    virtual void replaceVae(const std::string& vaePath);
    // On a card too small for the model: called as each streamed layer arrives (arrived, total) during a step;
    // empty to stop reporting. Families that never stream ignore it.
    virtual void reportStreamedLayers(std::function<void(int arrived, int total)> report) {}
    virtual Offload offload() const { return Offload::None; }
    // The denoiser alone as the loop calls it, `calls` times back to back (one picture's context, a mid-schedule
    // timestep): milliseconds a call, 0 when the family does not time it apart. For `bench`.
    virtual double timeDenoiserCalls(const GenerationRequest& request, int width, int height, int calls) { return 0.0; }
};

// One model family. Instances live in the registry for the whole program.
class Family {
public:
    virtual ~Family() = default;
    virtual std::string_view id() const = 0;           // "sd1", "sd2", "sdxl", "builtin", "qwenimage"
    virtual std::string_view displayName() const = 0;  // "SD 1.x", "SD 2.x", "SDXL", "built-in", "Qwen-Image"
    virtual FamilyDefaults defaults() const = 0;
    // Whether LoRA files for this family use SDXL's names (lora_te1_/lora_te2_, input_blocks_...).
    virtual bool sdxlLoraNames() const { return false; }
    // The sampler name `bench` prints for what this family draws with when `asked` was requested.
    virtual std::string samplerLabel(Sampler asked) const;
    // Whether its models are read by the SD checkpoint reader (io::openCheckpoint), whose findings `inspect` shows
    // in detail (layout, prediction, parameter counts, ignored and unknown keys).
    virtual bool readsCheckpoints() const { return false; }

    class Probe;
    // Whether the model at probe.path() is of this family. Asked in registry order; the first that claims wins.
    virtual bool claims(Probe& probe) const = 0;
    // Everything load checks (parts present, every config, every tensor's name and shape) without reading or
    // allocating a weight. Throws Error(ModelFile / UnsupportedModel) naming the path.
    virtual ModelSummary check(Probe& probe) const = 0;
    virtual std::shared_ptr<LoadedModel> load(Probe& probe, const runtime::ComputeTarget& target,
                                              const LoadOptions& options) const = 0;
};

// A model file or folder being identified: the SD checkpoint reader runs at most once, and its result is handed
// to the family that claims it.
class Family::Probe {
public:
    explicit Probe(std::string path, io::OpenOptions options = {});
    const std::string& path() const { return m_path; }
    // The path opened as a Stable Diffusion checkpoint (diffusers folder or single file). Throws Error as
    // io::openCheckpoint does: not a model, a pickle file, a part missing.
    io::Checkpoint& checkpoint();

private:
    std::string m_path;
    io::OpenOptions m_options;
    std::optional<io::Checkpoint> m_checkpoint;
};

// The registry: every family, in the order they are asked to claim a model.
const std::vector<const Family*>& allFamilies();
const Family* familyById(std::string_view id);  // nullptr when unknown

// The family of the model at probe.path(): the one place where models are identified. Throws Error(ModelFile)
// for what cannot be read, Error(UnsupportedModel) for a readable model of no known family.
const Family& detectFamily(Family::Probe& probe);

ModelSummary checkModel(const std::string& path);
std::shared_ptr<LoadedModel> loadModel(const std::string& path, const runtime::ComputeTarget& target,
                                       const LoadOptions& options = {});

// Convenience: the model's draw through a free function, as the tests read it.
inline Picture drawPicture(LoadedModel& model, const GenerationRequest& request, std::uint64_t seed, int width,
                           int height, const StepCallback& onStep, const PictureInputs& inputs = {},
                           const PictureOverrides& overrides = {}) {
    return model.draw(request, seed, width, height, onStep, inputs, overrides);
}

}  // namespace storybrush::pipeline
