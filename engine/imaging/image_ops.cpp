// Picture files (PNG through libpng for its text chunks, JPEG and WebP through their libraries) and
// resampling through OpenCV.
#include "imaging/image_ops.h"

#include "imaging/codecs.h"
#include "imaging/cv_image.h"
#include "imaging/png_io.h"

#include <storybrush/error.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace storybrush::imaging {

namespace {

std::string lowerExtension(const std::string& path) {
    std::string extension = std::filesystem::u8path(path).extension().u8string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return extension;
}

}  // namespace

Image readImage(const std::string& path) {
    const auto file = std::filesystem::u8path(path);
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error))
        throw Error(ErrorKind::Io, "The picture " + path + " does not exist.");
    std::ifstream in(file, std::ios::binary);
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw Error(ErrorKind::Io, "Cannot read " + path + ": the file could not be read.");
    switch (sniffFileKind(bytes)) {
    case FileKind::Png: return readPng(path);
    case FileKind::Jpeg: return decodeJpeg(bytes, path);
    case FileKind::WebP: return decodeWebP(bytes, path);
    case FileKind::Unknown: break;
    }
    throw Error(ErrorKind::Io, "Cannot read " + path + ": it is not a PNG, JPEG or WebP picture.");
}

void writeImage(const std::string& path, const Image& image) {
    if (!image.isConsistent()) throw Error(ErrorKind::Internal, "writeImage: the picture's pixel buffer is incomplete");
    const std::string extension = lowerExtension(path);
    if (extension == ".png" || extension.empty()) {
        writePng(path, image);
        return;
    }
    std::vector<unsigned char> bytes;
    if (extension == ".jpg" || extension == ".jpeg") {
        bytes = encodeJpeg(image.channels == 4 ? toRgb(image) : image, 95);  // flattened onto white paper
    } else if (extension == ".webp") {
        bytes = encodeWebPLossless(image.channels == 1 ? toRgb(image) : image);
    } else {
        throw Error(ErrorKind::Io, "Cannot write " + path + ": use a .png, .jpg or .webp file name.");
    }
    // As writePng: a partial file under another name, renamed only when complete.
    const auto target = std::filesystem::u8path(path);
    const auto partial = std::filesystem::u8path(path + ".part");
    std::error_code error;
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) {
            std::filesystem::remove(partial, error);
            throw Error(ErrorKind::Io, "Cannot write " + path + ": the folder is not writable or the disk is full.");
        }
    }
    std::filesystem::rename(partial, target, error);
    if (error) {
        std::filesystem::remove(partial, error);
        throw Error(ErrorKind::Io, "Cannot write " + path + ": " + error.message() + ".");
    }
}

Size gridSize(int width, int height, int minSide) {
    if (width <= 0 || height <= 0)
        throw Error(ErrorKind::InvalidRequest, "A picture needs a width and height above 0.");
    double w = width, h = height;
    const double smallest = std::min(w, h);
    if (smallest < minSide) {
        w *= minSide / smallest;
        h *= minSide / smallest;
    }
    const auto snap = [minSide](double side) {
        return std::max(minSide, static_cast<int>(std::lround(side / 8.0)) * 8);
    };
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
