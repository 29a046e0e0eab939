// The pixel side of inpainting and outpainting, before and after the model: the mask made ready (grown,
// feathered), the box the model draws, the canvas extended and pre-filled, and the paste-back that keeps
// every pixel outside the mask exactly as it was.
#pragma once

#include "imaging/image_ops.h"

#include <storybrush/request.h>

#include <optional>

namespace storybrush::imaging {

struct Box {
    int x = 0, y = 0, width = 0, height = 0;
    int right() const { return x + width; }
    int bottom() const { return y + height; }
    bool operator==(const Box& other) const {
        return x == other.x && y == other.y && width == other.width && height == other.height;
    }
};

// Grows (dilates) or, for negative `grow`, shrinks the mask by that many pixels (round brush), then
// feathers it: the edge fades from full to nothing over `blur` pixels outward. 0/0 returns it unchanged.
Image prepareMask(const Image& mask, int grow, int blur);

// The smallest box holding every non-zero mask pixel; nothing when the mask is empty.
std::optional<Box> maskBounds(const Image& mask);

// The region "only the masked area" hands to the model: `bounds` padded by `padding`, made at least
// `minSide` pixels (or the whole side) and no longer than 4:1, always inside the image: near an edge the
// box is moved inwards rather than cut, so it keeps the context asked for.
Box cropBoxAround(const Box& bounds, int padding, int imageWidth, int imageHeight, int minSide = 64);

Image cropImage(const Image& image, const Box& box);

// Puts `drawn` (box-sized) into a copy of `original` at `box`, weighted by `mask` (original-sized, 255 =
// drawn): where the mask is 0 the original pixel stays exactly, between 0 and 255 the two are mixed. The
// result has the original's channel count (alpha is kept from the original).
Image pasteBack(const Image& original, const Image& drawn, const Image& mask, const Box& box);

// Shifts the colours of `drawn` (box-sized) in Lab so that, on the untouched ring just outside the mask,
// their mean and spread match `original` there; pixels the mask keeps are not looked at afterwards anyway.
// Returns `drawn` unchanged when there is no ring to learn from (the mask covers the whole box).
Image matchColours(const Image& drawn, const Image& original, const Image& mask, const Box& box);

struct ExtendedCanvas {
    Image image;   // RGB: the old picture at (margins.left, margins.top), the new area pre-filled
    Image mask;    // 255 on the new area, fading to 0 across the blend band inside the old picture
    Box original;  // where the old picture sits
};

// Outpainting's canvas. Old pixels farther than `blendPixels` from the new area have mask 0 exactly.
ExtendedCanvas extendCanvas(const Image& image, const OutpaintMargins& margins);

// Everything decided before drawing a repaint: what to draw, at which size, and how to put it back.
struct RepaintPlan {
    Image canvas;   // RGB picture being repainted (the extended canvas for outpaint)
    Image mask;     // canvas-sized, prepared (grown, feathered, outpaint band), 255 = repaint
    Box box;        // the region the model draws: the whole canvas, or the padded crop for onlyMasked
    Size drawSize;  // the size the model draws `box` at (multiples of 8)
};

// Throws Error(InvalidRequest) with a message for the person when the mask is empty after preparation.
// `nativeSize`: the model's training size, used for onlyMasked when the request gives no width/height.
RepaintPlan planRepaint(const GenerationRequest& request, int nativeSize);

// The box-sized picture the model drew (any size: it is resampled to the box) put back into the canvas.
Image finishRepaint(const RepaintPlan& plan, const Image& drawn, bool colourMatch);

}  // namespace storybrush::imaging
