// Shared training helpers (see train_common.h).
#include "train/train_common.h"

#include "io/safetensors.h"
#include "io/safetensors_writer.h"

#include <storybrush/error.h>

#include <cmath>
#include <filesystem>

namespace storybrush::train {

void initialiseWeights(torch::nn::Module& module, std::uint64_t seed) {
    torch::NoGradGuard noGrad;
    torch::manual_seed(seed);
    for (auto& item : module.named_parameters()) {
        const std::string& name = item.key();
        auto& p = item.value();
        const bool isNorm = name.find("norm") != std::string::npos;
        const bool isBias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
        if (isNorm && p.dim() == 1) {
            if (isBias) p.zero_();
            else p.fill_(1.0);
        } else if (name.find("embedding") != std::string::npos && p.dim() == 2 &&
                   name.find("linear") == std::string::npos) {
            p.normal_(0.0, 0.02);
        } else if (p.dim() >= 2) {
            const double fanIn = static_cast<double>(p.numel() / p.size(0));
            const double bound = 1.0 / std::sqrt(fanIn);
            p.uniform_(-bound, bound);
        } else {
            p.zero_();
        }
    }
    // Residual branches end in conv2 (ResNet blocks), proj_out (attention blocks) and out_proj/fc2 (CLIP):
    // zero them so every block starts as the identity; the UNet's conv_out also starts at zero.
    for (auto& item : module.named_parameters()) {
        const std::string& name = item.key();
        const bool residualEnd = name.find(".conv2.") != std::string::npos ||
                                 name.find("proj_out.") != std::string::npos || name.rfind("conv_out.", 0) == 0;
        if (residualEnd) item.value().zero_();
    }
}

void makeTrainable(torch::nn::Module& module) {
    for (auto& p : module.parameters()) p.set_requires_grad(true);
    module.train();
}

Ema::Ema(torch::nn::Module& module, double decay) {
    (void)decay;
    torch::NoGradGuard noGrad;
    for (auto& p : module.parameters()) m_shadow.push_back(p.detach().to(torch::kFloat32).clone());
}

void Ema::update(torch::nn::Module& module, double decay) {
    torch::NoGradGuard noGrad;
    const auto params = module.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
        m_shadow[i].mul_(decay).add_(params[i].detach().to(torch::kFloat32), 1.0 - decay);
    }
}

void Ema::copyTo(torch::nn::Module& module) const {
    torch::NoGradGuard noGrad;
    auto params = module.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(m_shadow[i]);
}

void Ema::swap(torch::nn::Module& module) {
    torch::NoGradGuard noGrad;
    auto params = module.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
        auto current = params[i].detach().clone();
        params[i].copy_(m_shadow[i]);
        m_shadow[i].copy_(current);
    }
}

FlatParameters::FlatParameters(const std::vector<torch::Tensor>& params) {
    torch::NoGradGuard noGrad;
    std::int64_t total = 0;
    for (const auto& p : params) total += p.numel();
    const auto options = params.at(0).options().dtype(torch::kFloat32);
    values = torch::empty({total}, options);
    gradients = torch::zeros({total}, options);
    std::int64_t offset = 0;
    for (auto p : params) {
        auto value = values.slice(0, offset, offset + p.numel()).view(p.sizes());
        value.copy_(p.detach());
        p.set_data(value);
        p.mutable_grad() = gradients.slice(0, offset, offset + p.numel()).view(p.sizes());
        offset += p.numel();
    }
}

FlatAdamW::FlatAdamW(FlatParameters& flat, double beta1, double beta2, double weightDecay, double eps)
    : m_flat(flat), m_mean(torch::zeros_like(flat.values)), m_square(torch::zeros_like(flat.values)), m_beta1(beta1),
      m_beta2(beta2), m_weightDecay(weightDecay), m_eps(eps) {}

void FlatAdamW::step(double learningRate, double maxGradientNorm) {
    torch::NoGradGuard noGrad;
    auto& g = m_flat.gradients;
    g.mul_((maxGradientNorm / (g.norm() + 1e-6)).clamp_max(1.0));
    ++m_steps;
    const double correction1 = 1.0 - std::pow(m_beta1, m_steps);
    const double correction2 = 1.0 - std::pow(m_beta2, m_steps);
    m_flat.values.mul_(1.0 - learningRate * m_weightDecay);
    m_mean.mul_(m_beta1).add_(g, 1.0 - m_beta1);
    m_square.mul_(m_beta2).addcmul_(g, g, 1.0 - m_beta2);
    const auto denominator = (m_square.sqrt() / std::sqrt(correction2)).add_(m_eps);
    m_flat.values.addcdiv_(m_mean, denominator, -learningRate / correction1);
}

void FlatEma::update(const FlatParameters& flat, double decay) {
    torch::NoGradGuard noGrad;
    m_shadow.mul_(decay).add_(flat.values, 1.0 - decay);
}

void FlatEma::swap(FlatParameters& flat) {
    torch::NoGradGuard noGrad;
    const auto live = flat.values.clone();
    flat.values.copy_(m_shadow);
    m_shadow.copy_(live);
}

void saveWeights(torch::nn::Module& module, const std::string& path, torch::ScalarType dtype) {
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& item : module.named_parameters())
        tensors.emplace_back(item.key(), item.value().detach().to(dtype));
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    io::writeSafetensors(path, tensors, {{"format", "pt"}, {"producer", "storybrush-train"}});
}

bool loadWeights(torch::nn::Module& module, const std::string& path) {
    if (!std::filesystem::exists(path)) return false;
    const auto file = io::SafetensorsFile::open(path);
    torch::NoGradGuard noGrad;
    for (auto& item : module.named_parameters()) {
        const auto* info = file->find(item.key());
        if (!info) throw Error(ErrorKind::ModelFile, path + " lacks " + item.key());
        const auto source = io::tensorView(file, *info);
        if (source.sizes() != item.value().sizes())
            throw Error(ErrorKind::ModelFile, path + ": " + item.key() + " has another shape");
        item.value().copy_(source);
    }
    return true;
}

void prepareModelFolder(const std::string& templateDir, const std::string& outDir) {
    namespace fs = std::filesystem;
    for (const auto& entry : fs::recursive_directory_iterator(templateDir)) {
        const auto target = fs::path(outDir) / fs::relative(entry.path(), templateDir);
        if (entry.is_directory()) {
            fs::create_directories(target);
        } else if (!fs::exists(target)) {
            fs::create_directories(target.parent_path());
            fs::copy_file(entry.path(), target);
        }
    }
}

double learningRate(double base, int step, int warmupSteps, double budgetFraction) {
    const double warm = std::min(1.0, static_cast<double>(step + 1) / std::max(1, warmupSteps));
    const double tail = budgetFraction < 0.8 ? 1.0 : std::max(0.1, 1.0 - (budgetFraction - 0.8) / 0.2 * 0.9);
    return base * warm * tail;
}

}  // namespace storybrush::train
