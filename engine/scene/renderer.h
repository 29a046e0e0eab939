// Drawing a laid-out scene: the place as a simple picture-book background, then each thing's art at its box, in
// layer order, mirrored or recoloured where asked. SVG art is rendered at the size it is drawn (librsvg), so a
// scene is sharp at any size; raster art is scaled.
#pragma once

#include "scene/layout.h"

#include <storybrush/image.h>

#include <filesystem>
#include <string>

namespace storybrush::scene {

// Where the library's art files are: `root`/<source>/<name> for an art reference "<source>:<name>" (twemoji:1f407 is
// twemoji/1f407.svg; tuxpaint:animals/x.png and openclipart:... keep their own extension).
class ArtFolder {
public:
    explicit ArtFolder(std::filesystem::path root) : m_root(std::move(root)) {}
    // resources/library/art, found as every resource is. Throws Error(ModelFile) when the art is not installed.
    static ArtFolder installed();
    std::filesystem::path fileOf(const std::string& reference) const;  // empty when the file is not there

private:
    std::filesystem::path m_root;
};

// One art file as an RGBA picture of width x height (aspect kept, centred on transparent). Throws Error(ModelFile)
// naming the file when it cannot be read.
Image renderArt(const std::filesystem::path& file, int width, int height);

// The place's background: sky and ground (or water, or space) in soft picture-book colours. RGB.
Image renderBackground(const std::string& place, double groundLine, int width, int height);

// The whole scene as an RGB picture. A thing whose art is missing is left out of the picture, never a failure.
Image renderScene(const Layout& layout, const ThingLibrary& library, const ArtFolder& art, int width, int height);

// Turns a picture's colourful pixels towards `colour` ("red", "blue", ...; black, white, grey and brown darken,
// lighten or dull them), keeping its light and shade. Transparent pixels stay as they are.
void recolour(Image& rgba, const std::string& colour);

}  // namespace storybrush::scene
