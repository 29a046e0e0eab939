// SDXL: Stable Diffusion's model with two text encoders and added conditioning (sizes, pooled text), 1024x1024.
// Its checkpoints are read and loaded as the other SD families' are (families/stable_diffusion.cpp).
#include "pipeline/families/stable_diffusion.h"

namespace storybrush::pipeline {

namespace {

class SdxlFamily final : public StableDiffusionFamily {
public:
    std::string_view id() const override { return "sdxl"; }
    std::string_view displayName() const override { return "SDXL"; }
    FamilyDefaults defaults() const override { return {1024, 25, 7.5f, std::nullopt}; }
    bool sdxlLoraNames() const override { return true; }

protected:
    io::ModelFamily checkpointKind() const override { return io::ModelFamily::SDXL; }
};

}  // namespace

const Family& sdxlFamily() {
    static const SdxlFamily family;
    return family;
}

}  // namespace storybrush::pipeline
