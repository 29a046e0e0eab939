// Text-to-image, image-to-image and inpainting for one picture.
// ref: diffusers StableDiffusionPipeline, StableDiffusionImg2ImgPipeline and StableDiffusionInpaintPipeline
// (__call__, prepare_latents, prepare_mask_latents).
#include "pipeline/generation.h"

#include <storybrush/error.h>

namespace storybrush::pipeline {

namespace {

// ref: prepare_mask_latents: F.interpolate(mask, size=latent size), nearest.
torch::Tensor latentMask(const torch::Tensor& mask, int height, int width) {
    namespace F = torch::nn::functional;
    return F::interpolate(
        mask.to(torch::kFloat32),
        F::InterpolateFuncOptions().size(std::vector<std::int64_t>{height / 8, width / 8}).mode(torch::kNearest));
}

void checkInputs(const PictureInputs& inputs, int width, int height) {
    const auto fits = [&](const torch::Tensor& t, std::int64_t channels) {
        return t.dim() == 4 && t.size(0) == 1 && t.size(1) == channels && t.size(2) == height && t.size(3) == width;
    };
    if (inputs.image.defined() && !fits(inputs.image, 3)) {
        throw Error(ErrorKind::Internal, "drawPicture: the starting picture must be [1, 3, height, width]");
    }
    if (inputs.mask.defined() && (!inputs.image.defined() || !fits(inputs.mask, 1))) {
        throw Error(ErrorKind::Internal,
                    "drawPicture: a mask needs a starting picture and must be [1, 1, height, width]");
    }
}

}  // namespace

Picture drawStableDiffusion(StableDiffusionModel& model, PromptCache& prompts, const GenerationRequest& request,
                            std::uint64_t seed, int width, int height, const StepCallback& onStep,
                            const PictureInputs& inputs, const PictureOverrides& overrides) {
    checkInputs(inputs, width, height);
    const auto device = model.target.device;
    sampling::CpuNoiseSource ownNoise(seed);
    sampling::NoiseSource& noise = overrides.noise ? *overrides.noise : ownNoise;
    auto scheduler = sampling::makeScheduler(request.sampler, model.schedulerConfig, request.steps, &noise);

    const bool guided = request.cfgScale > 1.0f;  // ref: do_classifier_free_guidance = guidance_scale > 1
    const TextConditioning conditioning =
        prompts.get(model, request.prompt, request.negativePrompt, request.clipSkip, guided);

    const std::vector<std::int64_t> latentShape{1, model.latentChannels, height / 8, width / 8};
    const auto startNoise = [&] {
        const torch::Tensor given = overrides.latents;
        return (given.defined() ? given : noise.next(latentShape)).to(device, torch::kFloat32);
    };

    torch::Tensor image = inputs.image;
    torch::Tensor mask = inputs.mask;
    if (model.inpaintingUnet && !mask.defined()) {
        // An inpainting model drawing a whole picture: everything is masked, nothing of a picture is shown.
        if (!image.defined()) image = torch::zeros({1, 3, height, width});
        mask = torch::ones({1, 1, height, width});
    }

    torch::Tensor latents;
    int startIndex = 0;
    Picture picture;
    if (mask.defined()) {
        const auto start =
            sampling::img2imgStart(request.steps, sampling::strengthFromFloat(request.strength), scheduler->numSteps());
        startIndex = start.startIndex;
        const bool fromNoise = request.strength >= 1.0f;  // ref: is_strength_max
        LatentInpaint inpaint;
        // The reference's draws, in its order: picture latents (when blended back, or when the start mixes
        // them in), the start noise, then the masked picture's latents.
        torch::Tensor imageLatents;
        if (!model.inpaintingUnet || (!overrides.latents.defined() && !fromNoise)) {
            imageLatents = encodeImageLatents(model, image, noise);
        }
        torch::Tensor initialNoise = startNoise();
        if (fromNoise || overrides.latents.defined()) {
            latents = initialNoise * scheduler->initNoiseSigma();
        } else {
            latents = scheduler->addNoise(imageLatents.to(device), initialNoise, startIndex);
        }
        const torch::Tensor small = latentMask(mask, height, width).to(device);
        if (model.inpaintingUnet) {
            const torch::Tensor keep = (mask < 0.5).to(torch::kFloat32);
            const torch::Tensor maskedLatents = encodeImageLatents(model, image * keep, noise).to(device);
            inpaint.unetExtra = torch::cat({(small >= 0.5).to(torch::kFloat32), maskedLatents}, 1);
        } else {
            noise.next(latentShape);  // the reference also samples the masked picture here, unused by 4-channel UNets
            inpaint.blendMask = small;
            inpaint.imageLatents = imageLatents.to(device);
            inpaint.noise = initialNoise;
        }
        picture.latents = denoise(model, *scheduler, latents, conditioning, request.cfgScale, startIndex, onStep,
                                  &picture.stopped, &inpaint);
    } else {
        if (image.defined()) {
            const auto start = sampling::img2imgStart(request.steps, sampling::strengthFromFloat(request.strength),
                                                      scheduler->numSteps());
            startIndex = start.startIndex;
            const auto clean = encodeImageLatents(model, image, noise);
            latents = scheduler->addNoise(clean, noise.next(clean.sizes()).to(clean.device()), startIndex);
        } else {
            latents = startNoise() * scheduler->initNoiseSigma();
        }
        picture.latents =
            denoise(model, *scheduler, latents, conditioning, request.cfgScale, startIndex, onStep, &picture.stopped);
    }
    if (picture.stopped) return picture;
    picture.image = tensorToImage(decodeLatents(model, picture.latents));
    return picture;
}

}  // namespace storybrush::pipeline
