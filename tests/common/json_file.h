// Reading a fixture's JSON (tokenizer cases, schedules) in the suites that compare against them.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace storybrush::test {

inline nlohmann::json readJsonFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
}

}  // namespace storybrush::test
