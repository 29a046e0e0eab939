// Interprets the Keras model_config of nsfwjs's MobileNetV2 layer by layer, NCHW float32.
// ref: Keras 2.2 layers (ZeroPadding2D, Conv2D, DepthwiseConv2D, BatchNormalization, ReLU, Add, AveragePooling2D,
// Flatten, Dense, Dropout); TensorFlow.js dequantisation (q * scale + min) and resizeBilinear(alignCorners).
#include "safety/picture_classifier.h"

#include "io/safetensors.h"
#include "runtime/resources.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>

namespace storybrush::safety {

namespace F = torch::nn::functional;
using nlohmann::json;

struct PictureClassifier::Impl {
    struct Layer {
        std::string name;
        std::string type;
        json config;
        std::vector<std::string> inputs;
    };
    std::vector<Layer> layers;
    std::string inputName;
    std::string outputName;
    std::map<std::string, torch::Tensor> weights;  // dequantised float32, Keras layouts
    torch::Device device = torch::kCPU;

    const torch::Tensor& weight(const std::string& layer, const std::string& name) const {
        const auto found = weights.find(layer + "/" + name);
        if (found == weights.end()) {
            throw Error(ErrorKind::ModelFile, "The picture filter lacks the weight " + layer + "/" + name + ".");
        }
        return found->second;
    }

    static torch::Tensor activate(const torch::Tensor& x, const std::string& activation) {
        if (activation.empty() || activation == "linear") return x;
        if (activation == "relu") return torch::relu(x);
        if (activation == "softmax") return torch::softmax(x, -1);
        throw Error(ErrorKind::UnsupportedModel,
                    "The picture filter uses an activation Storybrush lacks: " + activation);
    }

    // TensorFlow's "same": the total padding split with the extra pixel after, so strided layers line up.
    static torch::Tensor padSame(const torch::Tensor& x, const std::vector<int>& kernel,
                                 const std::vector<int>& strides) {
        std::vector<std::int64_t> pads(4, 0);
        for (int d = 0; d < 2; ++d) {
            const std::int64_t in = x.size(2 + d);
            const std::int64_t out = (in + strides[d] - 1) / strides[d];
            const std::int64_t total = std::max<std::int64_t>((out - 1) * strides[d] + kernel[d] - in, 0);
            pads[static_cast<std::size_t>(2 - 2 * d)] = total / 2;  // F::pad lists the last dimension first
            pads[static_cast<std::size_t>(3 - 2 * d)] = total - total / 2;
        }
        return F::pad(x, F::PadFuncOptions(pads));
    }

