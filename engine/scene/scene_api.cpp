// <storybrush/scene.h> over the reader, the layout and the renderer, and the scene's JSON form.
#include <storybrush/error.h>
#include <storybrush/scene.h>

#include "scene/layout.h"
#include "scene/prompt_reader.h"
#include "scene/thing_library.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <set>

#ifdef STORYBRUSH_WITH_SCENE_RENDERER
#include "scene/renderer.h"
#endif

namespace storybrush {

namespace {

using nlohmann::json;

const scene::PromptReader& installedReader() {
    static const scene::PromptReader reader(scene::ThingLibrary::installed());
    return reader;
}

scene::Layout toLayout(const Scene& s) {
    scene::Layout layout;
    layout.place = s.place;
    layout.groundLine = s.groundLine;
    for (const SceneItem& item : s.items) {
        scene::PlacedThing placed;
        placed.id = item.id;
        placed.thing = item.thing;
        placed.box = {item.x, item.y, item.width, item.height};
        placed.flipped = item.flipped;
        placed.colour = item.colour;
        placed.layer = item.layer;
        layout.items.push_back(placed);
    }
    return layout;
}

// A field of the scene's JSON, with a message naming it when it is missing or of the wrong type.
template <class T>
T field(const json& object, const char* name, const std::string& where) {
    const auto found = object.find(name);
    if (found == object.end())
        throw Error(ErrorKind::InvalidRequest, "The scene file lacks \"" + std::string(name) + "\" in " + where + ".");
    try {
        return found->get<T>();
    } catch (const json::exception&) {
        throw Error(ErrorKind::InvalidRequest,
                    "The scene file's \"" + std::string(name) + "\" in " + where + " is not of the right kind.");
    }
}

}  // namespace

Scene composeScene(const std::string& prompt, std::uint64_t seed, double aspect) {
    if (!(aspect >= 0.2 && aspect <= 5.0))
        throw Error(ErrorKind::InvalidRequest, "A page's shape must be between 1:5 and 5:1.");
    const scene::ThingLibrary& library = scene::ThingLibrary::installed();
    const scene::PromptReading reading = installedReader().read(prompt);
    const scene::Layout layout = scene::layOut(reading, library, seed, aspect);
    Scene out;
    out.prompt = prompt;
    out.seed = seed;
    out.aspect = aspect;
    out.place = layout.place;
    out.groundLine = layout.groundLine;
    for (const auto& thing : reading.things)
        out.things.push_back({thing.id, thing.word, thing.count, thing.colour, thing.size});
    for (const auto& relation : reading.relations)
        out.relations.push_back({relation.subject, relation.relation, relation.object});
    for (const auto& word : reading.unknown) out.unknown.push_back({word.word, word.closest});
    for (const auto& item : layout.items) {
        out.items.push_back({item.id, item.thing, item.box.x, item.box.y, item.box.width, item.box.height, item.flipped,
                             item.colour, item.layer});
    }
    return out;
}

bool canDrawScenes() {
#ifdef STORYBRUSH_WITH_SCENE_RENDERER
    return true;
#else
    return false;
#endif
}

Image drawScene(const Scene& s, int width, int height) {
    if (width < 64 || height < 64 || width > 4096 || height > 4096)
        throw Error(ErrorKind::InvalidRequest, "A scene is drawn at 64 to 4096 pixels each way.");
#ifdef STORYBRUSH_WITH_SCENE_RENDERER
    return scene::renderScene(toLayout(s), scene::ThingLibrary::installed(), scene::ArtFolder::installed(), width,
                              height);
#else
    (void)s;
    throw Error(ErrorKind::UnsupportedModel,
                "This build of Storybrush cannot draw scenes (it was built without librsvg).");
#endif
}

std::vector<std::string> sceneCredits(const Scene& s) {
    static const std::map<std::string, std::string> credits{
        {"twemoji", "Twemoji by Twitter, Inc and other contributors (CC BY 4.0)"},
        {"openmoji", "OpenMoji, the open-source emoji project (CC BY-SA 4.0)"},
        {"tuxpaint", "Tux Paint stamps by Bill Kendrick and contributors (GPL-2.0+)"},
        {"openclipart", "Openclipart (public domain)"},
    };
    const scene::ThingLibrary& library = scene::ThingLibrary::installed();
    std::set<std::string> sources;
    for (const SceneItem& item : s.items) {
        if (const scene::Thing* thing = library.byId(item.id); thing && !thing->art.empty())
            sources.insert(thing->art.front().substr(0, thing->art.front().find(':')));
    }
    std::vector<std::string> lines;
    for (const std::string& source : sources) {
        const auto found = credits.find(source);
        if (found != credits.end()) lines.push_back(found->second);
    }
    return lines;
}

std::string sceneToJson(const Scene& s) {
    json out = {{"schema", s.schema}, {"prompt", s.prompt}, {"seed", s.seed},
                {"aspect", s.aspect}, {"place", s.place},   {"ground_line", s.groundLine}};
    out["things"] = json::array();
    for (const auto& t : s.things)
        out["things"].push_back(
            {{"id", t.id}, {"word", t.word}, {"count", t.count}, {"colour", t.colour}, {"size", t.size}});
    out["relations"] = json::array();
    for (const auto& r : s.relations)
        out["relations"].push_back({{"subject", r.subject}, {"relation", r.relation}, {"object", r.object}});
    out["unknown"] = json::array();
    for (const auto& u : s.unknown) out["unknown"].push_back({{"word", u.word}, {"closest", u.closest}});
    out["items"] = json::array();
    for (const auto& i : s.items) {
        out["items"].push_back({{"id", i.id},
                                {"thing", i.thing},
                                {"x", i.x},
                                {"y", i.y},
                                {"width", i.width},
                                {"height", i.height},
                                {"flipped", i.flipped},
                                {"colour", i.colour},
                                {"layer", i.layer}});
    }
    return out.dump(2, ' ', false, json::error_handler_t::replace);
}

Scene sceneFromJson(const std::string& text) {
    json in;
    try {
        in = json::parse(text);
    } catch (const json::exception&) {
        throw Error(ErrorKind::InvalidRequest, "The scene file is not JSON.");
    }
    if (!in.is_object()) throw Error(ErrorKind::InvalidRequest, "The scene file is not a scene (no JSON object).");
    Scene s;
    s.schema = field<int>(in, "schema", "the scene");
    if (s.schema > kSceneSchemaVersion || s.schema < 1)
        throw Error(ErrorKind::InvalidRequest, "The scene file is of schema " + std::to_string(s.schema) +
                                                   "; this version of Storybrush reads schema " +
                                                   std::to_string(kSceneSchemaVersion) + ". Update Storybrush.");
    s.prompt = field<std::string>(in, "prompt", "the scene");
    s.seed = field<std::uint64_t>(in, "seed", "the scene");
    s.aspect = field<double>(in, "aspect", "the scene");
    s.place = field<std::string>(in, "place", "the scene");
    s.groundLine = field<double>(in, "ground_line", "the scene");
    const auto list = [&](const char* name) {
        const json& value = field<json>(in, name, "the scene");
        if (!value.is_array())
            throw Error(ErrorKind::InvalidRequest, "The scene file's \"" + std::string(name) + "\" is not a list.");
        return value;
    };
    for (const json& t : list("things")) {
        s.things.push_back({field<std::string>(t, "id", "a thing"), field<std::string>(t, "word", "a thing"),
                            field<int>(t, "count", "a thing"), field<std::string>(t, "colour", "a thing"),
                            field<std::string>(t, "size", "a thing")});
    }
    const int things = static_cast<int>(s.things.size());
    for (const json& r : list("relations")) {
        SceneRelation relation{field<int>(r, "subject", "a relation"), field<std::string>(r, "relation", "a relation"),
                               field<int>(r, "object", "a relation")};
        if (relation.subject < 0 || relation.subject >= things || relation.object < 0 || relation.object >= things)
            throw Error(ErrorKind::InvalidRequest, "The scene file has a relation between things it does not list.");
        s.relations.push_back(relation);
    }
    for (const json& u : list("unknown"))
        s.unknown.push_back({field<std::string>(u, "word", "an unknown word"),
                             field<std::vector<std::string>>(u, "closest", "an unknown word")});
    for (const json& i : list("items")) {
        SceneItem item{field<std::string>(i, "id", "an item"), field<int>(i, "thing", "an item"),
                       field<double>(i, "x", "an item"),       field<double>(i, "y", "an item"),
                       field<double>(i, "width", "an item"),   field<double>(i, "height", "an item"),
                       field<bool>(i, "flipped", "an item"),   field<std::string>(i, "colour", "an item"),
                       field<int>(i, "layer", "an item")};
        const bool finite = std::isfinite(item.x) && std::isfinite(item.y) && std::isfinite(item.width) &&
                            std::isfinite(item.height);
        if (!finite || item.width <= 0 || item.height <= 0 || item.width > 4 || item.height > 4 ||
            std::abs(item.x) > 4 || std::abs(item.y) > 4)
            throw Error(ErrorKind::InvalidRequest, "The scene file places \"" + item.id + "\" off any page.");
        s.items.push_back(item);
    }
    return s;
}

}  // namespace storybrush
