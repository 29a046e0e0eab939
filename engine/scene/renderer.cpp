// Drawing scenes: librsvg for vector art (the engine stays Qt-free, and the trainer on the GPU machine draws the
// same pictures as the studio), libpng for raster art, simple alpha compositing for the rest.
#include "scene/renderer.h"

#include "imaging/image_ops.h"
#include "imaging/png_io.h"
#include "runtime/resources.h"

#include <storybrush/error.h>

#include <librsvg/rsvg.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

namespace storybrush::scene {

namespace fs = std::filesystem;

namespace {

struct Rgb {
    double r, g, b;
};

// Soft picture-book colours for each place: sky top, sky at the horizon, ground near the horizon, ground at the
// bottom of the page. Places without ground use the first pair for the whole page.
struct Palette {
    Rgb skyTop, skyLow, groundFar, groundNear;
};

Palette paletteOf(const std::string& place) {
    static const std::map<std::string, Palette> palettes{
        {"meadow", {{150, 205, 245}, {215, 238, 250}, {150, 205, 110}, {105, 175, 80}}},
        {"garden", {{150, 205, 245}, {215, 238, 250}, {140, 200, 105}, {100, 170, 75}}},
        {"park", {{150, 205, 245}, {215, 238, 250}, {145, 205, 110}, {100, 172, 80}}},
        {"farm", {{160, 208, 245}, {225, 240, 248}, {190, 200, 110}, {150, 170, 80}}},
        {"forest", {{140, 195, 225}, {200, 230, 235}, {95, 150, 85}, {70, 120, 65}}},
        {"jungle", {{120, 185, 200}, {190, 225, 215}, {80, 140, 70}, {55, 110, 55}}},
        {"beach", {{140, 205, 245}, {210, 238, 250}, {240, 220, 160}, {230, 205, 140}}},
        {"desert", {{160, 210, 245}, {240, 235, 215}, {235, 205, 140}, {215, 175, 110}}},
        {"snow", {{170, 200, 230}, {225, 235, 245}, {245, 248, 252}, {225, 235, 245}}},
        {"mountain", {{145, 195, 240}, {215, 232, 248}, {150, 185, 130}, {115, 155, 100}}},
        {"street", {{155, 200, 240}, {220, 235, 248}, {180, 180, 185}, {140, 140, 148}}},
        {"city", {{155, 200, 240}, {220, 235, 248}, {175, 175, 180}, {135, 135, 142}}},
        {"playground", {{150, 205, 245}, {215, 238, 250}, {225, 190, 140}, {200, 165, 115}}},
        {"river", {{150, 205, 245}, {215, 238, 250}, {120, 185, 215}, {90, 160, 200}}},
        {"lake", {{150, 205, 245}, {215, 238, 250}, {115, 180, 215}, {85, 155, 200}}},
        {"zoo", {{150, 205, 245}, {215, 238, 250}, {185, 200, 120}, {150, 175, 95}}},
        {"cave", {{95, 85, 80}, {130, 115, 105}, {120, 105, 95}, {90, 80, 72}}},
        {"island", {{140, 205, 245}, {210, 238, 250}, {240, 220, 160}, {90, 175, 215}}},
        {"room", {{250, 235, 215}, {245, 225, 200}, {205, 165, 120}, {180, 140, 100}}},
        {"classroom", {{235, 240, 225}, {225, 232, 215}, {200, 170, 130}, {175, 145, 105}}},
        {"kitchen", {{250, 245, 230}, {240, 235, 220}, {215, 205, 195}, {190, 180, 170}}},
        {"sky", {{120, 185, 240}, {215, 236, 252}, {0, 0, 0}, {0, 0, 0}}},
        {"night_sky", {{20, 30, 75}, {60, 70, 130}, {0, 0, 0}, {0, 0, 0}}},
        {"space", {{8, 10, 30}, {30, 25, 70}, {0, 0, 0}, {0, 0, 0}}},
        {"underwater", {{70, 170, 210}, {20, 90, 150}, {0, 0, 0}, {0, 0, 0}}},
        {"sea", {{150, 210, 245}, {60, 140, 200}, {0, 0, 0}, {0, 0, 0}}},
    };
    const auto found = palettes.find(place);
    if (found != palettes.end()) return found->second;
    return {{250, 248, 240}, {245, 242, 232}, {235, 228, 212}, {225, 216, 198}};  // a plain page, a soft floor
}

Rgb mix(const Rgb& a, const Rgb& b, double t) {
    return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

// Over `target` (RGB) at (x, y): `art` (RGBA, straight alpha).
void drawOver(Image& target, const Image& art, int left, int top, bool mirrored) {
    for (int y = 0; y < art.height; ++y) {
        const int ty = top + y;
        if (ty < 0 || ty >= target.height) continue;
        for (int x = 0; x < art.width; ++x) {
            const int tx = left + x;
            if (tx < 0 || tx >= target.width) continue;
            const std::uint8_t* s = art.pixel(mirrored ? art.width - 1 - x : x, y);
            const int alpha = s[3];
            if (alpha == 0) continue;
            std::uint8_t* d = target.pixel(tx, ty);
            for (int c = 0; c < 3; ++c)
                d[c] = static_cast<std::uint8_t>((s[c] * alpha + d[c] * (255 - alpha) + 127) / 255);
        }
    }
}

void rgbToHsv(double r, double g, double b, double& h, double& s, double& v) {
    const double max = std::max({r, g, b}), min = std::min({r, g, b}), delta = max - min;
    v = max;
    s = max > 0 ? delta / max : 0;
    if (delta <= 0) {
        h = 0;
        return;
    }
    if (max == r) h = std::fmod((g - b) / delta + 6.0, 6.0);
    else if (max == g) h = (b - r) / delta + 2.0;
    else h = (r - g) / delta + 4.0;
    h *= 60.0;
}

void hsvToRgb(double h, double s, double v, double& r, double& g, double& b) {
    const double c = v * s, hp = std::fmod(h, 360.0) / 60.0, x = c * (1 - std::abs(std::fmod(hp, 2.0) - 1));
    double r1 = 0, g1 = 0, b1 = 0;
    if (hp < 1) r1 = c, g1 = x;
    else if (hp < 2) r1 = x, g1 = c;
    else if (hp < 3) g1 = c, b1 = x;
    else if (hp < 4) g1 = x, b1 = c;
    else if (hp < 5) r1 = x, b1 = c;
    else r1 = c, b1 = x;
    const double m = v - c;
    r = r1 + m, g = g1 + m, b = b1 + m;
}

}  // namespace

ArtFolder ArtFolder::installed() {
    std::string tried;
    const fs::path root = runtime::findResource("library/art", &tried);
    if (root.empty())
        throw Error(ErrorKind::ModelFile, "The picture library's art is not installed (looked in:" + tried + ").");
    return ArtFolder(root);
}

fs::path ArtFolder::fileOf(const std::string& reference) const {
    const auto colon = reference.find(':');
    if (colon == std::string::npos) return {};
    const std::string source = reference.substr(0, colon), name = reference.substr(colon + 1);
    if (name.find("..") != std::string::npos) return {};  // a reference never leaves the art folder
    fs::path file = m_root / source / fs::u8path(name);
    if (file.extension().empty()) file += ".svg";
    std::error_code error;
    return fs::is_regular_file(file, error) ? file : fs::path();
}

Image renderArt(const fs::path& file, int width, int height) {
    if (width <= 0 || height <= 0) throw Error(ErrorKind::Internal, "renderArt: an empty size");
    if (file.extension() != ".svg") {
        const Image picture = imaging::readPng(file.u8string());
        Image rgba(picture.width, picture.height, 4, 255);
        for (int y = 0; y < picture.height; ++y) {
            for (int x = 0; x < picture.width; ++x) {
                const std::uint8_t* s = picture.pixel(x, y);
                std::uint8_t* d = rgba.pixel(x, y);
                if (picture.channels >= 3) d[0] = s[0], d[1] = s[1], d[2] = s[2];
                else d[0] = d[1] = d[2] = s[0];
                d[3] = picture.channels == 4 ? s[3] : 255;
            }
        }
        // Aspect kept, centred.
        const double scale = std::min(double(width) / rgba.width, double(height) / rgba.height);
        const int w = std::max(1, int(std::lround(rgba.width * scale))),
                  h = std::max(1, int(std::lround(rgba.height * scale)));
        const Image scaled = imaging::resizeImage(rgba, w, h);
        Image out(width, height, 4, 0);
        const int left = (width - w) / 2, top = (height - h) / 2;
        for (int y = 0; y < h; ++y) std::copy_n(scaled.pixel(0, y), std::size_t(w) * 4, out.pixel(left, top + y));
        return out;
    }
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.empty()) throw Error(ErrorKind::ModelFile, "The picture " + file.u8string() + " cannot be read.");
    GError* error = nullptr;
    std::unique_ptr<RsvgHandle, void (*)(gpointer)> handle(
        rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(bytes.data()), bytes.size(), &error), g_object_unref);
    if (!handle) {
        const std::string reason = error ? error->message : "not an SVG picture";
        if (error) g_error_free(error);
        throw Error(ErrorKind::ModelFile, "The picture " + file.u8string() + " cannot be drawn: " + reason);
    }
    std::unique_ptr<cairo_surface_t, void (*)(cairo_surface_t*)> surface(
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height), cairo_surface_destroy);
    std::unique_ptr<cairo_t, void (*)(cairo_t*)> cr(cairo_create(surface.get()), cairo_destroy);
    const RsvgRectangle viewport{0, 0, double(width), double(height)};
    if (!rsvg_handle_render_document(handle.get(), cr.get(), &viewport, &error)) {
        const std::string reason = error ? error->message : "unknown";
        if (error) g_error_free(error);
        throw Error(ErrorKind::ModelFile, "The picture " + file.u8string() + " cannot be drawn: " + reason);
    }
    cairo_surface_flush(surface.get());
    // Cairo's ARGB32: premultiplied, one 32-bit word a pixel (B, G, R, A in memory on little-endian machines).
    const unsigned char* data = cairo_image_surface_get_data(surface.get());
    const int stride = cairo_image_surface_get_stride(surface.get());
    Image out(width, height, 4, 0);
    for (int y = 0; y < height; ++y) {
        const auto* row = reinterpret_cast<const std::uint32_t*>(data + std::size_t(y) * std::size_t(stride));
        for (int x = 0; x < width; ++x) {
            const std::uint32_t p = row[x];
            const unsigned a = p >> 24;
            std::uint8_t* d = out.pixel(x, y);
            d[3] = static_cast<std::uint8_t>(a);
            if (a == 0) continue;
            const unsigned channels[3] = {(p >> 16) & 0xFF, (p >> 8) & 0xFF, p & 0xFF};
            for (int c = 0; c < 3; ++c)
                d[c] = static_cast<std::uint8_t>(std::min(255u, (channels[c] * 255 + a / 2) / a));
        }
    }
    return out;
}

