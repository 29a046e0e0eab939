// The things the built-in model was shown (engine/train/data/concepts.tsv): their names in English and Chinese
// and which sticker files show them. One table feeds the sticker preparation, the captions and the evaluation.
#pragma once

#include <string>
#include <vector>

namespace storybrush::train {

struct Concept {
    std::string key;      // "frog"
    std::string english;  // "frog"
    std::string englishPlural;
    std::string chinese;      // "青蛙"
    std::string measureWord;  // "只" (一只青蛙)
    std::string group;        // animal, food, plant, vehicle, building, sky, toy, thing
    std::string pathPattern;  // ECMAScript regex over "tp/<path>" (Tux Paint stamps) or "oc/<path>" (OpenClipart)
};

// Throws Error(ModelFile) naming the file and line when a row is malformed.
std::vector<Concept> loadConcepts(const std::string& path);

}  // namespace storybrush::train
