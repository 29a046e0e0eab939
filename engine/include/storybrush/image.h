// Pixels as the engine exchanges them with its callers: 8-bit, interleaved, no Qt, no libtorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace storybrush {

// Rows top to bottom, no row padding. channels: 1 (grey or mask), 3 (RGB) or 4 (RGBA).
// A mask is a 1-channel image: 255 repaints fully, 0 keeps, values between repaint partly.
struct Image {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<std::uint8_t> pixels;

    Image() = default;
    Image(int w, int h, int c, std::uint8_t fill = 0)
        : width(w), height(h), channels(c),
          pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * static_cast<std::size_t>(c), fill) {}

    bool empty() const { return width <= 0 || height <= 0 || pixels.empty(); }
    std::size_t byteSize() const { return pixels.size(); }
    // True when the pixel buffer matches the stated size: callers check before trusting a buffer.
    bool isConsistent() const {
        return width > 0 && height > 0 && (channels == 1 || channels == 3 || channels == 4) &&
               pixels.size() == static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
                                    static_cast<std::size_t>(channels);
    }
    std::uint8_t* pixel(int x, int y) { return pixels.data() + (static_cast<std::size_t>(y) * width + x) * channels; }
    const std::uint8_t* pixel(int x, int y) const {
        return pixels.data() + (static_cast<std::size_t>(y) * width + x) * channels;
    }
};

}  // namespace storybrush
