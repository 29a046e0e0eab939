// Turns the Debian clipart packages into the trainer's sticker set: one 128x128 RGBA PNG per usable picture,
// cropped to its outline, plus stickers.tsv naming the concept each shows.
#pragma once

#include "train/concepts.h"

#include <string>
#include <vector>

namespace storybrush::train {

struct PrepareOptions {
    std::string tuxpaintDir = "/usr/share/tuxpaint/stamps";     // tuxpaint-stamps-default (GPL-2)
    std::string openclipartDir = "/usr/share/openclipart/png";  // openclipart-png (public domain)
    std::string outDir;
    int size = 128;
    int maxPerConcept = 12;
};

// Returns how many stickers were written; prints per-concept counts to stdout.
int prepareStickers(const std::vector<Concept>& concepts, const PrepareOptions& options);

}  // namespace storybrush::train
