// Sticker preparation. Files are matched to concepts by path (concepts.tsv); anything not for children is left
// out by name before matching (see kNotForChildren). Each picture is cropped to its alpha outline, padded to a
// square and area-resized, so every sticker fills its square the same way.
#include "train/prepare_stickers.h"

#include "imaging/png_io.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>

namespace storybrush::train {
namespace {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

// Left out whatever the folder or name: weapons, war, medicine, death and things meant to frighten; black and
// white variants (the model draws in colour) and map/flag symbols that are not things.
const std::regex kNotForChildren(
    "military|weapon|medical|hospital|dead|skull|grave|blood|tatoo|tatuagg|ghost|spider|scorpion|virus|mosquito|"
    "zanzara|moschito|cannabis|jail|knife|sword|gun|tank|hummer|_bw|battle|kaboom|smoking|cigar|wine|beer");

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// The picture as a premultiplied [4, size, size] tensor, or undefined when it has no usable cut-out.
torch::Tensor cutOut(const Image& image, int size) {
    if (image.channels != 4) return {};
    auto rgba =
        torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()), {image.height, image.width, 4}, torch::kUInt8)
            .permute({2, 0, 1})
            .to(torch::kFloat32)
            .div(255.0f);
    const auto alpha = rgba[3];
    const double coverage = (alpha > 0.5f).to(torch::kFloat32).mean().item<double>();
    if (coverage < 0.03 || coverage > 0.97) return {};  // a speck, or a rectangle with no outline
    const auto rows = (alpha > 0.03f).any(1).nonzero().flatten();
    const auto cols = (alpha > 0.03f).any(0).nonzero().flatten();
    const auto top = rows.min().item<std::int64_t>(), bottom = rows.max().item<std::int64_t>() + 1;
    const auto left = cols.min().item<std::int64_t>(), right = cols.max().item<std::int64_t>() + 1;
    auto crop = rgba.slice(1, top, bottom).slice(2, left, right);
    // A picture whose outline is its rectangle (a photo or a framed scene) is no sticker.
    const auto cropAlpha = crop[3];
    const auto border = torch::cat({cropAlpha[0], cropAlpha[-1], cropAlpha.select(1, 0), cropAlpha.select(1, -1)});
    if ((border > 0.5f).to(torch::kFloat32).mean().item<double>() > 0.5) return {};
    crop = torch::cat({crop.slice(0, 0, 3) * crop.slice(0, 3, 4), crop.slice(0, 3, 4)}, 0);
    const auto h = bottom - top, w = right - left;
    const auto side = static_cast<std::int64_t>(static_cast<double>(std::max(h, w)) * 1.06) + 2;
    const auto padTop = (side - h) / 2, padLeft = (side - w) / 2;
    crop = F::pad(crop.unsqueeze(0), F::PadFuncOptions({padLeft, side - w - padLeft, padTop, side - h - padTop}));
    auto options = F::InterpolateFuncOptions().size(std::vector<std::int64_t>{size, size});
    if (side >= size) {
        options.mode(torch::kArea);
    } else {
        options.mode(torch::kBilinear).align_corners(false);
    }
    return F::interpolate(crop, options).squeeze(0).clamp(0, 1);
}

void writeSticker(const torch::Tensor& premultiplied, const std::string& path) {
    const auto alpha = premultiplied.slice(0, 3, 4);
    const auto rgb = premultiplied.slice(0, 0, 3) / alpha.clamp_min(1e-4);
    const auto straight = torch::cat({rgb.clamp(0, 1), alpha}, 0);
    const auto bytes = straight.mul(255.0f).round().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
    Image image(static_cast<int>(bytes.size(1)), static_cast<int>(bytes.size(0)), 4);
    std::memcpy(image.pixels.data(), bytes.data_ptr<std::uint8_t>(), image.pixels.size());
    imaging::writePng(path, image);
}

}  // namespace

int prepareStickers(const std::vector<Concept>& concepts, const PrepareOptions& options) {
    std::vector<std::pair<std::string, fs::path>> files;  // ("tp/animals/...", full path)
    for (const auto& [prefix, root] : {std::pair<std::string, std::string>{"tp/", options.tuxpaintDir},
                                       std::pair<std::string, std::string>{"oc/", options.openclipartDir}}) {
        if (!fs::is_directory(root)) {
            throw Error(ErrorKind::ModelFile,
                        root + " is missing: apt-get install tuxpaint-stamps-default openclipart-png");
        }
        for (const auto& entry : fs::recursive_directory_iterator(root)) {
            if (entry.is_regular_file() && entry.path().extension() == ".png") {
                files.emplace_back(prefix + lower(fs::relative(entry.path(), root).generic_string()), entry.path());
            }
        }
    }
    std::sort(files.begin(), files.end());

    fs::create_directories(fs::path(options.outDir) / "stickers");
    std::ofstream index(fs::path(options.outDir) / "stickers.tsv");
    index << "# file\tconcept\tsource (tp: tuxpaint-stamps-default, GPL-2; oc: openclipart-png, public domain)\n";
    std::set<std::string> seenContent;
    int written = 0;
    for (const auto& item : concepts) {
        const std::regex pattern(item.pathPattern);
        int count = 0;
        for (const auto& [name, path] : files) {
            if (count >= options.maxPerConcept) break;
            if (std::regex_search(name, kNotForChildren) || !std::regex_search(name, pattern)) continue;
            Image image;
            try {
                image = imaging::readPng(path.string());
            } catch (const std::exception&) {
                continue;  // an unreadable file in the package is simply not used
            }
            const auto sticker = cutOut(image, options.size);
            if (!sticker.defined()) continue;
            // The packages repeat pictures under several folders: keep one of each.
            const auto thumb =
                F::interpolate(sticker.unsqueeze(0),
                               F::InterpolateFuncOptions().size(std::vector<std::int64_t>{8, 8}).mode(torch::kArea))
                    .mul(15)
                    .round()
                    .to(torch::kUInt8);
            const std::string signature(reinterpret_cast<const char*>(thumb.contiguous().data_ptr<std::uint8_t>()),
                                        static_cast<std::size_t>(thumb.numel()));
            if (!seenContent.insert(signature).second) continue;
            char fileName[64];
            std::snprintf(fileName, sizeof fileName, "stickers/%04d.png", written);
            writeSticker(sticker, (fs::path(options.outDir) / fileName).string());
            index << fileName << '\t' << item.key << '\t' << name << '\n';
            ++written;
            ++count;
        }
        std::cout << item.key << ' ' << count << '\n';
    }
    return written;
}

}  // namespace storybrush::train