Image renderBackground(const std::string& place, double groundLine, int width, int height) {
    const Palette palette = paletteOf(place);
    Image out(width, height, 3);
    const double horizon = std::clamp(groundLine, 0.0, 1.0);
    for (int y = 0; y < height; ++y) {
        const double t = (y + 0.5) / height;
        Rgb colour;
        if (t < horizon) colour = mix(palette.skyTop, palette.skyLow, horizon > 0 ? t / horizon : 0);
        else colour = mix(palette.groundFar, palette.groundNear, horizon < 1 ? (t - horizon) / (1 - horizon) : 0);
        for (int x = 0; x < width; ++x) {
            std::uint8_t* d = out.pixel(x, y);
            d[0] = static_cast<std::uint8_t>(std::lround(colour.r));
            d[1] = static_cast<std::uint8_t>(std::lround(colour.g));
            d[2] = static_cast<std::uint8_t>(std::lround(colour.b));
        }
    }
    return out;
}

void recolour(Image& rgba, const std::string& colour) {
    static const std::map<std::string, double> hues{{"red", 0},     {"orange", 30}, {"yellow", 52},
                                                    {"green", 120}, {"blue", 215},  {"purple", 275},
                                                    {"pink", 330},  {"gold", 45},   {"brown", 25}};
    if (colour.empty() || rgba.channels != 4) return;
    const auto hue = hues.find(colour);
    for (int y = 0; y < rgba.height; ++y) {
        for (int x = 0; x < rgba.width; ++x) {
            std::uint8_t* p = rgba.pixel(x, y);
            if (p[3] == 0) continue;
            double h, s, v;
            rgbToHsv(p[0] / 255.0, p[1] / 255.0, p[2] / 255.0, h, s, v);
            // Outlines, eyes and white highlights stay: only the art's colourful parts take the new colour.
            if (s < 0.25 || v < 0.2) continue;
            if (colour == "white") s *= 0.12, v = 0.6 + 0.4 * v;
            else if (colour == "black") s *= 0.3, v *= 0.3;
            else if (colour == "grey" || colour == "silver") s *= 0.08, v = 0.35 + 0.5 * v;
            else if (hue != hues.end()) {
                h = hue->second;
                if (colour == "brown") s = std::max(s, 0.55), v *= 0.6;
                if (colour == "pink") s *= 0.55, v = 0.55 + 0.45 * v;
            } else {
                continue;
            }
            double r, g, b;
            hsvToRgb(h, s, v, r, g, b);
            p[0] = static_cast<std::uint8_t>(std::lround(std::clamp(r, 0.0, 1.0) * 255));
            p[1] = static_cast<std::uint8_t>(std::lround(std::clamp(g, 0.0, 1.0) * 255));
            p[2] = static_cast<std::uint8_t>(std::lround(std::clamp(b, 0.0, 1.0) * 255));
        }
    }
}

Image renderScene(const Layout& layout, const ThingLibrary& library, const ArtFolder& art, int width, int height) {
    Image picture = renderBackground(layout.place, layout.groundLine, width, height);
    for (const PlacedThing& item : layout.items) {
        const Thing* thing = library.byId(item.id);
        if (!thing) continue;
        fs::path file;
        for (const std::string& reference : thing->art) {
            if (!(file = art.fileOf(reference)).empty()) break;
        }
        if (file.empty()) continue;
        const int w = std::max(1, int(std::lround(item.box.width * width)));
        const int h = std::max(1, int(std::lround(item.box.height * height)));
        Image drawn = renderArt(file, w, h);
        recolour(drawn, item.colour);
        drawOver(picture, drawn, int(std::lround(item.box.x * width)), int(std::lround(item.box.y * height)),
                 item.flipped);
    }
    return picture;
}

}  // namespace storybrush::scene
