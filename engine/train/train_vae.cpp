// Stage 1: the autoencoder (see stages.h).
#include "train/composer.h"
#include "train/concepts.h"
#include "train/stages.h"

#include "models/autoencoder_kl.h"
#include "runtime/torch_compat.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

namespace storybrush::train {
namespace {

namespace fs = std::filesystem;

// Horizontal and vertical differences: flat clipart lives or dies by its edges.
torch::Tensor edges(const torch::Tensor& x) {
    const auto dx = x.slice(3, 1) - x.slice(3, 0, -1);
    const auto dy = x.slice(2, 1) - x.slice(2, 0, -1);
    return torch::cat({dx.flatten(1), dy.flatten(1)}, 1);
}

// Each picture's worst 8x8 patch (mean absolute error): a small blot costs almost nothing in the mean losses, and
// the shipped decoder draws one in the top-right corner of every picture, whatever the latents
// (`storybrush-train reconstruct`).
torch::Tensor worstPatch(const torch::Tensor& rec, const torch::Tensor& images) {
    const auto error = torch::avg_pool2d((rec - images).abs().mean(1, /*keepdim=*/true), 8);
    return error.flatten(1).amax(1).mean();
}

// The mean error in each of the four 24x24 corners, [4] in the order top-left, top-right, bottom-left,
// bottom-right. The shipped decoders draw a faint ring and a few off-colour pixels in the top-right corner of
// every picture, whatever the latents (flipping the latents leaves it there). The worst-patch term does not reach
// it, because sticker edges are worse patches; a term on the corners' own error aims at it.
torch::Tensor cornerErrors(const torch::Tensor& rec, const torch::Tensor& images) {
    constexpr std::int64_t box = 24;
    const auto error = (rec - images).abs();
    const auto h = error.size(2), w = error.size(3);
    const auto corner = [&](std::int64_t top, std::int64_t left) {
        return error.slice(2, top, top + box).slice(3, left, left + box).mean();
    };
    return torch::stack({corner(0, 0), corner(0, w - box), corner(h - box, 0), corner(h - box, w - box)});
}

}  // namespace

int trainVae(const Arguments& args) {
    const std::string modelDir = args.required("model");
    prepareModelFolder(args.required("template"), modelDir);
    const auto concepts = loadConcepts(args.required("concepts"));
    const torch::Device device(args.text("device", torch::cuda::is_available() ? "cuda" : "cpu"));
    const auto stickers = loadStickers(args.required("data"), concepts, device);
    const int batch = args.integer("batch", 32);
    const int size = args.integer("size", 256);
    const Budget budget(args.number("minutes", 4.0));
    const double baseLr = args.number("lr", 3e-4);
    std::mt19937 rng(static_cast<std::uint32_t>(args.integer("seed", 1)));

    const auto config = models::AutoencoderKLConfig::fromFile((fs::path(modelDir) / "vae" / "config.json").string());
    models::AutoencoderKL vae(config, torch::TensorOptions().device(device).dtype(torch::kFloat32));
    const std::string weightsPath = (fs::path(modelDir) / "vae" / "diffusion_pytorch_model.safetensors").string();
    // Decoder only: the encoder, and with it the latent space the UNet learned, stays as it is; the pictures get
    // sharper without retraining the UNet (as SD's fine-tuned ft-MSE decoder did).
    const bool decoderOnly = args.has("decoder-only");
    // Off by default: it moves the speck only over thousands of steps at a large batch (a GPU run; gpu_train.sh
    // passes 1). The corners' errors are logged either way, so a run shows whether the top-right one moves.
    const double cornerWeight = args.number("corner-weight", 0.0);
    if (loadWeights(*vae, weightsPath)) {
        std::cout << "resumed from " << weightsPath << '\n';
    } else if (decoderOnly) {
        throw Error(ErrorKind::ModelFile, "--decoder-only fine-tunes a trained VAE: no weights in " + weightsPath);
    } else {
        initialiseWeights(*vae, static_cast<std::uint64_t>(args.integer("seed", 1)));
    }
    makeTrainable(*vae);
    std::vector<torch::Tensor> trained;
    for (auto& item : vae->named_parameters()) {
        const bool encoderSide = item.key().rfind("encoder.", 0) == 0 || item.key().rfind("quant_conv.", 0) == 0;
        if (decoderOnly && encoderSide) item.value().set_requires_grad(false);
        else trained.push_back(item.value());
    }
    Ema ema(*vae, 0.999);
    torch::optim::AdamW optimizer(trained, torch::optim::AdamWOptions(baseLr).betas({0.9, 0.99}).weight_decay(0.0));
    std::cout << "vae parameters trained: " <<
        [&] {
        std::int64_t n = 0;
        for (auto& p : trained) n += p.numel();
        return n;
    }() << (decoderOnly ? " (decoder only)" : "")
        << '\n';

    int step = 0;
    double lastSave = 0.0;
    while (!budget.over()) {
        for (auto& group : optimizer.param_groups()) {
            static_cast<torch::optim::AdamWOptions&>(group.options())
                .lr(learningRate(baseLr, step, args.integer("warmup", 200), budget.fraction()));
        }
        const auto images = composeBatch(stickers, batch, size, rng).images;
        torch::Tensor loss, rec, kl, corners;
        {
            runtime::CudaAutocastGuard autocast(torch::kBFloat16);
            auto dist = [&] {
                const std::optional<torch::NoGradGuard> frozen = decoderOnly ? std::make_optional<torch::NoGradGuard>()
                                                                             : std::nullopt;
                return vae->encode(images);
            }();
            const auto z = dist.mean + dist.std * torch::randn_like(dist.std);
            rec = vae->decode(z).to(torch::kFloat32);
            const auto var = dist.std.to(torch::kFloat32).pow(2);
            kl = 0.5 * (dist.mean.to(torch::kFloat32).pow(2) + var - 1 - var.clamp_min(1e-8).log()).mean();
        }
        loss = (rec - images).abs().mean() + (rec - images).pow(2).mean() +
               0.5 * (edges(rec) - edges(images)).abs().mean() + 0.1 * worstPatch(rec, images) + 1e-5 * kl;
        corners = cornerErrors(rec, images);
        if (cornerWeight > 0) loss = loss + cornerWeight * corners.max();
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(trained, 1.0);
        optimizer.step();
        ema.update(*vae, std::min(0.999, (1.0 + step) / (10.0 + step)));
        if (step % 100 == 0) {
            const auto corner = corners.detach().to(torch::kCPU);
            std::cout << "vae step " << step << " loss " << loss.item<double>() << " kl " << kl.item<double>()
                      << " corners (tl tr bl br) " << corner[0].item<double>() << ' ' << corner[1].item<double>() << ' '
                      << corner[2].item<double>() << ' ' << corner[3].item<double>() << " min "
                      << budget.elapsedMinutes() << std::endl;
        }
        ++step;
        // A decoder fine-tune keeps its latest average on disk as it goes (the GPU machine may be taken back);
        // a new VAE is only worth saving with its scaling factor, at the end.
        if (decoderOnly && budget.elapsedMinutes() - lastSave > args.number("save-every", 1.0)) {
            ema.swap(*vae);
            saveWeights(*vae, weightsPath, torch::kFloat16);
            ema.swap(*vae);
            lastSave = budget.elapsedMinutes();
            std::cout << "saved at step " << step << std::endl;
        }
    }

    ema.copyTo(*vae);
    vae->eval();
    if (decoderOnly) {  // the latents are the encoder's as before: scaling_factor stays
        saveWeights(*vae, weightsPath, torch::kFloat16);
        std::cout << "vae decoder done: " << step << " steps, saved " << weightsPath << std::endl;
        return 0;
    }
    // scaling_factor: 1/std of the latents the UNet will see (SD computed its 0.18215 the same way).
    double sumSq = 0.0;
    std::int64_t count = 0;
    {
        torch::NoGradGuard noGrad;
        for (int i = 0; i < 16; ++i) {
            const auto dist = vae->encode(composeBatch(stickers, batch, size, rng).images);
            const auto z = (dist.mean + dist.std * torch::randn_like(dist.std)).to(torch::kFloat32);
            sumSq += z.pow(2).sum().item<double>();
            count += z.numel();
        }
    }
    const double scaling = 1.0 / std::sqrt(sumSq / static_cast<double>(count));
    const auto configPath = fs::path(modelDir) / "vae" / "config.json";
    nlohmann::json json;
    std::ifstream(configPath) >> json;
    json["scaling_factor"] = scaling;
    std::ofstream(configPath) << json.dump(2) << '\n';
    saveWeights(*vae, weightsPath, torch::kFloat16);
    std::cout << "vae done: " << step << " steps, scaling_factor " << scaling << ", saved " << weightsPath << std::endl;
    return 0;
}

}  // namespace storybrush::train
