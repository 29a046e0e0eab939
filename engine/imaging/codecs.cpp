// JPEG and WebP through their reference libraries.
#include "imaging/codecs.h"

#include <storybrush/error.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <jpeglib.h>
#include <webp/decode.h>
#include <webp/encode.h>

namespace storybrush::imaging {

namespace {

// libjpeg reports errors through a callback that must not return: jump back out of the library.
struct JpegError {
    jpeg_error_mgr manager;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

void onJpegError(j_common_ptr info) {
    auto* error = reinterpret_cast<JpegError*>(info->err);
    (*info->err->format_message)(info, error->message);
    std::longjmp(error->jump, 1);
}

}  // namespace

FileKind sniffFileKind(const std::vector<unsigned char>& head) {
    if (head.size() >= 8 && std::memcmp(head.data(), "\x89PNG\r\n\x1a\n", 8) == 0) return FileKind::Png;
    if (head.size() >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return FileKind::Jpeg;
    if (head.size() >= 12 && std::memcmp(head.data(), "RIFF", 4) == 0 && std::memcmp(head.data() + 8, "WEBP", 4) == 0) {
        return FileKind::WebP;
    }
    return FileKind::Unknown;
}

Image decodeJpeg(const std::vector<unsigned char>& bytes, const std::string& path) {
    jpeg_decompress_struct info{};
    JpegError error{};
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = onJpegError;
    Image image;  // declared before setjmp: nothing with a destructor is created between setjmp and longjmp
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        throw Error(ErrorKind::Io, "Cannot read " + path + ": the JPEG picture is damaged (" + error.message + ").");
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&info, TRUE);
    // CMYK and other colour spaces come out as RGB; grey stays grey.
    info.out_color_space = info.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    image = Image(static_cast<int>(info.output_width), static_cast<int>(info.output_height), info.output_components);
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = image.pixel(0, static_cast<int>(info.output_scanline));
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return image;
}

Image decodeWebP(const std::vector<unsigned char>& bytes, const std::string& path) {
    WebPBitstreamFeatures features{};
    if (WebPGetFeatures(bytes.data(), bytes.size(), &features) != VP8_STATUS_OK || features.width <= 0 ||
        features.height <= 0) {
        throw Error(ErrorKind::Io, "Cannot read " + path + ": the WebP picture is damaged.");
    }
    const int channels = features.has_alpha ? 4 : 3;
    Image image(features.width, features.height, channels);
    const int stride = features.width * channels;
    const auto* decoded =
        features.has_alpha
            ? WebPDecodeRGBAInto(bytes.data(), bytes.size(), image.pixels.data(), image.pixels.size(), stride)
            : WebPDecodeRGBInto(bytes.data(), bytes.size(), image.pixels.data(), image.pixels.size(), stride);
    if (!decoded) throw Error(ErrorKind::Io, "Cannot read " + path + ": the WebP picture is damaged.");
    return image;
}

std::vector<unsigned char> encodeJpeg(const Image& image, int quality) {
    if (image.channels != 1 && image.channels != 3) throw Error(ErrorKind::Internal, "encodeJpeg: grey or RGB only");
    jpeg_compress_struct info{};
    JpegError error{};
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = onJpegError;
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        std::free(buffer);
        throw Error(ErrorKind::Internal, std::string("JPEG encoding failed: ") + error.message);
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, &buffer, &size);
    info.image_width = static_cast<JDIMENSION>(image.width);
    info.image_height = static_cast<JDIMENSION>(image.height);
    info.input_components = image.channels;
    info.in_color_space = image.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = const_cast<unsigned char*>(image.pixel(0, static_cast<int>(info.next_scanline)));
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    std::vector<unsigned char> bytes(buffer, buffer + size);
    jpeg_destroy_compress(&info);
    std::free(buffer);
    return bytes;
}

std::vector<unsigned char> encodeWebPLossless(const Image& image) {
    if (image.channels != 3 && image.channels != 4)
        throw Error(ErrorKind::Internal, "encodeWebPLossless: RGB or RGBA only");
    std::uint8_t* output = nullptr;
    const std::size_t size =
        image.channels == 4
            ? WebPEncodeLosslessRGBA(image.pixels.data(), image.width, image.height, image.width * 4, &output)
            : WebPEncodeLosslessRGB(image.pixels.data(), image.width, image.height, image.width * 3, &output);
    if (size == 0 || !output) throw Error(ErrorKind::Internal, "WebP encoding failed");
    std::vector<unsigned char> bytes(output, output + size);
    WebPFree(output);
    return bytes;
}

}  // namespace storybrush::imaging
