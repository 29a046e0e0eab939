// Masks, boxes, canvases and paste-back for inpainting and outpainting.
// ref: A1111 modules/masking.py (get_crop_region, expand_crop_region) and processing.py (mask blur,
// "only masked" padding, paste-back through the blurred mask), diffusers VaeImageProcessor.get_crop_region.
#include "imaging/repaint.h"

#include "imaging/cv_image.h"
#include <storybrush/error.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include <algorithm>
#include <cmath>

namespace storybrush::imaging {

namespace {

cv::Rect rect(const Box& box) { return {box.x, box.y, box.width, box.height}; }

void requireMask(const Image& mask, const char* what) {
    if (!mask.isConsistent() || mask.channels != 1) {
        throw Error(ErrorKind::Internal, std::string(what) + ": expects a complete 1-channel mask");
    }
}

// A span of length `want` centred on [lo, hi), moved inside [0, limit) instead of being cut there.
std::pair<int, int> placeSpan(double centre, int want, int limit) {
    want = std::min(want, limit);
    int start = static_cast<int>(std::floor(centre - want / 2.0));
    start = std::clamp(start, 0, limit - want);
    return {start, want};
}

}  // namespace

Image prepareMask(const Image& mask, int grow, int blur) {
    requireMask(mask, "prepareMask");
    cv::Mat m = view(mask).clone();
    if (grow != 0) {
        const int radius = std::abs(grow);
        const auto kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1));
        // Pixels beyond the border count as "keep", so shrinking also pulls the mask away from the edges.
        if (grow > 0) cv::dilate(m, m, kernel);
        else cv::erode(m, m, kernel, cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(0));
    }
    if (blur > 0) {
        // Widen with a square, then blur over the rest of the width: pixels painted at full strength stay at
        // full strength (from 2 pixels of blur on), and the fade ends exactly `blur` pixels outside the edge.
        const int radius = std::max(1, blur / 2);
        const int widen = blur - radius;
        if (widen > 0)
            cv::dilate(m, m, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * widen + 1, 2 * widen + 1)));
        cv::GaussianBlur(m, m, cv::Size(2 * radius + 1, 2 * radius + 1), std::max(0.5, radius / 2.0), 0,
                         cv::BORDER_REPLICATE);
    }
    return fromMat(m);
}

std::optional<Box> maskBounds(const Image& mask) {
    requireMask(mask, "maskBounds");
    if (cv::countNonZero(view(mask)) == 0) return std::nullopt;
    std::vector<cv::Point> points;
    cv::findNonZero(view(mask), points);
    const cv::Rect r = cv::boundingRect(points);
    return Box{r.x, r.y, r.width, r.height};
}

Box cropBoxAround(const Box& bounds, int padding, int imageWidth, int imageHeight, int minSide) {
    if (imageWidth <= 0 || imageHeight <= 0 || bounds.width <= 0 || bounds.height <= 0) {
        throw Error(ErrorKind::Internal, "cropBoxAround: empty image or bounds");
    }
    padding = std::max(0, padding);
    int wantWidth = std::max(bounds.width + 2 * padding, std::min(minSide, imageWidth));
    int wantHeight = std::max(bounds.height + 2 * padding, std::min(minSide, imageHeight));
    // A thin strip of mask still gets a drawable box: models draw badly beyond about 4:1.
    constexpr int kMaxAspect = 4;
    if (wantWidth > kMaxAspect * wantHeight) wantHeight = (wantWidth + kMaxAspect - 1) / kMaxAspect;
    if (wantHeight > kMaxAspect * wantWidth) wantWidth = (wantHeight + kMaxAspect - 1) / kMaxAspect;
    const auto [x, width] = placeSpan(bounds.x + bounds.width / 2.0, wantWidth, imageWidth);
    const auto [y, height] = placeSpan(bounds.y + bounds.height / 2.0, wantHeight, imageHeight);
    return {x, y, width, height};
}

Image cropImage(const Image& image, const Box& box) {
    if (!image.isConsistent() || box.x < 0 || box.y < 0 || box.width <= 0 || box.height <= 0 ||
        box.right() > image.width || box.bottom() > image.height) {
        throw Error(ErrorKind::Internal, "cropImage: the box lies outside the picture");
    }
    return fromMat(view(image)(rect(box)));
}

