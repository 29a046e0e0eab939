// Qwen-Image drawn as diffusers' QwenImagePipeline draws it: the prompt in Qwen's chat template through
// Qwen2.5-VL, flow-matching Euler over 2x2-packed latents with true CFG (a second pass with the negative
// prompt, rescaled to the positive prediction's norm), the Wan-style VAE. Image-to-image and repainting
// follow QwenImageImg2ImgPipeline / QwenImageInpaintPipeline (latent blending).
#pragma once

#include "pipeline/family.h"

#include "models/autoencoder_qwenimage.h"
#include "models/qwen2_text_model.h"
#include "models/qwenimage_transformer.h"
#include "runtime/device.h"
#include "sampling/flow_match.h"
#include "text/qwen_tokenizer.h"

#include <storybrush/image.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace storybrush::pipeline {

// On a card too small for all of Qwen-Image (a 7 B text encoder and a 20 B transformer), the Offload plan says
// where its weights live (family.h); LoadOptions.fp8Weights keeps the transformer's blocks in FP8 (storeAsFloat8).

// The least offloading whose resident weights, plus room for a 1024x1024 picture's work, fit `budgetGiB`.
Offload planQwenOffload(double textGiB, double transformerGiB, double vaeGiB, double budgetGiB);

struct QwenImageParts {
    std::unique_ptr<text::QwenTokenizer> tokenizer;
    models::Qwen2TextModel textEncoder{nullptr};
    models::QwenImageTransformer2DModel transformer{nullptr};
    models::AutoencoderQwenImage vae{nullptr};
    sampling::FlowMatchConfig scheduler;
    runtime::ComputeTarget target;      // the transformer's
    runtime::ComputeTarget textTarget;  // the text encoder's
    runtime::ComputeTarget vaeTarget;
    // Prompt -> embedding: a 7 B encoder is worth not running twice for the same words (a batch, a re-draw).
    std::map<std::string, torch::Tensor> promptCache;
    Offload offload = Offload::None;
};

// Puts parts built in main memory where `offload` wants them on the target's device (FP8 first if asked).
void placeQwenParts(QwenImageParts& parts, Offload offload, bool fp8Blocks);

// A diffusers Qwen-Image folder: model_index.json names QwenImagePipeline, or transformer/config.json names
// QwenImageTransformer2DModel.
bool isQwenImageFolder(const std::string& path);
// Such a folder, or a lone transformer .safetensors (ComfyUI's diffusion_models/ layout: diffusers names,
// possibly behind "model.diffusion_model.", FP8 or BF16), whose other parts come from a Qwen-Image folder
// beside it or beside one of the three folders above it.
bool isQwenImage(const std::string& path);

// Reads the folder (tokenizer/, text_encoder/, transformer/, vae/, scheduler/), or the lone transformer and its
// companion folder. Throws Error(ModelFile) naming
// what is missing or wrong. On a GPU the text encoder and VAE run in BF16 where the card has it (Qwen2.5's
// activations and the VAE's are not safe in FP16), else in FP32.
std::unique_ptr<QwenImageParts> loadQwenImageParts(const std::string& path, const runtime::ComputeTarget& target,
                                                   const LoadOptions& options = {});

// Everything loadQwenImageParts checks (parts, configs, every tensor's name and shape), with the networks on the
// meta device: no weight is read. Returns the model's own picture size (1024 for Qwen-Image).
int checkQwenImage(const std::string& path);

// ref: QwenImagePipeline._get_qwen_prompt_embeds: the prompt in the chat template, the encoder's last hidden
// states with the template's first 34 tokens dropped, at most 512 left. [1, T, hidden] in the target's dtype.
inline constexpr const char* kQwenPromptTemplate =
    "<|im_start|>system\nDescribe the image by detailing the color, shape, size, texture, quantity, text, spatial "
    "relationships of the objects and background:<|im_end|>\n<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n";
inline constexpr int kQwenTemplateDrop = 34;
inline constexpr int kQwenMaxPromptTokens = 512;
std::vector<int> qwenTemplateIds(const text::QwenTokenizer& tokenizer, const std::string& prompt);
torch::Tensor encodeQwenPrompt(QwenImageParts& parts, const std::string& prompt);

// The studio's step preview: the model's own VAE on the latents averaged down to a 256-pixel picture (the first
// of the batch), a few milliseconds on a GPU. latents [B, z, h, w] as the step callback gives them.
Image qwenStepPreview(QwenImageParts& parts, const torch::Tensor& latents);

// What repainting adds to the loop: after each step the kept part is put back at the next noise level.
struct QwenLatentBlend {
    torch::Tensor mask;          // packed [1, N, 1]: 1 = repaint
    torch::Tensor imageLatents;  // packed clean latents of the picture
    torch::Tensor noise;         // packed start noise
};

// The denoise loop on packed latents [1, N, C·4] from `startIndex`; `negative` undefined = no guidance.
// onStep(stepsDone, total, packed latents) returning false stops (*stopped set). Returns float32 packed latents.
torch::Tensor denoiseQwen(QwenImageParts& parts, const sampling::FlowMatchSchedule& schedule, torch::Tensor latents,
                          const torch::Tensor& positive, const torch::Tensor& negative, double trueCfg,
                          std::int64_t gridHeight, std::int64_t gridWidth, int startIndex,
                          const std::function<bool(int, int, const torch::Tensor&)>& onStep, bool* stopped,
                          const QwenLatentBlend* blend = nullptr);

// One picture as QwenImagePipeline (and its img2img / inpaint variants) draws it. Sizes are rounded down to the
// 2x2 patch grid, and the picture scaled back to width x height.
Picture drawQwenPicture(QwenImageParts& parts, const GenerationRequest& request, std::uint64_t seed, int width,
                        int height, const StepCallback& onStep, const PictureInputs& inputs = {},
                        const PictureOverrides& overrides = {});

}  // namespace storybrush::pipeline
