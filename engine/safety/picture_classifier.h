// The picture filter: nsfwjs's MobileNetV2 (classes Drawing, Hentai, Neutral, Porn, Sexy), run in libtorch from the
// safetensors file tests/reference/nsfwjs/convert.js makes of the npm package's weights. A small interpreter of the
// Keras layers it uses, so the port is the package's own graph, not a re-typed copy of it.
#pragma once

#include <storybrush/image.h>
#include <storybrush/safety.h>

#include <torch/torch.h>

#include <array>
#include <memory>
#include <string>

namespace storybrush::safety {

enum class PictureClass { Drawing = 0, Hentai, Neutral, Porn, Sexy };
using PictureScores = std::array<float, 5>;  // probabilities in PictureClass order, summing to 1

class PictureClassifier {
public:
    // Throws Error(ModelFile) naming the file when it is missing or not this model. On a GPU the check of a picture
    // takes milliseconds where the CPU takes a fifth of a second here and seconds on a many-core GPU host.
    static std::shared_ptr<PictureClassifier> load(const std::string& path, torch::Device device = torch::kCPU);
    // resources/safety/classifier/nsfwjs-mobilenet-v2.safetensors, found as every resource is; "" when absent.
    static std::string defaultPath();

    // As nsfwjs's infer(): RGB / 255, bilinear resize to 224x224 with aligned corners, the network.
    PictureScores classify(const Image& picture) const;
    // [1, 3, 224, 224] (or any size: resized as above), values in [0, 1], float32 on any device.
    PictureScores classify(const torch::Tensor& rgb01) const;
    torch::Device device() const;

    struct Impl;
    ~PictureClassifier();

private:
    PictureClassifier();
    std::unique_ptr<Impl> m_impl;
};

// The kid-safe verdict on a picture's scores: held back when the explicit classes (porn + hentai) reach 0.7, the
// suggestive class ("sexy") 0.7, or both together 0.8. Set just above what cartoon pictures and clipart reach.
SafetyVerdict judgePicture(const PictureScores& scores);

}  // namespace storybrush::safety
