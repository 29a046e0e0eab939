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

// The colours a caption may name ("a red car" / "一辆红色的小汽车"), in the order of kColourNames.
enum class Colour { Red, Orange, Yellow, Green, Blue, Purple, Pink, Brown, Black, White, Grey };
inline constexpr int kColourCount = 11;
struct ColourName {
    const char* english;
    const char* chinese;
};
inline constexpr ColourName kColourNames[kColourCount] = {
    {"red", "红色的"},   {"orange", "橙色的"}, {"yellow", "黄色的"}, {"green", "绿色的"},
    {"blue", "蓝色的"},  {"purple", "紫色的"}, {"pink", "粉色的"},   {"brown", "棕色的"},
    {"black", "黑色的"}, {"white", "白色的"},  {"grey", "灰色的"}};

struct Scene {
    Background background = Background::Plain;
    std::vector<int> concepts;  // indices into the concept table, 1-3 stickers (a repeated index draws "two frogs")
    // Per sticker, the colour most of it is (an index into kColourNames), or -1 when it is many colours. Empty when
    // unknown (e.g. scenes made up without stickers).
    std::vector<int> colours;
    // Per sticker (when set), whether its hue was turned to a colour it does not have in the data: its caption then
    // always names the colour, so "a car" keeps the cars' own colours and "a blue car" can be any car made blue.
    std::vector<bool> recoloured;
};

enum class CaptionLanguage { English, Chinese };

// Varies wording as people do (articles, "a picture of", 可爱的, word order) so the model learns the nouns, not one
// template. `rng` decides the variations.
std::string caption(const Scene& scene, const std::vector<Concept>& concepts, CaptionLanguage language,
                    std::mt19937& rng);

// The place phrase alone ("on a sunny meadow" / "草地上"), for evaluation prompts.
std::string placePhrase(Background background, CaptionLanguage language, std::mt19937& rng);

}  // namespace storybrush::train
