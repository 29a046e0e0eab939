// See adherence.h. The classifier sees 64x64 pictures with one sticker on a random background, so it judges the
// thing drawn, not the scene; it is trained and checked on compositions only (never on generated pictures).
#include "train/adherence.h"

#include "train/captions.h"
#include "train/composer.h"
#include "train/concepts.h"

#include <storybrush/engine.h>
#include <storybrush/error.h>

#include <torch/torch.h>

#include <iostream>
#include <map>

namespace storybrush::train {
namespace {

namespace F = torch::nn::functional;
constexpr int kSide = 64;

struct ClassifierImpl : torch::nn::Module {
    explicit ClassifierImpl(int classes) {
        int in = 3;
        for (int width : {32, 64, 128, 256}) {
            convs->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, width, 3).stride(2).padding(1)));
            norms->push_back(torch::nn::GroupNorm(8, width));
            in = width;
        }
        register_module("convs", convs);
        register_module("norms", norms);
        head = register_module("head", torch::nn::Linear(in, classes));
    }
    torch::Tensor forward(torch::Tensor x) {
        for (std::size_t i = 0; i < convs->size(); ++i) {
            x = torch::silu(
                norms[i]->as<torch::nn::GroupNorm>()->forward(convs[i]->as<torch::nn::Conv2d>()->forward(x)));
        }
        return head(x.mean({2, 3}));
    }
    torch::nn::ModuleList convs, norms;
    torch::nn::Linear head{nullptr};
};
TORCH_MODULE(Classifier);

// Compositions of one animal each, with labels (index into `animals`).
std::pair<torch::Tensor, torch::Tensor> animalBatch(const StickerSet& stickers, const std::vector<int>& animals,
                                                    int batch, std::mt19937& rng) {
    StickerSet only = stickers;
    only.usableConcepts = animals;
    const auto composed = composeBatch(only, batch, kSide, rng, 1);
    std::vector<std::int64_t> labels;
    for (const auto& scene : composed.scenes) {
        labels.push_back(std::find(animals.begin(), animals.end(), scene.concepts[0]) - animals.begin());
    }
    return {composed.images, torch::tensor(labels, torch::kInt64)};
}

}  // namespace

int measureAdherence(const Arguments& args) {
    const auto concepts = loadConcepts(args.required("concepts"));
    const auto stickers = loadStickers(args.required("data"), concepts, torch::Device(torch::kCPU));
    std::vector<int> animals;
    for (int c : stickers.usableConcepts) {
        if (concepts[static_cast<std::size_t>(c)].group == "animal") animals.push_back(c);
    }
    const auto classes = static_cast<int>(animals.size());
    std::mt19937 rng(static_cast<std::uint32_t>(args.integer("seed", 5)));
    torch::manual_seed(5);

    Classifier classifier(classes);
    torch::optim::AdamW optimizer(classifier->parameters(), torch::optim::AdamWOptions(2e-3).weight_decay(1e-4));
    const int steps = args.integer("classifier-steps", 1500);
    for (int step = 0; step < steps; ++step) {
        auto [images, labels] = animalBatch(stickers, animals, 64, rng);
        const auto loss = F::cross_entropy(classifier->forward(images), labels);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        if (step % 250 == 0) std::cout << "classifier step " << step << " loss " << loss.item<double>() << std::endl;
    }
    classifier->eval();
    torch::NoGradGuard noGrad;
    std::mt19937 heldOut(12345);
    auto [checkImages, checkLabels] = animalBatch(stickers, animals, 1000, heldOut);
    const double compositionAccuracy =
        classifier->forward(checkImages).argmax(1).eq(checkLabels).to(torch::kFloat32).mean().item<double>();
    std::cout << "classifier top-1 on 1000 held-out compositions: " << compositionAccuracy << std::endl;

    Engine engine;
    const int generations = args.integer("generations", 100);
    int agree = 0;
    for (int i = 0; i < generations; ++i) {
        const int label = i % classes;
        const auto& animal = concepts[static_cast<std::size_t>(animals[static_cast<std::size_t>(label)])];
        GenerationRequest request;
        request.model = args.text("model", "builtin");
        request.prompt = i % 2 == 0 ? "a " + animal.english + " on a sunny meadow"
                                    : "草地上的一" + animal.measureWord + animal.chinese;
        request.seed = static_cast<std::uint64_t>(1000 + i);
        request.steps = args.integer("steps", 20);
        const auto result = engine.generate(request);
        if (result.images.empty() || result.images[0].image.empty()) continue;
        const auto& image = result.images[0].image;
        auto pixels = torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()), {image.height, image.width, 3},
                                       torch::kUInt8)
                          .permute({2, 0, 1})
                          .unsqueeze(0)
                          .to(torch::kFloat32)
                          .div(127.5)
                          .sub(1.0);
        pixels = F::interpolate(
            pixels, F::InterpolateFuncOptions().size(std::vector<std::int64_t>{kSide, kSide}).mode(torch::kArea));
        const auto predicted = classifier->forward(pixels).argmax(1).item<std::int64_t>();
        if (predicted == label) ++agree;
        std::cout << request.prompt << " -> "
                  << concepts[static_cast<std::size_t>(animals[static_cast<std::size_t>(predicted)])].key << std::endl;
    }
    std::cout << "{\"animals\": " << classes << ", \"generations\": " << generations
              << ", \"top1_agreement\": " << static_cast<double>(agree) / generations
              << ", \"chance\": " << 1.0 / classes << ", \"classifier_on_compositions\": " << compositionAccuracy << "}"
              << std::endl;
    return 0;
}

