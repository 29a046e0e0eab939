// Background painting and sticker compositing in tensor ops (affine_grid + grid_sample, premultiplied "over").
#include "train/composer.h"

#include "imaging/png_io.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace storybrush::train {
namespace {

namespace F = torch::nn::functional;

float uniform(std::mt19937& rng, float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }

// [B,1,1,1] tensor of per-picture values on `device`.
torch::Tensor perPicture(const std::vector<float>& values, const torch::Device& device) {
    return sendToDevice(torch::tensor(values).view({-1, 1, 1, 1}), device);
}

torch::Tensor colour(float r, float g, float b, const torch::Device& device) {
    return sendToDevice(torch::tensor({r, g, b}).view({1, 3, 1, 1}), device);
}

}  // namespace

torch::Tensor sendToDevice(const torch::Tensor& host, const torch::Device& device) {
    if (!device.is_cuda()) return host.to(device);
    return host.pin_memory().to(device, /*non_blocking=*/true);
}

std::vector<int> dominantColours(const torch::Tensor& stickers) {
    const auto host = stickers.to(torch::kCPU, torch::kFloat32);
    const auto alpha = host.slice(1, 3, 4);
    const auto rgb = host.slice(1, 0, 3) / alpha.clamp_min(1e-4);
    const auto r = rgb.select(1, 0), g = rgb.select(1, 1), b = rgb.select(1, 2);
    const auto value = std::get<0>(rgb.max(1));
    const auto minimum = std::get<0>(rgb.min(1));
    const auto chroma = value - minimum;
    const auto saturation = chroma / value.clamp_min(1e-4);
    // Hue in degrees, as HSV defines it.
    const auto safeChroma = chroma.clamp_min(1e-4);
    auto hue = torch::where(value == r, ((g - b) / safeChroma).remainder(6.0),
                            torch::where(value == g, (b - r) / safeChroma + 2.0, (r - g) / safeChroma + 4.0)) *
               60.0;
    const auto opaque = alpha.squeeze(1) > 0.5;
    const auto pale = saturation < 0.2;
    const auto dark = (value < 0.2) | (pale & (value < 0.4));  // a black hen's grey sheen is still black
    const auto inHue = [&](double from, double to) { return hue >= from & hue < to; };
    // Brown is a dark orange or red; pink a light, soft red or magenta; a dark yellow is the olive of leaves.
    const auto warm = inHue(0, 45) | inHue(345, 360);
    const auto brown = warm & (value < 0.65) & ~dark & ~pale;
    const auto pink = ((inHue(290, 345)) | (warm & (saturation < 0.5) & (value > 0.8))) & ~dark & ~pale;
    const auto coloured = ~dark & ~pale & ~brown & ~pink;
    const std::vector<torch::Tensor> masks{
        coloured & (inHue(345, 360) | inHue(0, 15)),                    // red
        coloured & inHue(15, 45),                                       // orange
        coloured & inHue(45, 70) & (value >= 0.6),                      // yellow
        coloured & (inHue(70, 170) | (inHue(45, 70) & (value < 0.6))),  // green, olive leaves included
        coloured & inHue(170, 260),                                     // blue
        coloured & inHue(260, 290),                                     // purple
        pink,
        brown,
        dark,                             // black
        pale & ~dark & (value > 0.85),    // white
        pale & ~dark & (value <= 0.85)};  // grey
    std::vector<torch::Tensor> shares;
    for (const auto& mask : masks) shares.push_back((mask & opaque).sum({1, 2}).to(torch::kFloat32));
    const auto counts = torch::stack(shares, 1);  // [N, colours]
    const auto black = static_cast<int>(Colour::Black);
    std::vector<int> result;
    for (std::int64_t i = 0; i < counts.size(0); ++i) {
        const auto row = counts[i];
        const double all = row.sum().item<double>();
        const double outline = row[black].item<double>();
        // Black only when most of the sticker is; otherwise the colour that most of the rest is, if one is.
        if (all > 0 && outline / all >= 0.5) {
            result.push_back(black);
            continue;
        }
        auto rest = row.clone();
        rest[black] = 0;
        const auto best = rest.argmax().item<std::int64_t>();
        const double restTotal = rest.sum().item<double>();
        result.push_back(restTotal > 0 && rest[best].item<double>() / restTotal >= 0.55 ? static_cast<int>(best) : -1);
    }
    return result;
}

