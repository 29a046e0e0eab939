// Stage 2: text encoder and UNet together (see stages.h).
#include "train/composer.h"
#include "train/concepts.h"
#include "train/stages.h"

#include "models/autoencoder_kl.h"
#include "models/clip_text_model.h"
#include "models/unet.h"
#include "runtime/torch_compat.h"
#include "sampling/noise_schedule.h"
#include "text/clip_tokenizer.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace storybrush::train {
namespace {

namespace fs = std::filesystem;

std::int64_t parameterCount(torch::nn::Module& module) {
    std::int64_t n = 0;
    for (const auto& p : module.parameters()) n += p.numel();
    return n;
}

}  // namespace

int trainDiffusion(const Arguments& args) {
    const std::string modelDir = args.required("model");
    prepareModelFolder(args.required("template"), modelDir);
    const auto concepts = loadConcepts(args.required("concepts"));
    const torch::Device device(args.text("device", torch::cuda::is_available() ? "cuda" : "cpu"));
    const auto stickers = loadStickers(args.required("data"), concepts, device);
    const int batch = args.integer("batch", 128);
    const int size = args.integer("size", 256);
    const Budget budget(args.number("minutes", 10.0));
    const double baseLr = args.number("lr", 2e-4);
    const double dropCaption = args.number("caption-dropout", 0.1);
    const auto seed = static_cast<std::uint32_t>(args.integer("seed", 1));
    std::mt19937 rng(seed);
    const auto options = torch::TensorOptions().device(device).dtype(torch::kFloat32);
    const fs::path root(modelDir);

    const auto vaeConfig = models::AutoencoderKLConfig::fromFile((root / "vae" / "config.json").string());
    models::AutoencoderKL vae(vaeConfig, options);
    if (!loadWeights(*vae, (root / "vae" / "diffusion_pytorch_model.safetensors").string())) {
        throw Error(ErrorKind::ModelFile, "Train the VAE first: no weights in " + (root / "vae").string());
    }
    vae->eval();
    for (auto& p : vae->parameters()) p.set_requires_grad(false);

    const text::ClipTokenizer tokenizer((root / "tokenizer").string());
    models::ClipTextModel textEncoder(models::ClipTextConfig::fromFile((root / "text_encoder" / "config.json").string()),
                                      options);
    models::UNet2DConditionModel unet(models::UNetConfig::fromFile((root / "unet" / "config.json").string()), options);
    const auto tePath = (root / "text_encoder" / "model.safetensors").string();
    const auto unetPath = (root / "unet" / "diffusion_pytorch_model.safetensors").string();
    if (loadWeights(*textEncoder, tePath) && loadWeights(*unet, unetPath)) {
        std::cout << "resumed from " << modelDir << '\n';
    } else {
        initialiseWeights(*textEncoder, seed);
        initialiseWeights(*unet, seed + 1);
    }
    std::cout << "unet parameters " << parameterCount(*unet) << ", text encoder " << parameterCount(*textEncoder) << std::endl;
    makeTrainable(*textEncoder);
    makeTrainable(*unet);

    nlohmann::json schedulerJson;
    std::ifstream(root / "scheduler" / "scheduler_config.json") >> schedulerJson;
    const auto schedule = sampling::SchedulerConfig::fromJson(sampling::SchedulerKind::Pndm, schedulerJson);
    const auto alphasCumprod = sampling::alphasCumprod(schedule).to(device);
    const int trainSteps = schedule.numTrainTimesteps;

    std::vector<torch::Tensor> params = unet->parameters();
    for (const auto& p : textEncoder->parameters()) params.push_back(p);
    torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(baseLr).betas({0.9, 0.99}).weight_decay(0.01));
    Ema unetEma(*unet, 0.9995);
    Ema textEma(*textEncoder, 0.9995);
    const double scaling = vaeConfig.scalingFactor;

    auto save = [&] {
        unetEma.swap(*unet);
        textEma.swap(*textEncoder);
        saveWeights(*unet, unetPath, torch::kFloat16);
        saveWeights(*textEncoder, tePath, torch::kFloat16);
        unetEma.swap(*unet);
        textEma.swap(*textEncoder);
    };

    int step = 0;
    double lastSave = 0.0;
    double lossSum = 0.0;
    const auto started = std::chrono::steady_clock::now();
    while (!budget.over()) {
        for (auto& group : optimizer.param_groups()) {
            static_cast<torch::optim::AdamWOptions&>(group.options()).lr(learningRate(baseLr, step, 500, budget.fraction()));
        }
        const auto composed = composeBatch(stickers, batch, size, rng);
        std::vector<std::int64_t> ids;
        ids.reserve(static_cast<std::size_t>(batch) * text::ClipTokenizer::kContextLength);
        for (const auto& scene : composed.scenes) {
            const bool drop = std::uniform_real_distribution<double>(0, 1)(rng) < dropCaption;
            const auto language = std::uniform_int_distribution<int>(0, 1)(rng) ? CaptionLanguage::English : CaptionLanguage::Chinese;
            const std::string text = drop ? std::string() : caption(scene, concepts, language, rng);
            for (int id : tokenizer.encodePadded(text)) ids.push_back(id);
        }
        const auto tokens = torch::tensor(ids, torch::kInt64).view({batch, -1}).to(device);

        torch::Tensor latents;
        {
            torch::NoGradGuard noGrad;
            runtime::CudaAutocastGuard autocast(torch::kBFloat16);
            const auto dist = vae->encode(composed.images);
            latents = ((dist.mean + dist.std * torch::randn_like(dist.std)) * scaling).to(torch::kFloat32);
        }
        const auto t = torch::randint(0, trainSteps, {batch}, torch::TensorOptions().device(device).dtype(torch::kInt64));
        const auto acp = alphasCumprod.index_select(0, t).view({-1, 1, 1, 1});
        const auto noise = torch::randn_like(latents);
        const auto noisy = acp.sqrt() * latents + (1 - acp).sqrt() * noise;
        torch::Tensor prediction;
        {
            runtime::CudaAutocastGuard autocast(torch::kBFloat16);
            const auto context = textEncoder->promptEmbeddings(tokens);
            prediction = unet->forward(noisy, t.to(torch::kFloat32), context).to(torch::kFloat32);
        }
        // min-SNR-5 weighting for epsilon prediction (Hang et al. 2023): easy, low-noise steps stop dominating.
        const auto snr = acp.view({-1}) / (1 - acp.view({-1}));
        const auto weight = torch::clamp_max(snr, 5.0) / snr;
        const auto loss = ((prediction - noise).pow(2).mean({1, 2, 3}) * weight).mean();
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(params, 1.0);
        optimizer.step();
        const double decay = std::min(0.9995, (1.0 + step) / (10.0 + step));
        unetEma.update(*unet, decay);
        textEma.update(*textEncoder, decay);
        lossSum += loss.item<double>();
        ++step;
        if (step % 100 == 0) {
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            std::cout << "diffusion step " << step << " loss " << lossSum / 100 << " it/s " << step / seconds << " min "
                      << budget.elapsedMinutes() << std::endl;
            lossSum = 0.0;
        }
        if (budget.elapsedMinutes() - lastSave > args.number("save-every", 3.0)) {
            save();
            lastSave = budget.elapsedMinutes();
            std::cout << "saved at step " << step << std::endl;
        }
    }
    save();
    std::cout << "diffusion done: " << step << " steps, saved " << modelDir << std::endl;
    return 0;
}

}  // namespace storybrush::train
