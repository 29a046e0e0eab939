// Where each thing of a read prompt goes on the page: a box per thing (a row of boxes for "three pigs"), sized by
// what the thing is and the size asked, standing on the place's ground or floating where the place has none, and
// placed against the things it relates to ("a cat on a bed", "a girl holding a balloon"). The same reading and seed
// give the same layout.
#pragma once

#include "scene/prompt_reader.h"

#include <cstdint>
#include <string>
#include <vector>

namespace storybrush::scene {

// In page fractions: x to the right, y down, both 0..1 across the whole page.
struct Box {
    double x = 0, y = 0, width = 0, height = 0;
    double right() const { return x + width; }
    double bottom() const { return y + height; }
};

struct PlacedThing {
    std::string id;
    int thing = 0;     // index into the reading's things
    int instance = 0;  // which of its count
    Box box;
    bool flipped = false;  // mirrored, so companions face each other
    std::string colour;    // as asked ("" keeps the art's own)
    int layer = 0;         // drawn in increasing layer order
};

struct Layout {
    std::string place;
    double groundLine = 1.0;  // where the ground meets the sky (page fraction); 1 when the place has no ground
    std::vector<PlacedThing> items;
};

// `aspect`: the page's width / height.
Layout layOut(const PromptReading& reading, const ThingLibrary& library, std::uint64_t seed, double aspect = 1.0);

// The area two boxes share, as a fraction of the smaller one's area (0 apart, 1 one inside the other).
double overlapShare(const Box& a, const Box& b);

}  // namespace storybrush::scene
