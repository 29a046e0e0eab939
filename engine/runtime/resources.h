// Where Storybrush's shipped data lives (tokenizer, safety lists, the built-in model): one search order
// for every part of the engine.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace storybrush::runtime {

// In order: $STORYBRUSH_RESOURCES, ../share/storybrush beside the executable (an install), and the
// source tree's resources/ (developer and CI builds).
std::vector<std::filesystem::path> resourceFolders();

// The first resource folder that holds `relative` (a file or a folder); empty when none does. `tried`,
// when given, lists the paths looked at, for an error message.
std::filesystem::path findResource(const std::filesystem::path& relative, std::string* tried = nullptr);

}  // namespace storybrush::runtime