Image pasteBack(const Image& original, const Image& drawn, const Image& mask, const Box& box) {
    requireMask(mask, "pasteBack");
    if (!original.isConsistent() || original.channels < 3 || !drawn.isConsistent() || drawn.channels != 3 ||
        drawn.width != box.width || drawn.height != box.height || mask.width != original.width ||
        mask.height != original.height || box.x < 0 || box.y < 0 || box.right() > original.width ||
        box.bottom() > original.height) {
        throw Error(ErrorKind::Internal, "pasteBack: picture, drawing, mask and box do not fit together");
    }
    Image out = original;
    for (int y = 0; y < box.height; ++y) {
        for (int x = 0; x < box.width; ++x) {
            const int weight = *mask.pixel(box.x + x, box.y + y);
            if (weight == 0) continue;
            std::uint8_t* target = out.pixel(box.x + x, box.y + y);
            const std::uint8_t* source = drawn.pixel(x, y);
            for (int c = 0; c < 3; ++c) {
                target[c] = static_cast<std::uint8_t>((target[c] * (255 - weight) + source[c] * weight + 127) / 255);
            }
        }
    }
    return out;
}

Image matchColours(const Image& drawn, const Image& original, const Image& mask, const Box& box) {
    requireMask(mask, "matchColours");
    if (drawn.channels != 3 || drawn.width != box.width || drawn.height != box.height) {
        throw Error(ErrorKind::Internal, "matchColours: the drawing must be RGB and box-sized");
    }
    const cv::Mat maskBox = view(mask)(rect(box));
    cv::Mat inside = maskBox > 0;
    const int ringWidth = std::max(4, std::min(box.width, box.height) / 16);
    cv::Mat ring;
    cv::dilate(inside, ring,
               cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * ringWidth + 1, 2 * ringWidth + 1)));
    ring &= ~inside;
    if (cv::countNonZero(ring) < 16) return drawn;

    cv::Mat drawnLab, originalLab;
    view(drawn).convertTo(drawnLab, CV_32FC3, 1.0 / 255.0);
    cv::Mat originalBox = view(original)(rect(box));
    if (original.channels == 4) cv::cvtColor(originalBox, originalBox, cv::COLOR_RGBA2RGB);
    originalBox.convertTo(originalLab, CV_32FC3, 1.0 / 255.0);
    cv::cvtColor(drawnLab, drawnLab, cv::COLOR_RGB2Lab);
    cv::cvtColor(originalLab, originalLab, cv::COLOR_RGB2Lab);
    cv::Scalar drawnMean, drawnSpread, originalMean, originalSpread;
    cv::meanStdDev(drawnLab, drawnMean, drawnSpread, ring);
    cv::meanStdDev(originalLab, originalMean, originalSpread, ring);
    std::vector<cv::Mat> planes;
    cv::split(drawnLab, planes);
    for (int c = 0; c < 3; ++c) {
        // The spread is only nudged: the repainted part may rightly hold something of new contrast.
        const double ratio = drawnSpread[c] > 1e-3 ? std::clamp(originalSpread[c] / drawnSpread[c], 0.8, 1.25) : 1.0;
        planes[static_cast<std::size_t>(c)] =
            (planes[static_cast<std::size_t>(c)] - drawnMean[c]) * ratio + originalMean[c];
    }
    cv::merge(planes, drawnLab);
    cv::cvtColor(drawnLab, drawnLab, cv::COLOR_Lab2RGB);
    cv::Mat result;
    drawnLab.convertTo(result, CV_8UC3, 255.0);
    return fromMat(result);
}

