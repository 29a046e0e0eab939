// Picture files and resampling through OpenCV; PNG through libpng (text chunks, and the GPU machine has no
// OpenCV image codecs: there only PNG is read).
#include "imaging/image_ops.h"

#include "imaging/png_io.h"

#include <storybrush/error.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#ifdef STORYBRUSH_HAVE_IMGCODECS
#include <opencv2/imgcodecs.hpp>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace storybrush::imaging {

namespace {

int cvType(int channels) { return CV_8UC(channels); }

// Views the pixels without copying; the Image must outlive the Mat.
cv::Mat view(const Image& image) {
    return cv::Mat(image.height, image.width, cvType(image.channels), const_cast<std::uint8_t*>(image.pixels.data()));
}

Image fromMat(const cv::Mat& mat) {
    Image out(mat.cols, mat.rows, mat.channels());
    cv::Mat target(mat.rows, mat.cols, mat.type(), out.pixels.data());
    mat.copyTo(target);
    return out;
}

std::string lowerExtension(const std::string& path) {
    std::string extension = std::filesystem::u8path(path).extension().u8string();
    std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
    return extension;
}

bool startsWithPngSignature(const std::string& path) {
    std::ifstream file(std::filesystem::u8path(path), std::ios::binary);
    char head[8] = {};
    file.read(head, 8);
    return file.gcount() == 8 && std::memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0;
}

}  // namespace

Image readImage(const std::string& path) {
    if (!std::filesystem::exists(std::filesystem::u8path(path))) {
        throw Error(ErrorKind::Io, "The picture " + path + " does not exist.");
    }
    if (startsWithPngSignature(path)) return readPng(path);
#ifdef STORYBRUSH_HAVE_IMGCODECS
    cv::Mat mat;
    try {
        mat = cv::imread(path, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception&) {
        mat.release();
    }
    if (mat.empty()) {
        throw Error(ErrorKind::Io, "Cannot read " + path + ": it is not a PNG, JPEG or WebP picture, or it is damaged.");
    }
    if (mat.depth() != CV_8U) {
        // 16-bit and float files: scale into 8 bits the way image viewers show them.
        const double scale = mat.depth() == CV_16U ? 1.0 / 257.0 : (mat.depth() == CV_32F || mat.depth() == CV_64F ? 255.0 : 1.0);
        mat.convertTo(mat, CV_8U, scale);
    }
    if (mat.channels() == 3) cv::cvtColor(mat, mat, cv::COLOR_BGR2RGB);
    else if (mat.channels() == 4) cv::cvtColor(mat, mat, cv::COLOR_BGRA2RGBA);
    else if (mat.channels() != 1) throw Error(ErrorKind::Io, "Cannot read " + path + ": unexpected channel count.");
    return fromMat(mat);
#else
    throw Error(ErrorKind::Io, "Cannot read " + path + ": this build reads PNG pictures only.");
#endif
}

void writeImage(const std::string& path, const Image& image) {
    if (!image.isConsistent()) throw Error(ErrorKind::Internal, "writeImage: the picture's pixel buffer is incomplete");
    const std::string extension = lowerExtension(path);
    if (extension == ".png" || extension.empty()) {
        writePng(path, image);
        return;
    }
#ifdef STORYBRUSH_HAVE_IMGCODECS
    if (extension == ".jpg" || extension == ".jpeg" || extension == ".webp") {
        cv::Mat mat = view(image).clone();
        if (image.channels == 3) cv::cvtColor(mat, mat, cv::COLOR_RGB2BGR);
        if (image.channels == 4 && extension == ".webp") cv::cvtColor(mat, mat, cv::COLOR_RGBA2BGRA);
        if (image.channels == 4 && extension != ".webp") {
            mat = view(toRgb(image)).clone();  // JPEG has no transparency: flattened onto white paper
            cv::cvtColor(mat, mat, cv::COLOR_RGB2BGR);
        }
        const std::vector<int> options = extension == ".webp" ? std::vector<int>{cv::IMWRITE_WEBP_QUALITY, 101}
                                                              : std::vector<int>{cv::IMWRITE_JPEG_QUALITY, 95};
        const std::string partial = path + ".part" + extension;
        bool written = false;
        try {
            written = cv::imwrite(partial, mat, options);
        } catch (const cv::Exception&) {
            written = false;
        }
        std::error_code error;
        if (written) std::filesystem::rename(std::filesystem::u8path(partial), std::filesystem::u8path(path), error);
        if (!written || error) {
            std::filesystem::remove(std::filesystem::u8path(partial), error);
            throw Error(ErrorKind::Io, "Cannot write " + path + ": the folder is not writable or the disk is full.");
        }
        return;
    }
#endif
    throw Error(ErrorKind::Io, "Cannot write " + path + ": use a .png, .jpg or .webp file name.");
}

Size gridSize(int width, int height, int minSide) {
    if (width <= 0 || height <= 0) throw Error(ErrorKind::InvalidRequest, "A picture needs a width and height above 0.");
    double w = width, h = height;
    const double smallest = std::min(w, h);
    if (smallest < minSide) {
        w *= minSide / smallest;
        h *= minSide / smallest;
    }
    const auto snap = [minSide](double side) { return std::max(minSide, static_cast<int>(std::lround(side / 8.0)) * 8); };
    return {snap(w), snap(h)};
}

Image resizeImage(const Image& image, int width, int height) {
    if (!image.isConsistent() || width <= 0 || height <= 0) {
        throw Error(ErrorKind::Internal, "resizeImage: empty picture or size");
    }
    if (width == image.width && height == image.height) return image;
    const bool shrinking = width <= image.width && height <= image.height;
    cv::Mat resized;
    cv::resize(view(image), resized, cv::Size(width, height), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_CUBIC);
    return fromMat(resized);
}

Image toRgb(const Image& image) {
    if (!image.isConsistent()) throw Error(ErrorKind::InvalidRequest, "The picture is empty or incomplete.");
    if (image.channels == 3) return image;
    cv::Mat rgb;
    if (image.channels == 1) {
        cv::cvtColor(view(image), rgb, cv::COLOR_GRAY2RGB);
        return fromMat(rgb);
    }
    // Transparent parts become white paper, not whatever colour the file keeps under alpha 0.
    cv::Mat colour, alpha, alpha3;
    cv::cvtColor(view(image), colour, cv::COLOR_RGBA2RGB);
    cv::extractChannel(view(image), alpha, 3);
    cv::cvtColor(alpha, alpha3, cv::COLOR_GRAY2RGB);
    colour.convertTo(colour, CV_32FC3);
    alpha3.convertTo(alpha3, CV_32FC3, 1.0 / 255.0);
    cv::Mat flattened = colour.mul(alpha3) + (cv::Scalar::all(1.0) - alpha3) * 255.0;
    flattened.convertTo(rgb, CV_8UC3);
    return fromMat(rgb);
}

Image maskFromImage(const Image& image) {
    if (!image.isConsistent()) throw Error(ErrorKind::InvalidRequest, "The mask picture is empty or incomplete.");
    if (image.channels == 1) return image;
    cv::Mat grey;
    if (image.channels == 4) {
        std::vector<cv::Mat> planes;
        cv::split(view(image), planes);
        double lowestAlpha = 255;
        cv::minMaxLoc(planes[3], &lowestAlpha);
        if (lowestAlpha < 255) return fromMat(planes[3]);
        cv::cvtColor(view(image), grey, cv::COLOR_RGBA2GRAY);
    } else {
        cv::cvtColor(view(image), grey, cv::COLOR_RGB2GRAY);
    }
    return fromMat(grey);
}

}  // namespace storybrush::imaging
