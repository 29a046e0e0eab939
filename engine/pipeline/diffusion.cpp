// The denoise loop and the VAE steps shared by text-to-image and image-to-image.
#include "pipeline/diffusion.h"

#include "runtime/memory.h"
#include "runtime/speed.h"

#include <storybrush/error.h>

#include <chrono>
#include <cstring>
#include <optional>

namespace storybrush::pipeline {

namespace {

// What every UNet call of one picture shares: the text context ([uncond, cond] with guidance), SDXL's added
// conditioning, and the cross-attention keys and values of the context (the `cross_attention_keys` lever).
struct UNetContext {
    torch::Tensor context;
    models::UNetConditioning added;
    std::optional<models::CrossAttentionKeys> keys;
    const models::CrossAttentionKeys* keysOrNull() const { return keys ? &*keys : nullptr; }
};

UNetContext unetContext(StableDiffusionModel& model, const TextConditioning& conditioning, std::int64_t latentHeight,
                        std::int64_t latentWidth) {
    const bool guided = conditioning.uncond.defined();
    UNetContext out;
    out.context = guided ? torch::cat({conditioning.uncond, conditioning.cond}, 0) : conditioning.cond;
    if (conditioning.pooled.defined()) {
        // ref: StableDiffusionXLPipeline._get_add_time_ids: original size, crop top-left, target size; the
        // pipeline's defaults are the drawing size for both and no crop, on both sides of the guidance.
        const double height = double(latentHeight * 8), width = double(latentWidth * 8);
        const auto timeIds = torch::tensor({height, width, 0.0, 0.0, height, width}, torch::kFloat32)
                                 .view({1, 6})
                                 .to(model.target.device);
        out.added.textEmbeds = guided ? torch::cat({conditioning.uncondPooled, conditioning.pooled}, 0)
                                      : conditioning.pooled;
        out.added.timeIds = timeIds.expand({guided ? 2 : 1, 6});
    }
    if (runtime::speedLevers().crossAttentionKeys) out.keys = model.unet->crossAttentionKeys(out.context);
    return out;
}

}  // namespace

torch::Tensor denoise(StableDiffusionModel& model, sampling::Scheduler& scheduler, torch::Tensor latents,
                      const TextConditioning& conditioning, double cfgScale, int startIndex, const StepCallback& onStep,
                      bool* stopped, const LatentInpaint* inpaint) {
    const auto device = model.target.device;
    const auto dtype = model.target.dtype;
    const bool guided = conditioning.uncond.defined();
    const int total = scheduler.numSteps() - startIndex;
    latents = latents.to(device, torch::kFloat32);
    if (stopped) *stopped = false;
    const bool concatenates = inpaint && inpaint->unetExtra.defined();
    const bool blends = inpaint && inpaint->blendMask.defined();
    const torch::Tensor extra = concatenates ? inpaint->unetExtra.to(device, dtype) : torch::Tensor();
    const auto shared = unetContext(model, conditioning, latents.size(2), latents.size(3));
    for (int i = startIndex; i < scheduler.numSteps(); ++i) {
        auto input = scheduler.scaleModelInput(latents, i).to(dtype);
        if (concatenates) input = torch::cat({input, extra}, 1);
        const auto batch = guided ? torch::cat({input, input}, 0) : input;
        const auto timestep = torch::full({batch.size(0)}, scheduler.timesteps()[static_cast<std::size_t>(i)],
                                          torch::TensorOptions().dtype(torch::kFloat32).device(device));
        auto output =
            model.unetRunner->forward(model.unet, batch, timestep, shared.context, shared.added, shared.keysOrNull());
        if (guided) {
            const auto halves = output.chunk(2, 0);
            output = sampling::applyCfg(halves[0].to(torch::kFloat32), halves[1].to(torch::kFloat32), cfgScale);
        }
        latents = scheduler.step(output, i, latents);
        if (blends) {
            const bool last = i + 1 == scheduler.numSteps();
            const torch::Tensor kept = last ? inpaint->imageLatents
                                            : scheduler.addNoise(inpaint->imageLatents, inpaint->noise, i + 1);
            const double freedShare = 1.0 - double(i - startIndex + 1) / total;
            const torch::Tensor repaint = (inpaint->blendMask > freedShare).to(torch::kFloat32);
            latents = (1 - repaint) * kept + repaint * latents;
        }
        if (onStep && !onStep(i - startIndex + 1, total, latents)) {
            if (stopped) *stopped = i + 1 < scheduler.numSteps();
            break;
        }
    }
    return latents;
}

double timeUNetCalls(StableDiffusionModel& model, const TextConditioning& conditioning, int width, int height,
                     int calls) {
    const auto device = model.target.device;
    const auto shared = unetContext(model, conditioning, height / 8, width / 8);
    const auto batch = shared.context.size(0);
    const auto options = torch::TensorOptions().dtype(model.target.dtype).device(device);
    const auto sample = torch::randn({batch, model.unet->config.inChannels, height / 8, width / 8}, options);
    const auto timestep = torch::full({batch}, 500.0, torch::TensorOptions().dtype(torch::kFloat32).device(device));
    const auto call = [&] {
        return model.unetRunner->forward(model.unet, sample, timestep, shared.context, shared.added,
                                         shared.keysOrNull());
    };
    call();  // captured here unless it already was
    runtime::synchronize(device);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) call();
    runtime::synchronize(device);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / calls;
}

