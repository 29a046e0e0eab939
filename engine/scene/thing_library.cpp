// Reading the picture library's list of things.
#include "scene/thing_library.h"

#include "runtime/resources.h"
#include "text/unicode_text.h"

#include <storybrush/error.h>

#include <fstream>
#include <sstream>

namespace storybrush::scene {

namespace {

std::vector<std::string> splitOn(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator)) parts.push_back(part);
    if (!text.empty() && text.back() == separator) parts.emplace_back();
    return parts;
}

std::string normalised(const std::string& name) { return text::encodeUtf8(text::nfcLower(name)); }

}  // namespace

ThingLibrary ThingLibrary::load(const std::string& tsvPath) {
    std::ifstream file(tsvPath);
    if (!file) throw Error(ErrorKind::ModelFile, "The picture library " + tsvPath + " cannot be read.");
    std::string line;
    if (!std::getline(file, line)) throw Error(ErrorKind::ModelFile, "The picture library " + tsvPath + " is empty.");
    const std::vector<std::string> header = splitOn(line, '\t');
    std::map<std::string, std::size_t> column;
    for (std::size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
    for (const char* needed : {"id", "category", "en", "en_synonyms", "zh_hans", "zh_hans_synonyms", "zh_hant",
                               "zh_hant_synonyms", "art", "licence"}) {
        if (!column.count(needed))
            throw Error(ErrorKind::ModelFile, "The picture library " + tsvPath + " has no column '" + needed + "'.");
    }
    ThingLibrary library;
    int lineNumber = 1;
    while (std::getline(file, line)) {
        ++lineNumber;
        if (line.empty()) continue;
        const std::vector<std::string> cells = splitOn(line, '\t');
        const auto cell = [&](const char* name) -> const std::string& {
            const std::size_t at = column.at(name);
            if (at >= cells.size())
                throw Error(ErrorKind::ModelFile,
                            tsvPath + " line " + std::to_string(lineNumber) + ": too few columns.");
            return cells[at];
        };
        Thing thing;
        thing.id = cell("id");
        thing.category = cell("category");
        thing.english = cell("en");
        thing.chinese = cell("zh_hans");
        thing.art = splitOn(cell("art"), '|');
        thing.licence = cell("licence");
        if (thing.id.empty() || thing.art.empty())
            throw Error(ErrorKind::ModelFile,
                        tsvPath + " line " + std::to_string(lineNumber) + ": a thing needs an id and art.");
        for (const char* names : {"en", "en_synonyms", "zh_hans", "zh_hans_synonyms", "zh_hant", "zh_hant_synonyms"}) {
            for (const std::string& name : splitOn(cell(names), '|')) {
                if (!name.empty()) thing.names.push_back(normalised(name));
            }
        }
        const std::size_t index = library.m_things.size();
        if (!library.m_ids.emplace(thing.id, index).second)
            throw Error(ErrorKind::ModelFile,
                        tsvPath + " line " + std::to_string(lineNumber) + ": the id '" + thing.id + "' is used twice.");
        for (const std::string& name : thing.names) library.m_names.emplace(name, index);
        library.m_things.push_back(std::move(thing));
    }
    return library;
}

const ThingLibrary& ThingLibrary::installed() {
    static const ThingLibrary library = [] {
        std::string tried;
        const auto path = runtime::findResource("library/things.tsv", &tried);
        if (path.empty())
            throw Error(ErrorKind::ModelFile, "The picture library is not installed (looked in:" + tried + ").");
        return load(path.u8string());
    }();
    return library;
}

const Thing* ThingLibrary::byId(const std::string& id) const {
    const auto found = m_ids.find(id);
    return found == m_ids.end() ? nullptr : &m_things[found->second];
}

}  // namespace storybrush::scene
