// Between storybrush::Image and cv::Mat: the one place the imaging part converts (internal to engine/imaging).
#pragma once

#include <storybrush/image.h>

#include <opencv2/core.hpp>

namespace storybrush::imaging {

// Views the pixels without copying; the Image must outlive the Mat.
inline cv::Mat view(const Image& image) {
    return cv::Mat(image.height, image.width, CV_8UC(image.channels), const_cast<std::uint8_t*>(image.pixels.data()));
}

// A copy of 8-bit pixels (1, 3 or 4 channels) into an Image.
inline Image fromMat(const cv::Mat& mat) {
    Image out(mat.cols, mat.rows, mat.channels());
    cv::Mat target(mat.rows, mat.cols, mat.type(), out.pixels.data());
    mat.copyTo(target);
    return out;
}

}  // namespace storybrush::imaging
