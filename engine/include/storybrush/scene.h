// Scenes: a prompt read into things, a place and relations, laid out on a page and drawn with the picture
// library's art, with no model at all. A scene is saved as JSON (with a schema version) so it can be edited, painted
// over by a model, or reopened later.
#pragma once

#include <storybrush/image.h>

#include <cstdint>
#include <string>
#include <vector>

namespace storybrush {

// The JSON's "schema" field. A newer file than this version is refused with a message saying so.
inline constexpr int kSceneSchemaVersion = 1;

struct SceneThing {    // what the prompt asked for
    std::string id;    // the library's id ("rabbit")
    std::string word;  // the prompt's words for it
    int count = 1;
    std::string colour;  // "" keeps the art's own
    std::string size;    // "small", "big" or ""
};

struct SceneRelation {
    int subject = 0;       // index into things
    std::string relation;  // next_to, on, under, in, holding, above, riding, in_front_of, behind, wearing
    int object = 0;
};

struct SceneUnknownWord {
    std::string word;
    std::vector<std::string> closest;  // library ids, best first
};

struct SceneItem {  // one drawn thing: a layer of the picture
    std::string id;
    int thing = 0;                               // index into things
    double x = 0, y = 0, width = 0, height = 0;  // page fractions, y down
    bool flipped = false;
    std::string colour;
    int layer = 0;
};

struct Scene {
    int schema = kSceneSchemaVersion;
    std::string prompt;
    std::uint64_t seed = 0;
    double aspect = 1.0;  // page width / height
    std::string place;
    double groundLine = 1.0;
    std::vector<SceneThing> things;
    std::vector<SceneRelation> relations;
    std::vector<SceneUnknownWord> unknown;
    std::vector<SceneItem> items;  // in drawing order
};

// Reads `prompt` (English or Chinese) and lays it out for a page of `aspect`; the same prompt and seed give the
// same scene. Throws Error(ModelFile) when the picture library is not installed.
Scene composeScene(const std::string& prompt, std::uint64_t seed, double aspect = 1.0);

// The scene as an RGB picture of width x height. Throws Error(InvalidRequest) for a size outside 64..4096.
Image drawScene(const Scene& scene, int width, int height);

// Whether this build can draw scenes (it needs librsvg); a build without it still reads and lays them out.
bool canDrawScenes();

// The credits of the art a scene uses, one line per source ("Twemoji by Twitter, Inc and other contributors,
// CC-BY 4.0"), for a picture's metadata.
std::vector<std::string> sceneCredits(const Scene& scene);

std::string sceneToJson(const Scene& scene);
// Throws Error(InvalidRequest) naming what is wrong: not JSON, a newer schema, a missing or mistyped field.
Scene sceneFromJson(const std::string& json);

}  // namespace storybrush
