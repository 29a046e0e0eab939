// The TAESD decoder as the sequence diffusers builds it: conv, act, then per level N blocks, an upsample (not after
// the last level) and a conv; the input clamped with tanh(x / 3) * 3 and the output mapped from [0, 1] to [-1, 1].
#include "models/autoencoder_tiny.h"

#include "io/safetensors.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

namespace storybrush::models {

namespace fs = std::filesystem;

struct TinyDecoder::Impl {
    struct Step {
        enum Kind { Conv, Block, Upsample, Relu } kind;
        std::string name;  // "decoder.layers.N"
    };
    std::vector<Step> steps;
    std::map<std::string, torch::Tensor> weights;
    double magnitude = 3.0;
    std::int64_t upsample = 2;

    // ref: DecoderTiny: conv, act, then per level its blocks, an upsample (not after the last) and a conv.
    void layOut(const std::vector<int>& blocks) {
        int index = 0;
        const auto next = [&]() { return "decoder.layers." + std::to_string(index++); };
        steps.push_back({Step::Conv, next()});
        steps.push_back({Step::Relu, next()});
        for (std::size_t level = 0; level < blocks.size(); ++level) {
            for (int b = 0; b < blocks[level]; ++b) steps.push_back({Step::Block, next()});
            if (level + 1 < blocks.size()) steps.push_back({Step::Upsample, next()});
            steps.push_back({Step::Conv, next()});
        }
    }

    const torch::Tensor& w(const std::string& key) const {
        const auto found = weights.find(key);
        if (found == weights.end()) throw Error(ErrorKind::ModelFile, "The preview decoder lacks " + key + ".");
        return found->second;
    }
    torch::Tensor conv(const torch::Tensor& x, const std::string& name, int padding) const {
        const auto bias = weights.find(name + ".bias");
        return torch::conv2d(x, w(name + ".weight"), bias == weights.end() ? torch::Tensor() : bias->second, 1,
                             padding);
    }
};

TinyDecoder::TinyDecoder() : m_impl(std::make_unique<Impl>()) {}
TinyDecoder::~TinyDecoder() = default;

std::string TinyDecoder::findFor(const std::string& modelPath) {
    const fs::path model = fs::u8path(modelPath);
    std::error_code error;
    const fs::path base = fs::is_directory(model, error) ? model : model.parent_path();
    for (const fs::path& candidate :
         {base / "vae_approx", base / "taesd", base.parent_path() / "vae_approx", base.parent_path() / "taesd"}) {
        if (fs::exists(candidate / "config.json", error) &&
            fs::exists(candidate / "diffusion_pytorch_model.safetensors", error)) {
            return candidate.u8string();
        }
    }
    return {};
}

std::shared_ptr<TinyDecoder> TinyDecoder::load(const std::string& folderPath, const torch::Device& device,
                                               torch::ScalarType dtype) {
    const fs::path folder = fs::u8path(folderPath);
    std::ifstream in(folder / "config.json");
    if (!in) throw Error(ErrorKind::ModelFile, "The preview decoder in " + folderPath + " has no config.json.");
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& error) {
        throw Error(ErrorKind::ModelFile,
                    "The preview decoder's config.json in " + folderPath + " is damaged: " + error.what());
    }
    if (config.value("_class_name", std::string()) != "AutoencoderTiny" ||
        config.value("act_fn", std::string("relu")) != "relu" ||
        config.value("upsample_fn", std::string("nearest")) != "nearest") {
        throw Error(ErrorKind::UnsupportedModel,
                    "The preview decoder in " + folderPath + " is not a TAESD (AutoencoderTiny with ReLU).");
    }
    std::shared_ptr<TinyDecoder> decoder(new TinyDecoder());
    Impl& impl = *decoder->m_impl;
    impl.magnitude = config.value("latent_magnitude", 3.0);
    impl.upsample = config.value("upsampling_scaling_factor", 2);
    impl.layOut(config.value("num_decoder_blocks", std::vector<int>{3, 3, 3, 1}));
    const auto file = io::SafetensorsFile::open((folder / "diffusion_pytorch_model.safetensors").u8string());
    for (const auto& info : file->tensors()) {
        if (info.name.rfind("decoder.", 0) != 0) continue;
        impl.weights[info.name] = io::tensorView(file, info).to(device, dtype).contiguous();
    }
    return decoder;
}

std::shared_ptr<TinyDecoder> TinyDecoder::makeRandom(const torch::Device& device, torch::ScalarType dtype,
                                                     std::uint64_t seed) {
    // ref: diffusers AutoencoderTiny defaults (decoder_block_out_channels 64 x4, num_decoder_blocks 3,3,3,1);
    // DecoderTiny's convolutions have no bias except the last.
    std::shared_ptr<TinyDecoder> decoder(new TinyDecoder());
    Impl& impl = *decoder->m_impl;
    impl.layOut({3, 3, 3, 1});
    torch::manual_seed(seed);
    const auto options = torch::TensorOptions().device(device).dtype(torch::kFloat32);
    const auto conv = [&](const std::string& name, std::int64_t in, std::int64_t out, bool bias) {
        impl.weights[name + ".weight"] =
            (torch::randn({out, in, 3, 3}, options) / std::sqrt(9.0 * double(in))).to(dtype);
        if (bias) impl.weights[name + ".bias"] = torch::zeros({out}, options).to(dtype);
    };
    for (std::size_t i = 0; i < impl.steps.size(); ++i) {
        const auto& step = impl.steps[i];
        const bool last = i + 1 == impl.steps.size();
        if (step.kind == Impl::Step::Conv) conv(step.name, i == 0 ? 4 : 64, last ? 3 : 64, last || i == 0);
        if (step.kind == Impl::Step::Block) {
            for (const char* part : {".conv.0", ".conv.2", ".conv.4"}) conv(step.name + part, 64, 64, true);
        }
    }
    return decoder;
}

torch::Tensor TinyDecoder::decode(const torch::Tensor& latents) const {
    torch::NoGradGuard noGrad;
    const Impl& impl = *m_impl;
    const auto dtype = impl.w("decoder.layers.0.weight").scalar_type();
    torch::Tensor x = (torch::tanh(latents.to(torch::kFloat32) / impl.magnitude) * impl.magnitude).to(dtype);
    for (const auto& step : impl.steps) {
        switch (step.kind) {
        case Impl::Step::Conv: x = impl.conv(x, step.name, 1); break;
        case Impl::Step::Relu: x = torch::relu(x); break;
        case Impl::Step::Upsample:
            x = torch::upsample_nearest2d(x, {x.size(2) * impl.upsample, x.size(3) * impl.upsample});
            break;
        case Impl::Step::Block: {
            torch::Tensor y = torch::relu(impl.conv(x, step.name + ".conv.0", 1));
            y = torch::relu(impl.conv(y, step.name + ".conv.2", 1));
            y = impl.conv(y, step.name + ".conv.4", 1);
            const auto skip = impl.weights.find(step.name + ".skip.weight");
            x = torch::relu(y + (skip == impl.weights.end() ? x : torch::conv2d(x, skip->second)));
            break;
        }
        }
    }
    return x.to(torch::kFloat32) * 2 - 1;
}

}  // namespace storybrush::models
