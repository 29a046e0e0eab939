// Picture files as the engine reads and writes them: PNG (with text chunks), JPEG and WebP, as Image.
#pragma once

#include <storybrush/image.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace storybrush {

// PNG, JPEG or WebP, told apart by content. Throws Error(Io) naming the file when it is missing or damaged.
Image readPicture(const std::string& path);

// A mask from any picture: its alpha where it has painted transparency, else its brightness (white repaints).
Image maskFromPicture(const Image& picture);

// RGB, transparency laid on white paper.
Image withoutAlpha(const Image& picture);

using PngText = std::vector<std::pair<std::string, std::string>>;  // keyword, UTF-8 text

// Writes `path + ".part"` and renames it over `path`, so a crash or a full disk never leaves a half-written picture
// under the real name. Throws Error(Io) naming the file and the reason.
void writePngFile(const std::string& path, const Image& picture, const PngText& text = {});

// A PNG's text chunks (tEXt, zTXt, iTXt) by keyword, e.g. A1111's "parameters". Throws Error(Io).
std::map<std::string, std::string> readPngTextChunks(const std::string& path);

}  // namespace storybrush
