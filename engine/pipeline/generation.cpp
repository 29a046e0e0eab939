// Text-to-image and image-to-image for one picture.
// ref: diffusers StableDiffusionPipeline and StableDiffusionImg2ImgPipeline (__call__, prepare_latents).
#include "pipeline/generation.h"

#include <storybrush/error.h>

namespace storybrush::pipeline {

Picture drawPicture(LoadedModel& model, PromptCache& prompts, const GenerationRequest& request, std::uint64_t seed,
                    int width, int height, const StepCallback& onStep, const PictureOverrides& overrides) {
    const auto device = model.target.device;
    sampling::CpuNoiseSource ownNoise(seed);
    sampling::NoiseSource& noise = overrides.noise ? *overrides.noise : ownNoise;
    auto scheduler = sampling::makeScheduler(request.sampler, model.schedulerConfig, request.steps, &noise);

    const bool guided = request.cfgScale > 1.0f;  // ref: do_classifier_free_guidance = guidance_scale > 1
    const TextConditioning conditioning =
        prompts.get(model, request.prompt, request.negativePrompt, request.clipSkip, guided);

    torch::Tensor latents;
    int startIndex = 0;
    torch::Tensor initImage = overrides.initImage;
    if (!initImage.defined() && request.initImage) {
        initImage = imageToTensor(*request.initImage);
        if (initImage.size(2) != height || initImage.size(3) != width) {
            initImage = torch::upsample_bilinear2d(initImage, {height, width}, /*align_corners=*/false);
        }
    }
    if (initImage.defined()) {
        const auto start = sampling::img2imgStart(request.steps, sampling::strengthFromFloat(request.strength),
                                                  scheduler->numSteps());
        startIndex = start.startIndex;
        const auto clean = encodeImageLatents(model, initImage, noise);
        const auto startNoise = noise.next(clean.sizes()).to(clean.device());
        latents = scheduler->addNoise(clean, startNoise, startIndex);
    } else {
        torch::Tensor initial = overrides.latents;
        if (!initial.defined()) initial = noise.next({1, model.latentChannels, height / 8, width / 8});
        latents = initial.to(device, torch::kFloat32) * scheduler->initNoiseSigma();
    }

    Picture picture;
    picture.latents = denoise(model, *scheduler, latents, conditioning, request.cfgScale, startIndex, onStep,
                              &picture.stopped);
    if (picture.stopped) return picture;
    picture.image = tensorToImage(decodeLatents(model, picture.latents));
    return picture;
}

}  // namespace storybrush::pipeline
