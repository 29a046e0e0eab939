// Stable Diffusion models (SD 1.x, SD 2.x, SDXL and the built-in model): a CLIP text encoder (two for SDXL), a
// UNet and a KL autoencoder, loaded from a diffusers folder or a single file with LDM names (io::openCheckpoint).
// The families differ in names, defaults and SDXL's second encoder; they share this model and its loader.
#pragma once

#include "pipeline/family.h"

#include "models/autoencoder_kl.h"
#include "models/autoencoder_tiny.h"
#include "models/clip_text_model.h"
#include "models/unet.h"
#include "pipeline/unet_runner.h"
#include "text/clip_tokenizer.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace storybrush::pipeline {

class PromptCache;

class StableDiffusionModel final : public LoadedModel {
public:
    StableDiffusionModel();
    ~StableDiffusionModel() override;

    io::Prediction prediction = io::Prediction::Epsilon;
    nlohmann::json schedulerConfig;
    bool inpaintingUnet = false;  // the UNet takes 9 channels: latents, mask, masked picture's latents
    bool sdxlLatents = false;     // SDXL's VAE: its own latent->RGB preview factors
    std::unique_ptr<text::ClipTokenizer> tokenizer;
    models::ClipTextModel textEncoder{nullptr};
    // SDXL: the second text encoder (OpenCLIP bigG with projection) and its tokenizer; empty otherwise.
    std::unique_ptr<text::ClipTokenizer> tokenizer2;
    models::ClipTextModel textEncoder2{nullptr};
    bool zeroEmptyNegative = false;  // SDXL: an empty negative prompt is zeros, not the encoded ""
    models::UNet2DConditionModel unet{nullptr};
    std::unique_ptr<UNetRunner> unetRunner = std::make_unique<UNetRunner>();  // how the denoise loop calls the UNet
    models::AutoencoderKL vae{nullptr};
    std::shared_ptr<models::TinyDecoder> previewDecoder;  // TAESD, when there is one: real step previews
    std::unique_ptr<PromptCache> prompts;                 // the last prompt pair, so "draw again" skips the encoder

    models::LoraTargets loraTargets() override;
    Picture draw(const GenerationRequest& request, std::uint64_t seed, int width, int height,
                 const StepCallback& onStep, const PictureInputs& inputs = {},
                 const PictureOverrides& overrides = {}) override;
    void encodePrompts(const GenerationRequest& request) override;
    void clearPromptCache() override;
    Image stepPreview(const torch::Tensor& latents) override;
    std::string previewDecoderName() const override { return previewDecoder ? "taesd" : "projection"; }
    void replaceVae(const std::string& vaePath) override;
    double timeDenoiserCalls(const GenerationRequest& request, int width, int height, int calls) override;
};

// The checkpoint's family is one we draw with and every part is there.
void checkStableDiffusionComplete(const io::Checkpoint& checkpoint, const std::string& path);
ModelSummary checkStableDiffusion(const Family& family, io::Checkpoint& checkpoint);

// Builds the networks of `checkpoint` on `target` and fills them. Throws Error(ModelFile / UnsupportedModel).
std::shared_ptr<StableDiffusionModel> loadStableDiffusion(const Family& family, io::Checkpoint& checkpoint,
                                                          const runtime::ComputeTarget& target,
                                                          const LoadOptions& options);

// Opens and loads an SD-architecture model (for tests and tools that reach into its networks). Throws as
// loadModel does, and Error(UnsupportedModel) for a model of another family.
std::shared_ptr<StableDiffusionModel> loadStableDiffusion(const std::string& path, const runtime::ComputeTarget& target,
                                                          const LoadOptions& options = {});

// The TAESD decoder that options.previewDecoder asks for ("auto" looks beside the model), or null.
std::shared_ptr<models::TinyDecoder> choosePreviewDecoder(const std::string& choice, const std::string& modelPath,
                                                          const runtime::ComputeTarget& target);

// What SD 1.x, SD 2.x, SDXL and the built-in model share as families: the SD checkpoint reader's verdict claims
// the model, and the model is checked and loaded as above.
class StableDiffusionFamily : public Family {
public:
    bool readsCheckpoints() const override { return true; }
    bool claims(Probe& probe) const override;
    ModelSummary check(Probe& probe) const override;
    std::shared_ptr<LoadedModel> load(Probe& probe, const runtime::ComputeTarget& target,
                                      const LoadOptions& options) const override;

protected:
    // The kind io::openCheckpoint finds for this family's models.
    virtual io::ModelFamily checkpointKind() const = 0;
};

}  // namespace storybrush::pipeline