ExtendedCanvas extendCanvas(const Image& image, const OutpaintMargins& margins) {
    const Image rgb = toRgb(image);
    const int width = rgb.width + margins.left + margins.right;
    const int height = rgb.height + margins.top + margins.bottom;
    ExtendedCanvas canvas;
    canvas.original = {margins.left, margins.top, rgb.width, rgb.height};

    cv::Mat newArea(height, width, CV_8UC1, cv::Scalar(255));
    newArea(rect(canvas.original)).setTo(0);

    cv::Mat extended;
    cv::copyMakeBorder(view(rgb), extended, margins.top, margins.bottom, margins.left, margins.right,
                       cv::BORDER_REPLICATE);
    cv::Mat fill;
    if (margins.fill == OutpaintFill::EdgeExtend) {
        const int widest = std::max({margins.left, margins.top, margins.right, margins.bottom});
        cv::GaussianBlur(extended, fill, cv::Size(0, 0), std::max(2.0, widest / 6.0), 0, cv::BORDER_REPLICATE);
    } else {
        // Telea's fast marching on a copy of at most 384 pixels a side: the fill is only a start for the
        // model, and full-size marching over a wide margin takes seconds.
        const double scale = std::min(1.0, 384.0 / std::max(width, height));
        const cv::Size small(std::max(1, static_cast<int>(std::lround(width * scale))),
                             std::max(1, static_cast<int>(std::lround(height * scale))));
        cv::Mat smallPicture, smallHole, filled;
        cv::resize(extended, smallPicture, small, 0, 0, cv::INTER_AREA);
        cv::resize(newArea, smallHole, small, 0, 0, cv::INTER_AREA);
        smallHole = smallHole > 0;  // any pixel touched by the new area is filled, not averaged with it
        cv::inpaint(smallPicture, smallHole, filled, 3, cv::INPAINT_TELEA);
        cv::resize(filled, fill, cv::Size(width, height), 0, 0, cv::INTER_CUBIC);
    }
    fill.copyTo(extended, newArea);
    view(rgb).copyTo(extended(rect(canvas.original)));
    canvas.image = fromMat(extended);

    // Distance of every old pixel to the new area: the band fades linearly to 0 at blendPixels + 1.
    cv::Mat distance;
    cv::Mat old = newArea == 0;
    cv::distanceTransform(old, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
    const int band = std::max(0, margins.blendPixels);
    cv::Mat weights = 1.0 - distance / static_cast<double>(band + 1);
    cv::max(weights, 0.0, weights);
    cv::Mat mask;
    weights.convertTo(mask, CV_8UC1, 255.0);
    mask.setTo(255, newArea);
    canvas.mask = fromMat(mask);
    return canvas;
}

RepaintPlan planRepaint(const GenerationRequest& request, int nativeSize) {
    if (!request.initImage) throw Error(ErrorKind::Internal, "planRepaint: no starting picture");
    const MaskOptions& options = request.maskOptions;
    std::optional<Image> userMask;
    if (request.mask) userMask = prepareMask(*request.mask, options.growPixels, options.blurPixels);

    RepaintPlan plan;
    if (request.outpaint.any()) {
        ExtendedCanvas extended = extendCanvas(*request.initImage, request.outpaint);
        plan.canvas = std::move(extended.image);
        plan.mask = std::move(extended.mask);
        if (userMask) {
            cv::Mat target = view(plan.mask)(rect(extended.original));
            cv::max(target, view(*userMask), target);
        }
    } else {
        if (!userMask) throw Error(ErrorKind::Internal, "planRepaint: inpainting without a mask");
        plan.canvas = toRgb(*request.initImage);
        plan.mask = std::move(*userMask);
    }

    const auto bounds = maskBounds(plan.mask);
    if (!bounds) {
        throw Error(ErrorKind::InvalidRequest,
                    request.mask && request.maskOptions.growPixels < 0
                        ? "Nothing is left to repaint: shrinking the mask by " + std::to_string(-options.growPixels) +
                              " pixels removed all of it. Paint a larger area or shrink less."
                        : "The mask is empty: nothing is marked to repaint. Paint over the part to change (white in a "
                          "mask file).");
    }
    const int canvasWidth = plan.canvas.width, canvasHeight = plan.canvas.height;
    if (options.onlyMasked) {
        plan.box = cropBoxAround(*bounds, options.paddingPixels, canvasWidth, canvasHeight);
        // Drawn at the model's own number of pixels (or the asked size's), in the box's shape.
        const double area = request.width > 0 && request.height > 0 ? double(request.width) * request.height
                                                                    : double(nativeSize) * nativeSize;
        const double aspect = double(plan.box.width) / plan.box.height;
        const double drawWidth = std::sqrt(area * aspect);
        plan.drawSize =
            gridSize(static_cast<int>(std::lround(drawWidth)), static_cast<int>(std::lround(area / drawWidth)));
    } else {
        plan.box = {0, 0, canvasWidth, canvasHeight};
        plan.drawSize = gridSize(canvasWidth, canvasHeight);
    }
    return plan;
}

Image finishRepaint(const RepaintPlan& plan, const Image& drawn, bool colourMatch) {
    Image atBox = resizeImage(toRgb(drawn), plan.box.width, plan.box.height);
    if (colourMatch) atBox = matchColours(atBox, plan.canvas, plan.mask, plan.box);
    return pasteBack(plan.canvas, atBox, plan.mask, plan.box);
}

}  // namespace storybrush::imaging
