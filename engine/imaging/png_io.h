// PNG files with text chunks (libpng): OpenCV 4.6 cannot write PNG text, and the A1111 "parameters" chunk
// is how other tools read our settings back. Plain libpng also builds on the GPU machine.
#pragma once

#include <storybrush/image.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace storybrush::imaging {

using PngText = std::vector<std::pair<std::string, std::string>>;  // keyword, UTF-8 text

// Writes `path + ".part"` and renames it over `path`, so a crash or a full disk never leaves a half-written
// picture under the real name. Throws Error(Io) naming the file and the reason.
void writePng(const std::string& path, const Image& image, const PngText& text = {});

// Reads a PNG as 8-bit RGB, RGBA or grey (palette and 16-bit are converted). Throws Error(Io) naming the
// file when it is missing or not a readable PNG.
Image readPng(const std::string& path);
std::map<std::string, std::string> readPngText(const std::string& path);

}  // namespace storybrush::imaging
