// storybrush-train: prepares the sticker set and trains the built-in model, stage by stage. Every command and
// figure of the shipped model is in engine/train/README.md.
#include "train/adherence.h"
#include "train/captions.h"
#include "train/composer.h"
#include "train/concepts.h"
#include "train/prepare_stickers.h"
#include "train/stages.h"
#include "train/train_common.h"

#include "imaging/png_io.h"
#include "models/autoencoder_kl.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <sstream>

#include <iostream>

namespace {

const char* kUsage =
    "storybrush-train prepare --concepts engine/train/data/concepts.tsv --out DATA\n"
    "storybrush-train captions --concepts FILE [--count N] [--seed S]     (for train_bpe.py)\n"
    "storybrush-train preview --concepts FILE --data DATA --out SHEET.png [--seed S]\n"
    "storybrush-train reconstruct --concepts FILE --data DATA --model MODEL --out SHEET.png [--seed S]\n"
    "storybrush-train adherence --concepts FILE --data DATA [--model builtin] [--generations 100]\n"
    "storybrush-train colour-adherence --concepts FILE --data DATA [--model builtin] [--generations 100]\n"
    "storybrush-train vae --concepts FILE --data DATA --template engine/train/data/model --model OUT [--minutes M]\n"
    "storybrush-train diffusion --concepts FILE --data DATA --template engine/train/data/model --model OUT [--minutes "
    "M]\n";

int printCaptions(const storybrush::train::Arguments& args) {
    using namespace storybrush::train;
    const auto concepts = loadConcepts(args.required("concepts"));
    std::mt19937 rng(static_cast<std::uint32_t>(args.integer("seed", 1)));
    const int count = args.integer("count", 100000);
    for (int i = 0; i < count; ++i) {
        Scene scene;
        scene.background = static_cast<Background>(std::uniform_int_distribution<int>(0, kBackgroundCount - 1)(rng));
        const int stickers = std::uniform_int_distribution<int>(1, 3)(rng);
        for (int s = 0; s < stickers; ++s) {
            scene.concepts.push_back(std::uniform_int_distribution<int>(0, static_cast<int>(concepts.size()) - 1)(rng));
        }
        std::cout << caption(scene, concepts, i % 2 ? CaptionLanguage::Chinese : CaptionLanguage::English, rng) << '\n';
    }
    return 0;
}

// A contact sheet of composed training pictures and their captions: how to look at what the model is taught.
int writePreview(const storybrush::train::Arguments& args) {
    using namespace storybrush::train;
    const auto concepts = loadConcepts(args.required("concepts"));
    const auto stickers = loadStickers(args.required("data"), concepts, torch::Device(torch::kCPU));
    std::mt19937 rng(static_cast<std::uint32_t>(args.integer("seed", 1)));
    const int columns = args.integer("columns", 5), rows = args.integer("rows", 4), size = args.integer("size", 256);
    const auto batch = composeBatch(stickers, columns * rows, size, rng);
    for (std::size_t i = 0; i < batch.scenes.size(); ++i) {
        std::cout << i << ": " << caption(batch.scenes[i], concepts, CaptionLanguage::English, rng) << " / "
                  << caption(batch.scenes[i], concepts, CaptionLanguage::Chinese, rng) << '\n';
    }
    const auto sheet = batch.images.add(1)
                           .mul(127.5)
                           .round()
                           .clamp(0, 255)
                           .to(torch::kUInt8)
                           .view({rows, columns, 3, size, size})
                           .permute({0, 3, 1, 4, 2})
                           .reshape({rows * size, columns * size, 3})
                           .contiguous();
    storybrush::Image image(columns * size, rows * size, 3);
    std::memcpy(image.pixels.data(), sheet.data_ptr<std::uint8_t>(), image.pixels.size());
    storybrush::imaging::writePng(args.required("out"), image);
    return 0;
}

// The VAE alone: composed pictures (top row) and their round trip through the encoder's mean and the decoder
// (bottom row), on the CPU in FP32. Tells the VAE's faults from the UNet's.
int writeReconstructions(const storybrush::train::Arguments& args) {
    using namespace storybrush;
    using namespace storybrush::train;
    namespace fs = std::filesystem;
    torch::NoGradGuard noGrad;
    const auto concepts = loadConcepts(args.required("concepts"));
    const auto stickers = loadStickers(args.required("data"), concepts, torch::Device(torch::kCPU));
    std::mt19937 rng(static_cast<std::uint32_t>(args.integer("seed", 1)));
    const int columns = args.integer("columns", 5), size = args.integer("size", 256);
    const fs::path vaeDir = fs::path(args.required("model")) / "vae";
    models::AutoencoderKL vae(models::AutoencoderKLConfig::fromFile((vaeDir / "config.json").string()),
                              torch::TensorOptions().dtype(torch::kFloat32));
    if (!loadWeights(*vae, (vaeDir / "diffusion_pytorch_model.safetensors").string())) {
        throw Error(ErrorKind::ModelFile, "No VAE weights in " + vaeDir.string());
    }
    vae->eval();
    const auto images = composeBatch(stickers, columns, size, rng).images;
    const auto latents = vae->encode(images).mean;
    // Where the latents are largest: a VAE that parks a large value at one spot draws something there.
    const auto norms = latents.pow(2).sum(1).sqrt().mean(0);  // [h, w], averaged over the pictures
    const auto at = norms.argmax().item<std::int64_t>();
    std::cout << "latent norm: median " << norms.median().item<double>() << ", largest " << norms.max().item<double>()
              << " at row " << at / norms.size(1) << " column " << at % norms.size(1) << " of " << norms.size(0) << "x"
              << norms.size(1) << "; corners (top-left, top-right, bottom-left, bottom-right) "
              << norms[0][0].item<double>() << ", " << norms[0][-1].item<double>() << ", "
              << norms[-1][0].item<double>() << ", " << norms[-1][-1].item<double>() << '\n';
    const auto rebuilt = vae->decode(latents).clamp(-1, 1);
    const auto sheet = torch::stack({images, rebuilt})
                           .add(1)
                           .mul(127.5)
                           .round()
                           .clamp(0, 255)
                           .to(torch::kUInt8)
                           .permute({0, 3, 1, 4, 2})
                           .reshape({2 * size, columns * size, 3})
                           .contiguous();
    Image image(columns * size, 2 * size, 3);
    std::memcpy(image.pixels.data(), sheet.data_ptr<std::uint8_t>(), image.pixels.size());
    imaging::writePng(args.required("out"), image);
    return 0;
}

// Pictures side by side (same size, RGB), for looking at samples: --images a.png,b.png,... --columns N.
int writeSheet(const storybrush::train::Arguments& args) {
    std::vector<torch::Tensor> tiles;
    std::stringstream list(args.required("images"));
    std::string file;
    while (std::getline(list, file, ',')) {
        const auto image = storybrush::imaging::readPng(file);
        tiles.push_back(torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()),
                                         {image.height, image.width, image.channels}, torch::kUInt8)
                            .slice(2, 0, 3)
                            .clone());
    }
    const int columns = args.integer("columns", 5);
    while (tiles.size() % static_cast<std::size_t>(columns) != 0) tiles.push_back(torch::full_like(tiles[0], 255));
    std::vector<torch::Tensor> rows;
    for (std::size_t i = 0; i < tiles.size(); i += static_cast<std::size_t>(columns)) {
        rows.push_back(torch::cat(std::vector<torch::Tensor>(tiles.begin() + static_cast<std::ptrdiff_t>(i),
                                                             tiles.begin() + static_cast<std::ptrdiff_t>(i) + columns),
                                  1));
    }
    const auto sheet = torch::cat(rows, 0).contiguous();
    storybrush::Image image(static_cast<int>(sheet.size(1)), static_cast<int>(sheet.size(0)), 3);
    std::memcpy(image.pixels.data(), sheet.data_ptr<std::uint8_t>(), image.pixels.size());
    storybrush::imaging::writePng(args.required("out"), image);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace storybrush::train;
    if (argc < 2) {
        std::cerr << kUsage;
        return 2;
    }
    const std::string command = argv[1];
    try {
        const Arguments args(argc, argv, 2);
        if (command == "prepare") {
            PrepareOptions options;
            options.outDir = args.required("out");
            options.maxPerConcept = args.integer("max-per-concept", options.maxPerConcept);
            options.size = args.integer("size", options.size);
            const int written = prepareStickers(loadConcepts(args.required("concepts")), options);
            std::cout << written << " stickers in " << options.outDir << '\n';
            return written > 0 ? 0 : 1;
        }
        if (command == "captions") return printCaptions(args);
        if (command == "preview") return writePreview(args);
        if (command == "sheet") return writeSheet(args);
        if (command == "reconstruct") return writeReconstructions(args);
        if (command == "vae") return trainVae(args);
        if (command == "adherence") return measureAdherence(args);
        if (command == "colour-adherence") return measureColourAdherence(args);
        if (command == "diffusion") return trainDiffusion(args);
    } catch (const storybrush::cli::UsageError& error) {
        std::cerr << "storybrush-train " << command << ": " << error.message << '\n' << kUsage;
        return 2;
    } catch (const std::exception& error) {
        std::cerr << "storybrush-train " << command << ": " << error.what() << '\n';
        return 1;
    }
    std::cerr << kUsage;
    return 2;
}