int measureColourAdherence(const Arguments& args) {
    const auto concepts = loadConcepts(args.required("concepts"));
    const auto stickers = loadStickers(args.required("data"), concepts, torch::Device(torch::kCPU));
    // (thing, colour) -> how many of the thing's stickers have it; white and grey things vanish in the snow.
    std::map<std::pair<int, int>, int> pairs;
    for (std::size_t i = 0; i < stickers.conceptOf.size(); ++i) {
        const int colour = stickers.colourOf[i];
        if (colour < 0 || colour == static_cast<int>(Colour::White) || colour == static_cast<int>(Colour::Grey))
            continue;
        ++pairs[{stickers.conceptOf[i], colour}];
    }
    if (pairs.empty()) throw Error(ErrorKind::InvalidRequest, "No sticker of the data set is mostly one colour.");
    const std::vector<std::pair<std::pair<int, int>, int>> asked(pairs.begin(), pairs.end());

    Engine engine;
    const int generations = args.integer("generations", 100);
    int agree = 0, judged = 0;
    double chance = 0;
    for (int i = 0; i < generations; ++i) {
        const auto& [key, count] = asked[static_cast<std::size_t>(i) % asked.size()];
        const auto& thing = concepts[static_cast<std::size_t>(key.first)];
        const auto& colour = kColourNames[key.second];
        GenerationRequest request;
        request.model = args.text("model", "builtin");
        request.prompt = i % 2 == 0 ? std::string("a ") + colour.english + " " + thing.english + " in the snow"
                                    : "雪地里的一" + thing.measureWord + colour.chinese + thing.chinese;
        request.seed = static_cast<std::uint64_t>(2000 + i);
        request.steps = args.integer("steps", 20);
        const auto result = engine.generate(request);
        if (result.images.empty() || result.images[0].image.empty()) continue;
        const auto& image = result.images[0].image;
        const auto rgb = torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()),
                                          {image.height, image.width, 3}, torch::kUInt8)
                             .permute({2, 0, 1})
                             .to(torch::kFloat32)
                             .div(255.0);
        // The drawn thing: whatever is not the snow's pale white and blue-grey.
        const auto value = std::get<0>(rgb.max(0)), minimum = std::get<0>(rgb.min(0));
        const auto thingMask = ((value - minimum) / value.clamp_min(1e-4) >= 0.2) | (value < 0.4);
        const auto rgba = torch::cat({rgb * thingMask, thingMask.unsqueeze(0).to(torch::kFloat32)}, 0).unsqueeze(0);
        const int drawn = dominantColours(rgba).front();
        const double share = static_cast<double>(count) /
                             static_cast<double>(stickers.byConcept[static_cast<std::size_t>(key.first)].size());
        ++judged;
        chance += share;
        if (drawn == key.second) ++agree;
        std::cout << request.prompt << " -> " << (drawn >= 0 ? kColourNames[drawn].english : "mixed") << std::endl;
    }
    std::cout << "{\"pairs\": " << asked.size() << ", \"generations\": " << judged
              << ", \"colour_agreement\": " << static_cast<double>(agree) / std::max(judged, 1)
              << ", \"if_colour_ignored\": " << chance / std::max(judged, 1) << "}" << std::endl;
    return 0;
}

}  // namespace storybrush::train