    torch::Tensor run(const Layer& layer, const std::vector<torch::Tensor>& in) const {
        const json& c = layer.config;
        const auto pairOf = [&](const char* key) { return c.at(key).get<std::vector<int>>(); };
        const std::string& t = layer.type;
        if (t == "ZeroPadding2D") {
            const auto p = c.at("padding").get<std::vector<std::vector<int>>>();
            return F::pad(in[0], F::PadFuncOptions({p[1][0], p[1][1], p[0][0], p[0][1]}));
        }
        if (t == "Conv2D" || t == "DepthwiseConv2D") {
            const bool depthwise = t == "DepthwiseConv2D";
            const auto kernelSize = pairOf("kernel_size");
            const auto strides = pairOf("strides");
            torch::Tensor x = in[0];
            if (c.at("padding") == "same") x = padSame(x, kernelSize, strides);
            torch::Tensor kernel;
            std::int64_t groups = 1;
            if (depthwise) {
                const auto& k = weight(layer.name, "depthwise_kernel");  // [kh, kw, in, multiplier]
                kernel = k.permute({2, 3, 0, 1}).reshape({k.size(2) * k.size(3), 1, k.size(0), k.size(1)});
                groups = k.size(2);
            } else {
                kernel = weight(layer.name, "kernel").permute({3, 2, 0, 1});  // [kh, kw, in, out] -> [out, in, kh, kw]
            }
            const torch::Tensor bias = c.value("use_bias", false) ? weight(layer.name, "bias") : torch::Tensor();
            const std::vector<std::int64_t> stride{strides[0], strides[1]}, noPadding{0, 0}, noDilation{1, 1};
            // Never cuDNN: libtorch plans each cuDNN convolution shape once per thread (tens of milliseconds each the
            // first time on the H200, and MobileNetV2 has some fifty), while these small ones run as PyTorch's own
            // kernels in milliseconds. Those also compute in plain float32, as nsfwjs does, where cuDNN would use
            // TF32: the verdict's thresholds were set on exact scores. (Asked per call, not by switching cuDNN off for
            // the process, which would take it from a picture being drawn on another thread.)
            x = at::_convolution(x, kernel.contiguous(), bias, stride, noPadding, noDilation, /*transposed=*/false,
                                 /*output_padding=*/{0, 0}, groups, /*benchmark=*/false, /*deterministic=*/false,
                                 /*cudnn_enabled=*/false, /*allow_tf32=*/false);
            return activate(x, c.value("activation", std::string("linear")));
        }
        if (t == "BatchNormalization") {
            const double epsilon = c.value("epsilon", 1e-3);
            const auto scale =
                weight(layer.name, "gamma") / torch::sqrt(weight(layer.name, "moving_variance") + epsilon);
            const auto shift = weight(layer.name, "beta") - weight(layer.name, "moving_mean") * scale;
            return in[0] * scale.view({1, -1, 1, 1}) + shift.view({1, -1, 1, 1});
        }
        if (t == "ReLU") {
            const auto maxValue = c.value("max_value", json());
            if (c.value("negative_slope", 0.0) != 0.0 || c.value("threshold", 0.0) != 0.0) {
                throw Error(ErrorKind::UnsupportedModel,
                            "The picture filter's ReLU " + layer.name + " is not a plain ReLU.");
            }
            return maxValue.is_number() ? torch::clamp(in[0], 0.0, maxValue.get<double>()) : torch::relu(in[0]);
        }
        if (t == "Add") {
            torch::Tensor sum = in[0];
            for (std::size_t i = 1; i < in.size(); ++i) sum = sum + in[i];
            return sum;
        }
        if (t == "AveragePooling2D") {
            if (c.at("padding") != "valid")
                throw Error(ErrorKind::UnsupportedModel, "The picture filter pools with padding.");
            const auto pool = pairOf("pool_size");
            const auto strides = pairOf("strides");
            return F::avg_pool2d(in[0], F::AvgPool2dFuncOptions({pool[0], pool[1]}).stride({strides[0], strides[1]}));
        }
        if (t == "Flatten") return in[0].permute({0, 2, 3, 1}).flatten(1);  // Keras flattens channels last
        if (t == "Dense") {
            torch::Tensor x = torch::matmul(in[0], weight(layer.name, "kernel"));
            if (c.value("use_bias", true)) x = x + weight(layer.name, "bias");
            return activate(x, c.value("activation", std::string("linear")));
        }
        if (t == "Dropout") return in[0];
        throw Error(ErrorKind::UnsupportedModel, "The picture filter uses a layer Storybrush lacks: " + t);
    }
};

PictureClassifier::PictureClassifier() : m_impl(std::make_unique<Impl>()) {}
PictureClassifier::~PictureClassifier() = default;

std::string PictureClassifier::defaultPath() {
    const auto found =
        runtime::findResource(std::filesystem::path("safety") / "classifier" / "nsfwjs-mobilenet-v2.safetensors");
    return found.empty() ? std::string() : found.u8string();
}

std::shared_ptr<PictureClassifier> PictureClassifier::load(const std::string& path, torch::Device device) {
    std::shared_ptr<PictureClassifier> classifier(new PictureClassifier());
    Impl& impl = *classifier->m_impl;
    impl.device = device;
    const auto file = io::SafetensorsFile::open(path);
    const auto& metadata = file->metadata();
    const auto topologyText = metadata.find("topology");
    const auto quantizationText = metadata.find("quantization");
    if (topologyText == metadata.end() || quantizationText == metadata.end()) {
        throw Error(ErrorKind::ModelFile, "The picture filter " + path +
                                              " is not the converted nsfwjs model "
                                              "(tests/reference/nsfwjs/convert.js makes it).");
    }
    try {
        const json topology = json::parse(topologyText->second);
        const json quantization = json::parse(quantizationText->second);
        for (const auto& info : file->tensors()) {
            const auto& q = quantization.at(info.name);
            // As TensorFlow.js: each value q * scale + min computed in double, stored as float32.
            const torch::Tensor raw = io::tensorView(file, info).to(torch::kFloat64);
            impl.weights[info.name] =
                (raw * q.at(1).get<double>() + q.at(0).get<double>()).to(device, torch::kFloat32).contiguous();
        }
        const json& config = topology.at("config");
        for (const auto& layer : config.at("layers")) {
            Impl::Layer parsed;
            parsed.name = layer.at("config").at("name").get<std::string>();
            parsed.type = layer.at("class_name").get<std::string>();
            parsed.config = layer.at("config");
            for (const auto& node : layer.at("inbound_nodes")) {
                for (const auto& input : node) parsed.inputs.push_back(input.at(0).get<std::string>());
            }
            impl.layers.push_back(std::move(parsed));
        }
        impl.inputName = config.at("input_layers").at(0).at(0).get<std::string>();
        impl.outputName = config.at("output_layers").at(0).at(0).get<std::string>();
    } catch (const json::exception& error) {
        throw Error(ErrorKind::ModelFile, "The picture filter " + path + " has a damaged description: " + error.what());
    } catch (const c10::Error& error) {
        throw Error(ErrorKind::ModelFile,
                    "The picture filter " + path + " has damaged weights: " + error.what_without_backtrace());
    }
    return classifier;
}

torch::Device PictureClassifier::device() const { return m_impl->device; }

PictureScores PictureClassifier::classify(const torch::Tensor& rgb01) const {
    torch::NoGradGuard noGrad;
    torch::Tensor x = rgb01.to(m_impl->device, torch::kFloat32);
    if (x.size(2) != 224 || x.size(3) != 224) x = torch::upsample_bilinear2d(x, {224, 224}, /*align_corners=*/true);
    std::map<std::string, torch::Tensor> values;
    for (const auto& layer : m_impl->layers) {
        if (layer.type == "InputLayer") {
            values[layer.name] = x;
            continue;
        }
        std::vector<torch::Tensor> inputs;
        for (const auto& name : layer.inputs) inputs.push_back(values.at(name));
        values[layer.name] = m_impl->run(layer, inputs);
    }
    const torch::Tensor out = values.at(m_impl->outputName).reshape({-1}).to(torch::kCPU);
    if (out.numel() != 5)
        throw Error(ErrorKind::ModelFile,
                    "The picture filter gives " + std::to_string(out.numel()) + " scores, not 5.");
    PictureScores scores{};
    for (int i = 0; i < 5; ++i) scores[static_cast<std::size_t>(i)] = out[i].item<float>();
    return scores;
}

PictureScores PictureClassifier::classify(const Image& picture) const {
    if (!picture.isConsistent()) throw Error(ErrorKind::InvalidRequest, "The picture to check is incomplete.");
    auto pixels = torch::from_blob(const_cast<std::uint8_t*>(picture.pixels.data()),
                                   {picture.height, picture.width, picture.channels}, torch::kUInt8);
    if (picture.channels == 4) pixels = pixels.narrow(2, 0, 3);
    if (picture.channels == 1) pixels = pixels.expand({picture.height, picture.width, 3});
    return classify(
        (pixels.permute({2, 0, 1}).unsqueeze(0).to(m_impl->device).to(torch::kFloat32) / 255.0).contiguous());
}

SafetyVerdict judgePicture(const PictureScores& scores) {
    SafetyVerdict verdict;
    verdict.checked = true;
    const float explicitScore =
        scores[static_cast<std::size_t>(PictureClass::Porn)] + scores[static_cast<std::size_t>(PictureClass::Hentai)];
    const float suggestive = scores[static_cast<std::size_t>(PictureClass::Sexy)];
    // Measured (engine/safety/README.md): the built-in model's pictures reach 0.67 explicit, Debian's clipart on
    // white 0.59; explicit photographs score above 0.9.
    if (explicitScore >= 0.7f || suggestive >= 0.7f || explicitScore + suggestive >= 0.8f) {
        verdict.allowed = false;
        verdict.category = SafetyCategory::Sexual;
        verdict.matchedTerm =
            "picture filter: explicit " + std::to_string(explicitScore) + ", suggestive " + std::to_string(suggestive);
        verdict.childMessage = "Let's try another idea!";
    }
    return verdict;
}

}  // namespace storybrush::safety