torch::Tensor decodeLatents(StableDiffusionModel& model, const torch::Tensor& latents) {
    const double scaling = model.vae->config.scalingFactor;
    auto z = latents.to(model.vaeTarget.device, model.vaeTarget.dtype) / scaling;
    if (model.vae->config.shiftFactor) z = z + *model.vae->config.shiftFactor;
    return model.vae->decode(z).to(torch::kFloat32);
}

torch::Tensor encodeImageLatents(StableDiffusionModel& model, const torch::Tensor& image,
                                 sampling::NoiseSource& generator) {
    const auto distribution = model.vae->encode(image.to(model.vaeTarget.device, model.vaeTarget.dtype));
    const auto noise =
        generator.next(distribution.mean.sizes()).to(distribution.mean.device(), distribution.mean.dtype());
    auto latents = distribution.mean + distribution.std * noise;
    if (model.vae->config.shiftFactor) latents = latents - *model.vae->config.shiftFactor;
    return (latents * model.vae->config.scalingFactor).to(torch::kFloat32);
}

Image tensorToImage(const torch::Tensor& image) {
    if (image.dim() != 4 || image.size(0) != 1 || image.size(1) != 3) {
        throw Error(ErrorKind::Internal, "tensorToImage expects [1, 3, H, W]");
    }
    // Converted where the picture is (the GPU does it in microseconds) and only the bytes are copied back.
    const auto bytes = ((image.detach().to(torch::kFloat32) / 2 + 0.5).clamp(0, 1) * 255)
                           .round()
                           .to(torch::kUInt8)
                           .squeeze(0)
                           .permute({1, 2, 0})
                           .contiguous()
                           .cpu();
    Image out(static_cast<int>(bytes.size(1)), static_cast<int>(bytes.size(0)), 3);
    std::memcpy(out.pixels.data(), bytes.data_ptr<std::uint8_t>(), out.pixels.size());
    return out;
}

torch::Tensor imageToTensor(const Image& image) {
    if (!image.isConsistent()) throw Error(ErrorKind::InvalidRequest, "The picture's pixel data is incomplete.");
    auto pixels = torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()),
                                   {image.height, image.width, image.channels}, torch::kUInt8);
    if (image.channels == 4) pixels = pixels.narrow(2, 0, 3);
    if (image.channels == 1) pixels = pixels.expand({image.height, image.width, 3});
    return (pixels.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32) / 255.0 * 2.0 - 1.0).contiguous();
}

torch::Tensor maskToTensor(const Image& mask) {
    if (!mask.isConsistent() || mask.channels != 1) {
        throw Error(ErrorKind::InvalidRequest, "The mask must be a complete one-channel (grey) picture.");
    }
    auto pixels =
        torch::from_blob(const_cast<std::uint8_t*>(mask.pixels.data()), {1, 1, mask.height, mask.width}, torch::kUInt8);
    return (pixels.to(torch::kFloat32) / 255.0).contiguous();
}

}  // namespace storybrush::pipeline