namespace {
constexpr float kRecolourChance = 0.25f;

// Colours a hue turn makes and names: red to pink; brown, black, white and grey are not turned.
bool isHue(int colour) { return colour >= static_cast<int>(Colour::Red) && colour <= static_cast<int>(Colour::Pink); }
}  // namespace

torch::Tensor hueTurn(double degrees) {
    // Rodrigues' rotation about u = (1, 1, 1) / sqrt(3): cos I + (1 - cos) u u^T + sin [u]x.
    const double angle = degrees * M_PI / 180.0, c = std::cos(angle), s = std::sin(angle) / std::sqrt(3.0);
    const double d = (1.0 - c) / 3.0;
    return torch::tensor({c + d, d - s, d + s, d + s, c + d, d - s, d - s, d + s, c + d}, torch::kFloat32).view({3, 3});
}

StickerSet loadStickers(const std::string& folder, const std::vector<Concept>& concepts, const torch::Device& device,
                        const std::vector<std::string>& excludeStickers) {
    namespace fs = std::filesystem;
    const fs::path index = fs::path(folder) / "stickers.tsv";
    std::ifstream in(index);
    if (!in)
        throw Error(ErrorKind::ModelFile,
                    "No sticker index at " + index.string() + ": run `storybrush-train prepare` first");
    StickerSet set;
    set.byConcept.resize(concepts.size());
    std::vector<torch::Tensor> images;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::stringstream row(line);
        std::string file, key;
        std::getline(row, file, '\t');
        std::getline(row, key, '\t');
        if (std::find(excludeStickers.begin(), excludeStickers.end(), file) != excludeStickers.end()) continue;
        int conceptIndex = -1;
        for (std::size_t c = 0; c < concepts.size(); ++c) {
            if (concepts[c].key == key) conceptIndex = static_cast<int>(c);
        }
        if (conceptIndex < 0) continue;  // a concept dropped from the table since the stickers were prepared
        // One damaged sticker must not cost a training run on a machine rented by the minute: leave it out, say so.
        Image image;
        try {
            image = imaging::readPng((fs::path(folder) / file).string());
        } catch (const Error& e) {
            std::fprintf(stderr, "storybrush-train: left out sticker %s: %s\n", file.c_str(), e.what());
            continue;
        }
        // `prepare` writes square stickers, all of one size.
        const bool preparedShape = image.channels == 4 && image.width == image.height &&
                                   (images.empty() || images.front().size(1) == image.height);
        if (!preparedShape) {
            std::fprintf(stderr,
                         "storybrush-train: left out sticker %s: %dx%d with %d channels, not an RGBA sticker of the "
                         "prepared size (run `storybrush-train prepare` again to remake it)\n",
                         file.c_str(), image.width, image.height, image.channels);
            continue;
        }
        auto pixels = torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()), {image.height, image.width, 4},
                                       torch::kUInt8)
                          .permute({2, 0, 1})
                          .to(torch::kFloat32)
                          .div(255.0f);
        auto alpha = pixels.slice(0, 3, 4);
        images.push_back(torch::cat({pixels.slice(0, 0, 3) * alpha, alpha}, 0));
        set.byConcept[static_cast<std::size_t>(conceptIndex)].push_back(static_cast<int>(set.conceptOf.size()));
        set.conceptOf.push_back(conceptIndex);
    }
    if (images.empty()) throw Error(ErrorKind::ModelFile, "No stickers listed in " + index.string());
    const auto stacked = torch::stack(images);
    set.colourOf = dominantColours(stacked);
    set.colourAfterTurn.resize(set.colourOf.size());
    for (int turn = 0; turn < 6; ++turn) {
        const auto rgb = torch::einsum("ij,njhw->nihw", {hueTurn(60.0 * turn), stacked.slice(1, 0, 3)});
        const auto alpha = stacked.slice(1, 3, 4);
        const auto colours = dominantColours(torch::cat({torch::minimum(rgb.clamp_min(0), alpha), alpha}, 1));
        for (std::size_t i = 0; i < colours.size(); ++i)
            set.colourAfterTurn[i][static_cast<std::size_t>(turn)] = colours[i];
    }
    set.pixels = stacked.to(device);
    for (std::size_t c = 0; c < set.byConcept.size(); ++c) {
        if (!set.byConcept[c].empty()) set.usableConcepts.push_back(static_cast<int>(c));
    }
    return set;
}

