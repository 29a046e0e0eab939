// <storybrush/image_io.h> over the format readers and writers of this folder.
#include <storybrush/image_io.h>

#include "imaging/image_ops.h"
#include "imaging/png_io.h"

namespace storybrush {

Image readPicture(const std::string& path) { return imaging::readImage(path); }

Image maskFromPicture(const Image& picture) { return imaging::maskFromImage(picture); }

Image withoutAlpha(const Image& picture) { return imaging::toRgb(picture); }

void writePngFile(const std::string& path, const Image& picture, const PngText& text) {
    imaging::writePng(path, picture, text);
}

std::map<std::string, std::string> readPngTextChunks(const std::string& path) { return imaging::readPngText(path); }

}  // namespace storybrush
