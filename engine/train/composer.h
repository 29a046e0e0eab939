// Training pictures made on the fly: 1-3 clipart stickers placed, scaled, flipped and lightly recoloured on a
// drawn background (meadow, sea, sky, night, snow, room, plain). Runs on the training device, so the data is
// effectively unlimited and only the stickers travel.
#pragma once

#include "train/captions.h"

#include <torch/types.h>

#include <array>
#include <random>
#include <string>
#include <vector>

namespace storybrush::train {

struct StickerSet {
    torch::Tensor pixels;        // [N, 4, S, S] float: premultiplied RGB in [0,1], then alpha
    std::vector<int> conceptOf;  // per sticker, index into the concept table
    std::vector<int> colourOf;   // per sticker, dominantColour() of it
    // Per sticker, its dominant colour after its hue is turned by k x 60 degrees (k = 0: colourOf).
    std::vector<std::array<int, 6>> colourAfterTurn;
    std::vector<std::vector<int>> byConcept;  // per concept, its stickers (some may be empty)
    std::vector<int> usableConcepts;          // concepts that have at least one sticker
};

// Reads `folder`/stickers.tsv (file, concept key) and the PNGs it lists (written by `storybrush-train prepare`).
// Concepts listed in `excludeStickers` (file names) are skipped: the evaluation holds some stickers out.
// A small tensor made on the host, on its way to `device` without making the host wait for the GPU (pinned memory,
// an asynchronous copy), so a batch is composed while the previous step still runs.
torch::Tensor sendToDevice(const torch::Tensor& host, const torch::Device& device);

// The colour (index into kColourNames) that most of a sticker is, or -1 when no one colour is: [N, 4, S, S]
// premultiplied stickers in, one entry per sticker out. Outlines do not count: a red car with a black outline is red.
std::vector<int> dominantColours(const torch::Tensor& stickers);

// The RGB matrix that turns hues by `degrees` around the grey axis (greys, and so outlines and white, stay).
torch::Tensor hueTurn(double degrees);

StickerSet loadStickers(const std::string& folder, const std::vector<Concept>& concepts, const torch::Device& device,
                        const std::vector<std::string>& excludeStickers = {});

struct ComposedBatch {
    torch::Tensor images;  // [B, 3, size, size] in [-1, 1]
    std::vector<Scene> scenes;
};

// maxStickers: 1-3; training uses 3, the adherence evaluation 1.
ComposedBatch composeBatch(const StickerSet& stickers, int batch, int size, std::mt19937& rng, int maxStickers = 3);

// Draws the backgrounds alone ([B,3,size,size] in [0,1]); `kinds` per picture.
torch::Tensor drawBackgrounds(const std::vector<Background>& kinds, int size, std::mt19937& rng,
                              const torch::Device& device);

}  // namespace storybrush::train