torch::Tensor drawBackgrounds(const std::vector<Background>& kinds, int size, std::mt19937& rng,
                              const torch::Device& device) {
    const auto batch = static_cast<std::int64_t>(kinds.size());
    const auto opts = torch::TensorOptions().device(device).dtype(torch::kFloat32);
    const auto ys = torch::linspace(0.0, 1.0, size, opts).view({1, 1, size, 1});
    const auto xs = torch::linspace(0.0, 1.0, size, opts).view({1, 1, 1, size});

    std::vector<float> horizon, jitter, phase, hueShift;
    for (std::int64_t i = 0; i < batch; ++i) {
        horizon.push_back(uniform(rng, 0.45f, 0.7f));
        jitter.push_back(uniform(rng, -0.06f, 0.06f));
        phase.push_back(uniform(rng, 0.0f, 6.28f));
        hueShift.push_back(uniform(rng, 0.0f, 1.0f));
    }
    const auto h = perPicture(horizon, device);
    const auto j = perPicture(jitter, device);
    const auto ph = perPicture(phase, device);
    const auto hue = perPicture(hueShift, device);

    const auto skyTop = colour(0.45f, 0.72f, 0.95f, device) + j;
    const auto skyBottom = colour(0.85f, 0.94f, 1.0f, device) + j;
    const auto sky = skyTop + (skyBottom - skyTop) * (ys / h).clamp(0, 1);
    const auto below = (ys > h + 0.015f * torch::sin(xs * 12.0f + ph)).to(torch::kFloat32);

    const auto grass = colour(0.45f, 0.78f, 0.35f, device) + j + 0.08f * (ys - h);
    const auto meadow = sky * (1 - below) + grass * below;

    const auto waves = 0.05f * torch::sin(xs * 30.0f + ys * 8.0f + ph) * torch::sin(ys * 40.0f);
    const auto water = colour(0.15f, 0.45f, 0.8f, device) + j + waves + 0.15f * (ys - h);
    const auto sea = sky * (1 - below) + water * below;

    // Clouds: three soft ellipses per picture.
    auto clouds = torch::zeros({batch, 1, size, size}, opts);
    for (int c = 0; c < 3; ++c) {
        std::vector<float> cx, cy, r;
        for (std::int64_t i = 0; i < batch; ++i) {
            cx.push_back(uniform(rng, 0.05f, 0.95f));
            cy.push_back(uniform(rng, 0.08f, 0.8f));
            r.push_back(uniform(rng, 0.06f, 0.14f));
        }
        const auto d = ((xs - perPicture(cx, device)) / (perPicture(r, device) * 1.8f)).pow(2) +
                       ((ys - perPicture(cy, device)) / perPicture(r, device)).pow(2);
        clouds = torch::maximum(clouds, (1.0f - d).clamp(0, 1).mul(4.0f).clamp(0, 1));
    }
    const auto blueSky = colour(0.4f, 0.68f, 0.95f, device) + j + 0.25f * ys;
    const auto skyScene = blueSky * (1 - clouds) + colour(1.0f, 1.0f, 1.0f, device) * clouds;

    // Night: navy gradient with sparse star dots.
    const auto dots = (torch::rand({batch, 1, size, size}, opts) > 0.9975f).to(torch::kFloat32);
    const auto starDots = F::max_pool2d(dots, F::MaxPool2dFuncOptions(3).stride(1).padding(1));
    const auto navy = colour(0.05f, 0.08f, 0.25f, device) + 0.5f * j + 0.12f * ys;
    const auto night = navy * (1 - starDots) + colour(1.0f, 0.95f, 0.6f, device) * starDots;

    const auto snowSky = colour(0.78f, 0.85f, 0.92f, device) + j;
    const auto snowGround = colour(0.97f, 0.98f, 1.0f, device) - 0.05f * (ys - h);
    const auto flakes = (torch::rand({batch, 1, size, size}, opts) > 0.996f).to(torch::kFloat32);
    const auto snow = (snowSky * (1 - below) + snowGround * below) * (1 - flakes) + flakes;

    // Room: a pastel wall whose tint varies per picture, a wooden floor with planks.
    const auto wall =
        0.75f +
        0.2f *
            torch::cat({torch::sin(hue * 6.28f), torch::sin(hue * 6.28f + 2.1f), torch::sin(hue * 6.28f + 4.2f)}, 1) *
            0.5f;
    const auto planks = 0.04f * torch::sign(torch::sin(ys * 60.0f));
    const auto floor = colour(0.62f, 0.42f, 0.25f, device) + j + planks;
    const auto room = wall * (1 - below) + floor * below;

    // Plain: half pastel, half any colour with a soft diagonal gradient, so the VAE also learns flat and dark
    // colours that users' own pictures bring to image-to-image and repainting.
    const auto pastel = 0.82f + 0.15f * torch::cat({torch::sin(hue * 6.28f + 1.0f), torch::sin(hue * 6.28f + 3.0f),
                                                    torch::sin(hue * 6.28f + 5.0f)},
                                                   1);
    const auto anyColour = torch::rand({batch, 3, 1, 1}, opts) + 0.2f * j * (xs + ys - 1.0f);
    const auto usePastel = (torch::rand({batch, 1, 1, 1}, opts) < 0.5f).to(torch::kFloat32);
    const auto plain = pastel * usePastel + anyColour * (1 - usePastel);

    const std::vector<torch::Tensor> scenes{meadow, sea, skyScene, night, snow, room, plain};
    auto out = torch::zeros({batch, 3, size, size}, opts);
    for (int k = 0; k < kBackgroundCount; ++k) {
        std::vector<float> select;
        for (auto kind : kinds) select.push_back(static_cast<int>(kind) == k ? 1.0f : 0.0f);
        out = out + perPicture(select, device) * scenes[static_cast<std::size_t>(k)].expand({batch, 3, size, size});
    }
    return out.clamp(0, 1);
}

