// The picture library's things (resources/library/things.tsv): what each is called in English and Chinese, so a
// prompt's words can be found in it, and what art draws it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace storybrush::scene {

struct Thing {
    std::string id;                  // stable ascii slug: "rabbit", "fire_engine"
    std::string category;            // animal, person, job, food, vehicle, place, ...
    std::string english;             // the name shown ("fire engine")
    std::string chinese;             // simplified Chinese name shown ("消防车")
    std::vector<std::string> names;  // every name and synonym, English and Chinese (both scripts), lower-case
    std::vector<std::string> art;    // art references, the default look first ("twemoji:1f407")
    std::string licence;             // of the default look
};

class ThingLibrary {
public:
    // Reads a things.tsv (header row, tab-separated columns as resources/library/README.md describes). Throws
    // Error(ModelFile) naming the file and line when it cannot be read or a row is malformed.
    static ThingLibrary load(const std::string& tsvPath);
    // resources/library/things.tsv, found as every resource is. Throws Error(ModelFile) when it is not installed.
    static const ThingLibrary& installed();

    const std::vector<Thing>& things() const { return m_things; }
    const Thing* byId(const std::string& id) const;
    // Every name (lower-case, NFC) and the index of the thing it names; a name shared by two things names the first.
    const std::map<std::string, std::size_t>& names() const { return m_names; }

private:
    std::vector<Thing> m_things;
    std::map<std::string, std::size_t> m_names;
    std::map<std::string, std::size_t> m_ids;
};

}  // namespace storybrush::scene
