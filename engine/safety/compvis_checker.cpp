// CLIPVisionModel (transformers) + the checker's cosine thresholds.
#include "safety/compvis_checker.h"

#include "imaging/image_ops.h"
#include "io/safetensors.h"
#include "io/state_dict.h"
#include "models/clip_text_model.h"
#include "models/weights.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace storybrush::safety {

namespace fs = std::filesystem;

namespace {

// ref: transformers CLIPVisionEmbeddings: patches by a strided convolution (no bias), a learnt class token first,
// learnt positions added.
struct VisionEmbeddingsImpl : torch::nn::Module {
    VisionEmbeddingsImpl(std::int64_t channels, std::int64_t hidden, std::int64_t patch, std::int64_t positions)
        : patch(patch) {
        class_embedding = register_parameter("class_embedding", torch::zeros({hidden}));
        patch_embedding = register_module(
            "patch_embedding",
            torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, hidden, patch).stride(patch).bias(false)));
        position_embedding =
            register_module("position_embedding", models::Embedding(positions, hidden, torch::TensorOptions()));
    }
    torch::Tensor forward(const torch::Tensor& pixels) {
        const auto patches = patch_embedding(pixels).flatten(2).transpose(1, 2);  // [B, N, hidden]
        const auto cls = class_embedding.view({1, 1, -1}).expand({pixels.size(0), 1, class_embedding.size(0)});
        const auto tokens = torch::cat({cls, patches}, 1);
        const auto ids = torch::arange(tokens.size(1), torch::TensorOptions().dtype(torch::kLong));
        return tokens + position_embedding(ids).unsqueeze(0);
    }
    std::int64_t patch;
    torch::Tensor class_embedding;
    torch::nn::Conv2d patch_embedding{nullptr};
    models::Embedding position_embedding{nullptr};
};
TORCH_MODULE(VisionEmbeddings);

struct VisionEncoderImpl : torch::nn::Module {
    VisionEncoderImpl(const models::ClipTextConfig& config) {
        layers = register_module("layers", torch::nn::ModuleList());
        for (std::int64_t i = 0; i < config.numHiddenLayers; ++i)
            layers->push_back(models::ClipEncoderLayer(config, torch::TensorOptions()));
    }
    torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(VisionEncoder);

struct VisionModelImpl : torch::nn::Module {
    VisionModelImpl(const models::ClipTextConfig& config, std::int64_t channels, std::int64_t patch,
                    std::int64_t imageSize) {
        const std::int64_t positions = (imageSize / patch) * (imageSize / patch) + 1;
        embeddings = register_module("embeddings", VisionEmbeddings(channels, config.hiddenSize, patch, positions));
        pre_layrnorm = register_module(
            "pre_layrnorm", models::LayerNorm(config.hiddenSize, config.layerNormEps, torch::TensorOptions()));
        encoder = register_module("encoder", VisionEncoder(config));
        post_layernorm = register_module(
            "post_layernorm", models::LayerNorm(config.hiddenSize, config.layerNormEps, torch::TensorOptions()));
    }
    // The pooled output: the class token after the last layer, normalised. ref: CLIPVisionTransformer.forward.
    torch::Tensor forward(const torch::Tensor& pixels) {
        torch::Tensor x = pre_layrnorm(embeddings(pixels));
        const torch::Tensor noMask = torch::zeros({1});
        for (const auto& layer : *encoder->layers) x = layer->as<models::ClipEncoderLayer>()->forward(x, noMask);
        return post_layernorm(x.select(1, 0));
    }
    VisionEmbeddings embeddings{nullptr};
    models::LayerNorm pre_layrnorm{nullptr};
    VisionEncoder encoder{nullptr};
    models::LayerNorm post_layernorm{nullptr};
};
TORCH_MODULE(VisionModel);

struct CheckerModuleImpl : torch::nn::Module {
    CheckerModuleImpl(const models::ClipTextConfig& vision, std::int64_t channels, std::int64_t patch,
                      std::int64_t imageSize, std::int64_t projection) {
        vision_model = register_module("vision_model", VisionModel(vision, channels, patch, imageSize));
        visual_projection = register_module(
            "visual_projection", models::Linear(vision.hiddenSize, projection, torch::TensorOptions(), false));
        concept_embeds = register_parameter("concept_embeds", torch::zeros({17, projection}));
        special_care_embeds = register_parameter("special_care_embeds", torch::zeros({3, projection}));
        concept_embeds_weights = register_parameter("concept_embeds_weights", torch::zeros({17}));
        special_care_embeds_weights = register_parameter("special_care_embeds_weights", torch::zeros({3}));
    }
    VisionModel vision_model{nullptr};
    models::Linear visual_projection{nullptr};
    torch::Tensor concept_embeds, special_care_embeds, concept_embeds_weights, special_care_embeds_weights;
};
TORCH_MODULE(CheckerModule);

torch::Tensor cosineDistance(const torch::Tensor& a, const torch::Tensor& b) {
    namespace F = torch::nn::functional;
    return torch::mm(F::normalize(a, F::NormalizeFuncOptions().dim(1)),
                     F::normalize(b, F::NormalizeFuncOptions().dim(1)).t());
}

// Python's round(x, 3) on the float32 value as a double (banker's rounding of the decimal is not needed: the
// reference compares the rounded score with 0, and only a score within 0.0005 of 0 could round differently).
double round3(double x) { return std::nearbyint(x * 1000.0) / 1000.0; }

}  // namespace

struct CompVisSafetyChecker::Impl {
    CheckerModule module{nullptr};
    std::vector<double> mean{0.48145466, 0.4578275, 0.40821073};
    std::vector<double> std{0.26862954, 0.26130258, 0.27577711};
    int imageSize = 224;
};

