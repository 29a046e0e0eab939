// libpng reading and writing. libpng reports errors by longjmp, so each libpng call sequence lives in a
// function that owns only plain C data; C++ objects stay outside the setjmp region.
#include "imaging/png_io.h"

#include <storybrush/error.h>

#include <png.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace storybrush::imaging {

namespace {

struct PngError {
    char message[256] = {0};
};

void onError(png_structp png, png_const_charp message) {
    auto* error = static_cast<PngError*>(png_get_error_ptr(png));
    std::snprintf(error->message, sizeof error->message, "%s", message);
    png_longjmp(png, 1);
}

void onWarning(png_structp, png_const_charp) {}

// Returns false and fills `error` when libpng fails.
bool writeRows(FILE* file, const Image& image, png_text* texts, int textCount, PngError* error) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, error, onError, onWarning);
    if (!png) return false;
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_init_io(png, file);
    const int colour = image.channels == 1   ? PNG_COLOR_TYPE_GRAY
                       : image.channels == 4 ? PNG_COLOR_TYPE_RGBA
                                             : PNG_COLOR_TYPE_RGB;
    png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8, colour,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (textCount > 0) png_set_text(png, info, texts, textCount);
    png_write_info(png, info);
    const std::size_t stride = static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.channels);
    for (int y = 0; y < image.height; ++y) {
        png_write_row(png, const_cast<png_bytep>(image.pixels.data() + stride * static_cast<std::size_t>(y)));
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return true;
}

struct ReadResult {
    png_uint_32 width = 0, height = 0;
    int channels = 0;
};

// Two passes over the same function keep the setjmp region free of C++ objects: first the header (pixels
// null), then the rows into the caller's buffer. texts/textCount are filled by the first pass.
bool readFile(FILE* file, ReadResult* result, unsigned char* pixels, std::size_t capacity,
              void (*onText)(void*, const char*, const char*), void* textSink, PngError* error) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, error, onError, onWarning);
    if (!png) return false;
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        return false;
    }
    png_init_io(png, file);
    png_read_info(png, info);
    png_set_expand(png);  // palette -> RGB, grey < 8 bits -> 8, tRNS -> alpha
    png_set_strip_16(png);
    const int colourType = png_get_color_type(png, info);
    if (colourType == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_strip_alpha(png);
    png_read_update_info(png, info);
    result->width = png_get_image_width(png, info);
    result->height = png_get_image_height(png, info);
    result->channels = png_get_channels(png, info);
    if (pixels) {
        const std::size_t stride = png_get_rowbytes(png, info);
        if (stride * result->height > capacity) png_error(png, "unexpected row size");
        for (png_uint_32 y = 0; y < result->height; ++y) png_read_row(png, pixels + stride * y, nullptr);
        png_read_end(png, info);
        png_textp texts = nullptr;
        int count = 0;
        png_get_text(png, info, &texts, &count);
        for (int i = 0; i < count && onText; ++i) onText(textSink, texts[i].key, texts[i].text ? texts[i].text : "");
    }
    png_destroy_read_struct(&png, &info, nullptr);
    return true;
}

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
    throw Error(ErrorKind::Io, "Could not " + problem + " (" + path + ").");
}

Image readWithText(const std::string& path, std::map<std::string, std::string>* text) {
    FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) fail(path, std::string("open the picture: ") + std::strerror(errno));
    unsigned char signature[8] = {0};
    const bool isPng = std::fread(signature, 1, 8, file) == 8 && png_sig_cmp(signature, 0, 8) == 0;
    if (!isPng) {
        std::fclose(file);
        fail(path, "read the picture: it is not a PNG file");
    }
    PngError error;
    ReadResult header;
    std::rewind(file);
    if (!readFile(file, &header, nullptr, 0, nullptr, nullptr, &error)) {
        std::fclose(file);
        fail(path, std::string("read the picture: ") + error.message);
    }
    if (header.width == 0 || header.height == 0 || header.width > 16384 || header.height > 16384) {
        std::fclose(file);
        fail(path, "read the picture: its size is not usable");
    }
    Image image(static_cast<int>(header.width), static_cast<int>(header.height), header.channels);
    std::rewind(file);
    const auto sink = [](void* target, const char* key, const char* value) {
        (*static_cast<std::map<std::string, std::string>*>(target))[key] = value;
    };
    std::map<std::string, std::string> ignored;
    const bool ok =
        readFile(file, &header, image.pixels.data(), image.pixels.size(), sink, text ? text : &ignored, &error);
    std::fclose(file);
    if (!ok) fail(path, std::string("read the picture: ") + error.message);
    return image;
}

}  // namespace

void writePng(const std::string& path, const Image& image, const PngText& text) {
    if (!image.isConsistent()) throw Error(ErrorKind::Internal, "writePng: the picture's pixel buffer is inconsistent");
    const std::string partial = path + ".part";
    FILE* file = std::fopen(partial.c_str(), "wb");
    if (!file) fail(path, std::string("save the picture: ") + std::strerror(errno));
    std::vector<png_text> texts(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::memset(&texts[i], 0, sizeof(png_text));
        // iTXt carries UTF-8 (Chinese prompts); A1111 writes and reads "parameters" the same way.
        texts[i].compression = PNG_ITXT_COMPRESSION_NONE;
        texts[i].key = const_cast<char*>(text[i].first.c_str());
        texts[i].text = const_cast<char*>(text[i].second.c_str());
        texts[i].text_length = 0;
        texts[i].itxt_length = text[i].second.size();
    }
    PngError error;
    bool ok = writeRows(file, image, texts.data(), static_cast<int>(texts.size()), &error);
    const bool flushed = std::fflush(file) == 0;
    const int savedErrno = errno;
    ok = (std::fclose(file) == 0) && ok && flushed;
    if (!ok) {
        std::remove(partial.c_str());
        fail(path, std::string("save the picture: ") + (error.message[0] ? error.message : std::strerror(savedErrno)) +
                       " (is the disk full?)");
    }
    std::error_code renameError;
    std::filesystem::rename(partial, path, renameError);
    if (renameError) {
        std::remove(partial.c_str());
        fail(path, "save the picture: " + renameError.message());
    }
}

Image readPng(const std::string& path) { return readWithText(path, nullptr); }

std::map<std::string, std::string> readPngText(const std::string& path) {
    std::map<std::string, std::string> text;
    readWithText(path, &text);
    return text;
}

}  // namespace storybrush::imaging
