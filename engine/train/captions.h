// Captions for composed training pictures, in English or Chinese, made from what was placed where:
// "a frog and a bee on a sunny meadow" / "草地上的一只青蛙和一只蜜蜂".
#pragma once

#include "train/concepts.h"

#include <random>
#include <string>
#include <vector>

namespace storybrush::train {

// The drawn backgrounds the composer knows; the captions name them.
enum class Background { Meadow, Sea, Sky, Night, Snow, Room, Plain };
inline constexpr int kBackgroundCount = 7;

struct Scene {
    Background background = Background::Plain;
    std::vector<int> concepts;  // indices into the concept table, 1-3 stickers (a repeated index draws "two frogs")
};

enum class CaptionLanguage { English, Chinese };

// Varies wording as people do (articles, "a picture of", 可爱的, word order) so the model learns the nouns, not one
// template. `rng` decides the variations.
std::string caption(const Scene& scene, const std::vector<Concept>& concepts, CaptionLanguage language, std::mt19937& rng);

// The place phrase alone ("on a sunny meadow" / "草地上"), for evaluation prompts.
std::string placePhrase(Background background, CaptionLanguage language, std::mt19937& rng);

}  // namespace storybrush::train