CompVisSafetyChecker::CompVisSafetyChecker() : m_impl(std::make_unique<Impl>()) {}
CompVisSafetyChecker::~CompVisSafetyChecker() = default;

std::string CompVisSafetyChecker::findIn(const std::string& modelFolder) {
    const fs::path folder = fs::u8path(modelFolder) / "safety_checker";
    std::error_code error;
    return fs::exists(folder / "model.safetensors", error) && fs::exists(folder / "config.json", error)
               ? folder.u8string()
               : "";
}

std::shared_ptr<CompVisSafetyChecker> CompVisSafetyChecker::load(const std::string& folderPath, torch::Device device) {
    const fs::path folder = fs::u8path(folderPath);
    const fs::path configPath = folder / "config.json";
    std::ifstream in(configPath);
    if (!in) throw Error(ErrorKind::ModelFile, "The safety checker in " + folderPath + " has no config.json.");
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& error) {
        throw Error(ErrorKind::ModelFile,
                    "The safety checker's config.json in " + folderPath + " is damaged: " + error.what());
    }
    const auto vision = config.value("vision_config", nlohmann::json::object());
    models::ClipTextConfig layers;
    layers.hiddenSize = vision.value("hidden_size", 1024);
    layers.numHiddenLayers = vision.value("num_hidden_layers", 24);
    layers.numAttentionHeads = vision.value("num_attention_heads", 16);
    layers.intermediateSize = vision.value("intermediate_size", 4096);
    layers.layerNormEps = vision.value("layer_norm_eps", 1e-5);
    layers.hiddenAct = models::parseActivation(vision.value("hidden_act", std::string("quick_gelu")), "hidden_act",
                                               configPath.u8string());
    std::shared_ptr<CompVisSafetyChecker> checker(new CompVisSafetyChecker());
    const std::int64_t imageSize = vision.value("image_size", 224);
    checker->m_impl->imageSize = static_cast<int>(imageSize);
    checker->m_impl->module = CheckerModule(layers, vision.value("num_channels", 3), vision.value("patch_size", 14),
                                            imageSize, config.value("projection_dim", 768));
    const auto file = io::SafetensorsFile::open((folder / "model.safetensors").u8string());
    io::StateDict weights;
    weights.source = (folder / "model.safetensors").u8string();
    for (const auto& info : file->tensors()) weights.tensors[info.name] = io::tensorView(file, info);
    models::loadStrict(*checker->m_impl->module, weights);
    checker->m_impl->module->to(device);
    checker->m_impl->module->eval();
    return checker;
}

std::vector<CompVisResult> CompVisSafetyChecker::check(const torch::Tensor& clipInput) const {
    torch::NoGradGuard noGrad;
    auto& module = m_impl->module;
    const torch::Device device = module->visual_projection->weight.device();
    const torch::Tensor embeds =
        module->visual_projection(module->vision_model(clipInput.to(device, torch::kFloat32))).to(torch::kCPU);
    const torch::Tensor special = cosineDistance(embeds, module->special_care_embeds.to(torch::kCPU));
    const torch::Tensor concepts = cosineDistance(embeds, module->concept_embeds.to(torch::kCPU));
    const torch::Tensor specialWeights = module->special_care_embeds_weights.to(torch::kCPU);
    const torch::Tensor conceptWeights = module->concept_embeds_weights.to(torch::kCPU);
    std::vector<CompVisResult> results;
    for (std::int64_t i = 0; i < embeds.size(0); ++i) {
        CompVisResult result;
        result.imageEmbeds = embeds[i].clone();
        double adjustment = 0.0;
        for (std::int64_t c = 0; c < special.size(1); ++c) {
            const float cos = special[i][c].item<float>();
            result.specialCosDist.push_back(cos);
            if (round3(double(cos) - specialWeights[c].item<float>() + adjustment) > 0) adjustment = 0.01;
        }
        for (std::int64_t c = 0; c < concepts.size(1); ++c) {
            const float cos = concepts[i][c].item<float>();
            result.cosDist.push_back(cos);
            if (round3(double(cos) - conceptWeights[c].item<float>() + adjustment) > 0) result.hasNsfw = true;
        }
        results.push_back(std::move(result));
    }
    return results;
}

CompVisResult CompVisSafetyChecker::check(const Image& picture) const {
    // ref: CLIPImageProcessor: shortest edge to 224 (bicubic), centre crop 224, rescale 1/255, normalise.
    const Image rgb = imaging::toRgb(picture);
    const int size = m_impl->imageSize;
    const double scale = double(size) / std::min(rgb.width, rgb.height);
    const int width = std::max(size, static_cast<int>(std::lround(rgb.width * scale)));
    const int height = std::max(size, static_cast<int>(std::lround(rgb.height * scale)));
    Image resized = imaging::resizeImage(rgb, width, height);
    auto pixels = torch::from_blob(resized.pixels.data(), {height, width, 3}, torch::kUInt8)
                      .narrow(0, (height - size) / 2, size)
                      .narrow(1, (width - size) / 2, size)
                      .permute({2, 0, 1})
                      .to(torch::kFloat32)
                      .div(255.0);
    const auto mean = torch::tensor(m_impl->mean, torch::kFloat64).to(torch::kFloat32).view({3, 1, 1});
    const auto std = torch::tensor(m_impl->std, torch::kFloat64).to(torch::kFloat32).view({3, 1, 1});
    return check(((pixels - mean) / std).unsqueeze(0)).front();
}

}  // namespace storybrush::safety
