// Picture-level helpers on storybrush::Image (OpenCV underneath): file formats, resizing onto the latent
// grid, masks from whatever file a user has.
#pragma once

#include <storybrush/image.h>

#include <string>

namespace storybrush::imaging {

struct Size {
    int width = 0;
    int height = 0;
    bool operator==(const Size& other) const { return width == other.width && height == other.height; }
};

// Reads PNG, JPEG or WebP (by content, not by name) as 8-bit grey, RGB or RGBA. Throws Error(Io) naming the
// file for a missing file and for one that is not a picture Storybrush reads.
Image readImage(const std::string& path);

// Writes by extension: .png (with atomic replace, see writePng), .jpg/.jpeg (quality 95) or .webp (lossless).
void writeImage(const std::string& path, const Image& image);

// The nearest size on the 8-pixel latent grid with at least `minSide` on each side; the aspect ratio
// changes only by the rounding (under 8 pixels on a side), or is kept while scaling a too-small side up.
Size gridSize(int width, int height, int minSide = 64);

// Resamples with area averaging when shrinking and bicubic when enlarging (what photo tools do).
Image resizeImage(const Image& image, int width, int height);

// A 1-channel mask (255 = repaint) from a user's mask file: grey as it is; RGB by brightness; RGBA by its
// alpha when the alpha is used (strokes painted on a transparent layer), else by brightness.
Image maskFromImage(const Image& image);

// The RGB part of any picture (grey is spread to three channels, alpha dropped).
Image toRgb(const Image& image);

}  // namespace storybrush::imaging
