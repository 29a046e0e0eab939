// Reads concepts.tsv: '#' lines are comments, every other line has exactly seven tab-separated fields.
#include "train/concepts.h"

#include <storybrush/error.h>

#include <fstream>
#include <sstream>

namespace storybrush::train {

std::vector<Concept> loadConcepts(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::ModelFile, "Cannot read the concept table " + path);
    std::vector<Concept> concepts;
    std::string line;
    int lineNumber = 0;
    while (std::getline(in, line)) {
        ++lineNumber;
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> fields;
        std::stringstream row(line);
        std::string field;
        while (std::getline(row, field, '\t')) fields.push_back(field);
        if (fields.size() != 7) {
            throw Error(ErrorKind::ModelFile, path + " line " + std::to_string(lineNumber) +
                                                  ": expected 7 tab-separated fields, found " +
                                                  std::to_string(fields.size()));
        }
        concepts.push_back({fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]});
    }
    if (concepts.empty()) throw Error(ErrorKind::ModelFile, path + " lists no concepts");
    return concepts;
}

}  // namespace storybrush::train
