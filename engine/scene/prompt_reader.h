// Reads a picture-book prompt, in English or Chinese, into what a scene needs: the things with their counts,
// colours and sizes, the place, the simple relations between things, and the words it could not draw (with the
// library's closest names), so nothing the person asked for is dropped without a word.
#pragma once

#include "scene/thing_library.h"

#include <memory>
#include <string>
#include <vector>

namespace storybrush::scene {

struct ThingAsked {
    std::string id;    // the library's id
    std::string word;  // the words that named it in the prompt
    int count = 1;
    std::string colour;  // "red", "blue", ... ("" when the prompt gives none)
    std::string size;    // "small", "big" or ""
};

// Relations as the layout understands them: next_to, on, under, in, holding, above, riding, in_front_of, behind.
struct RelationAsked {
    int subject = 0;  // index into things
    std::string relation;
    int object = 0;
};

struct UnknownWord {
    std::string word;
    std::vector<std::string> closest;  // library ids whose names are nearest, best first (at most 3)
};

struct PromptReading {
    std::vector<ThingAsked> things;
    std::string place;  // meadow, sea, underwater, sky, space, snow, beach, forest, room, ... ("" when none)
    std::vector<RelationAsked> relations;
    std::vector<UnknownWord> unknown;
};

// Names of the places the reader knows, in the order it prefers them.
const std::vector<std::string>& knownPlaces();

// Reads prompts against one library; the vocabulary (library names and grammar words) is built once.
class PromptReader {
public:
    explicit PromptReader(const ThingLibrary& library);
    PromptReading read(const std::string& prompt) const;

private:
    struct Vocabulary;
    const ThingLibrary& m_library;
    std::shared_ptr<const Vocabulary> m_vocabulary;
};

// One prompt, with a reader made for it (tests, the CLI).
PromptReading readPrompt(const std::string& prompt, const ThingLibrary& library);

}  // namespace storybrush::scene
