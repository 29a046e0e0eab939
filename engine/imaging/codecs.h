// JPEG (libjpeg-turbo) and WebP (libwebp) files. Straight on the format libraries: OpenCV's imgcodecs would
// bring GDAL and about 150 more libraries (250 MB) into every installer and is absent on the GPU machine.
#pragma once

#include <storybrush/image.h>

#include <string>
#include <vector>

namespace storybrush::imaging {

enum class FileKind { Png, Jpeg, WebP, Unknown };
FileKind sniffFileKind(const std::vector<unsigned char>& head);  // by content: the first 12 bytes

// Decode throws Error(Io) naming `path` for a damaged file. JPEG gives RGB (or grey), WebP RGB or RGBA.
Image decodeJpeg(const std::vector<unsigned char>& bytes, const std::string& path);
Image decodeWebP(const std::vector<unsigned char>& bytes, const std::string& path);
// JPEG has no transparency: RGBA is flattened onto white first (by the caller). quality 1..100.
std::vector<unsigned char> encodeJpeg(const Image& image, int quality);
std::vector<unsigned char> encodeWebPLossless(const Image& image);

}  // namespace storybrush::imaging