ComposedBatch composeBatch(const StickerSet& stickers, int batch, int size, std::mt19937& rng, int maxStickers) {
    const auto device = stickers.pixels.device();
    ComposedBatch result;
    result.scenes.resize(static_cast<std::size_t>(batch));
    std::vector<Background> kinds;
    for (auto& scene : result.scenes) {
        scene.background = static_cast<Background>(std::uniform_int_distribution<int>(0, kBackgroundCount - 1)(rng));
        kinds.push_back(scene.background);
        const int count = std::uniform_int_distribution<int>(1, maxStickers)(rng);
        const auto& usable = stickers.usableConcepts;
        const int first = usable[std::uniform_int_distribution<std::size_t>(0, usable.size() - 1)(rng)];
        for (int s = 0; s < count; ++s) {
            // A second sticker repeats the first thing a third of the time ("two frogs").
            const bool repeat = s > 0 && std::uniform_real_distribution<float>(0, 1)(rng) < 0.33f;
            scene.concepts.push_back(
                repeat
                    ? first
                    : (s == 0 ? first : usable[std::uniform_int_distribution<std::size_t>(0, usable.size() - 1)(rng)]));
        }
    }
    auto canvas = drawBackgrounds(kinds, size, rng, device);
    std::vector<torch::Tensor> turnMatrices;
    for (int turn = 0; turn < 6; ++turn) turnMatrices.push_back(hueTurn(60.0 * turn));
    const auto turnTable = torch::stack(turnMatrices).to(device);

    for (int slot = 0; slot < maxStickers; ++slot) {
        std::vector<std::int64_t> which;
        std::vector<float> theta, present, saturation, brightness;
        std::vector<std::int64_t> turns;
        for (auto& scene : result.scenes) {
            const auto count = static_cast<int>(scene.concepts.size());
            const bool here = slot < count;
            present.push_back(here ? 1.0f : 0.0f);
            const int conceptIndex = here ? scene.concepts[static_cast<std::size_t>(slot)] : scene.concepts[0];
            const auto& pool = stickers.byConcept[static_cast<std::size_t>(conceptIndex)];
            which.push_back(pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng)]);
            const auto& turned = stickers.colourAfterTurn[static_cast<std::size_t>(which.back())];
            int turn = 0;
            // A quarter of the stickers of one clear colour take another (a thing named once in its scene, so its
            // caption can name the new colour): colour becomes a word of its own, not a part of certain stickers.
            if (here && isHue(turned[0]) &&
                std::count(scene.concepts.begin(), scene.concepts.end(), conceptIndex) == 1 &&
                uniform(rng, 0.0f, 1.0f) < kRecolourChance) {
                const int candidate = std::uniform_int_distribution<int>(1, 5)(rng);
                if (isHue(turned[static_cast<std::size_t>(candidate)]) &&
                    turned[static_cast<std::size_t>(candidate)] != turned[0]) {
                    turn = candidate;
                }
            }
            turns.push_back(turn);
            if (here) {
                scene.colours.push_back(turned[static_cast<std::size_t>(turn)]);
                scene.recoloured.push_back(turn != 0);
            }
            // Size as a fraction of the canvas; several stickers share the width left to right.
            const float scale = count == 1   ? uniform(rng, 0.45f, 0.8f)
                                : count == 2 ? uniform(rng, 0.35f, 0.5f)
                                             : uniform(rng, 0.28f, 0.4f);
            const float slotCentre =
                count == 1 ? 0.0f : -0.55f + 1.1f * static_cast<float>(slot) / static_cast<float>(count - 1);
            const float cx = std::clamp(slotCentre + uniform(rng, -0.12f, 0.12f), -1.0f + scale, 1.0f - scale);
            const float cy = std::clamp(uniform(rng, -0.15f, 0.35f), -1.0f + scale, 1.0f - scale);
            const float flip = std::uniform_int_distribution<int>(0, 1)(rng) ? -1.0f : 1.0f;
            // grid_sample's theta maps output coordinates to sticker coordinates.
            theta.insert(theta.end(), {flip / scale, 0.0f, -flip * cx / scale, 0.0f, 1.0f / scale, -cy / scale});
            saturation.push_back(uniform(rng, 0.8f, 1.2f));
            brightness.push_back(uniform(rng, 0.9f, 1.1f));
        }
        const auto index = sendToDevice(torch::tensor(which, torch::kInt64), device);
        const auto chosen = stickers.pixels.index_select(0, index);
        const auto grid = F::affine_grid(sendToDevice(torch::tensor(theta).view({batch, 2, 3}), device),
                                         {batch, 4, size, size},
                                         /*align_corners=*/false);
        const auto placed = F::grid_sample(
            chosen, grid,
            F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
        const auto alpha = placed.slice(1, 3, 4) * perPicture(present, device);
        auto rgb = placed.slice(1, 0, 3) * perPicture(present, device);
        rgb =
            torch::einsum("bij,bjhw->bihw",
                          {turnTable.index_select(0, sendToDevice(torch::tensor(turns, torch::kInt64), device)), rgb});
        const auto grey = rgb.mean(1, true);
        rgb = ((grey + (rgb - grey) * perPicture(saturation, device)) * perPicture(brightness, device)).clamp_min(0);
        rgb = torch::minimum(rgb, alpha);  // premultiplied colour never exceeds its alpha
        canvas = canvas * (1 - alpha) + rgb;
    }
    result.images = canvas.clamp(0, 1) * 2 - 1;
    return result;
}

}  // namespace storybrush::train
