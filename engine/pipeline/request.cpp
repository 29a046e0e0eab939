// Names and validation of request fields: what needs no model to check.
#include <storybrush/engine.h>
#include <storybrush/request.h>
#include <storybrush/safety.h>

#include <array>
#include <string>
#include <utility>

namespace storybrush {

namespace {
constexpr std::array<std::pair<Sampler, std::string_view>, 7> kSamplerNames{{
    {Sampler::Euler, "euler"},
    {Sampler::EulerAncestral, "euler_a"},
    {Sampler::Ddim, "ddim"},
    {Sampler::DpmPP2M, "dpmpp2m"},
    {Sampler::DpmPP2MKarras, "dpmpp2m_karras"},
    {Sampler::Lcm, "lcm"},
    {Sampler::Pndm, "pndm"},
}};

// Largest side we accept: 4096 px is beyond every family's training size and about the limit of
// what an H100 decodes with the VAE at once; the canvas can still be extended step by step.
constexpr int kMaxSide = 4096;
constexpr int kMaxSteps = 500;
constexpr int kMaxBatch = 64;

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorKind::InvalidRequest, message); }

void checkImage(const Image& image, const char* what) {
    if (!image.isConsistent()) {
        invalid(std::string(what) + " is empty or its pixel buffer does not match its size (" +
                std::to_string(image.width) + "x" + std::to_string(image.height) + "x" +
                std::to_string(image.channels) + ", " + std::to_string(image.pixels.size()) + " bytes)");
    }
    if (image.width > kMaxSide || image.height > kMaxSide) {
        invalid(std::string(what) + " is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                " pixels; the largest side Storybrush works with is " + std::to_string(kMaxSide) +
                ". Make it smaller first.");
    }
}
}  // namespace

std::string_view samplerName(Sampler sampler) {
    for (const auto& [value, name] : kSamplerNames) {
        if (value == sampler) return name;
    }
    return "unknown";
}

std::optional<Sampler> samplerFromName(std::string_view name) {
    for (const auto& [value, samplerName] : kSamplerNames) {
        if (samplerName == name) return value;
    }
    return std::nullopt;
}

const std::vector<Sampler>& allSamplers() {
    static const std::vector<Sampler> samplers = [] {
        std::vector<Sampler> all;
        for (const auto& entry : kSamplerNames) all.push_back(entry.first);
        return all;
    }();
    return samplers;
}

std::string_view safetyCategoryName(SafetyCategory category) {
    switch (category) {
    case SafetyCategory::None: return "";
    case SafetyCategory::Sexual: return "sexual";
    case SafetyCategory::Minors: return "minors";
    case SafetyCategory::Violence: return "violence";
    case SafetyCategory::Weapons: return "weapons";
    case SafetyCategory::SelfHarm: return "self_harm";
    case SafetyCategory::Drugs: return "drugs";
    case SafetyCategory::Horror: return "horror";
    case SafetyCategory::Hate: return "hate";
    }
    return "";
}

std::string_view kidModeNegativePrompt() {
    return "nsfw, nude, naked, sexy, blood, gore, violence, weapon, gun, scary, horror, creepy, dark, "
           "cigarette, alcohol, text, watermark";
}

void validateRequest(const GenerationRequest& request) {
    if (request.model.empty()) invalid("No model was chosen: give a model file or folder, or \"builtin\".");
    for (const auto& [side, value] :
         {std::pair<const char*, int>{"width", request.width}, {"height", request.height}}) {
        if (value == 0) continue;  // the model's native size
        if (value < 64 || value > kMaxSide || value % 8 != 0) {
            invalid(std::string(side) + " " + std::to_string(value) +
                    " is not usable: it must be a multiple of 8 between 64 and " + std::to_string(kMaxSide) +
                    " (0 means the model's own size).");
        }
    }
    if (!(request.aspectRatio >= 0.25f && request.aspectRatio <= 4.0f)) {
        invalid("aspect ratio " + std::to_string(request.aspectRatio) +
                " is out of range: use 0.25 (tall) to 4 (wide).");
    }
    if (request.steps < 1 || request.steps > kMaxSteps) {
        invalid("steps " + std::to_string(request.steps) + " is out of range: use 1 to " + std::to_string(kMaxSteps) +
                ".");
    }
    if (!(request.cfgScale >= 0.0f && request.cfgScale <= 50.0f)) {
        invalid("CFG scale " + std::to_string(request.cfgScale) + " is out of range: use 0 to 50 (7.5 is usual).");
    }
    if (request.batchSize < 1 || request.batchSize > kMaxBatch) {
        invalid("batch " + std::to_string(request.batchSize) + " is out of range: use 1 to " +
                std::to_string(kMaxBatch) + ".");
    }
    if (request.clipSkip < 1 || request.clipSkip > 12) {
        invalid("clip skip " + std::to_string(request.clipSkip) + " is out of range: use 1 (none) to 12.");
    }
    if (!(request.previewsPerSecond >= 0.0)) invalid("the preview rate must be 0 or more per second.");
    if (request.initImage) {
        checkImage(*request.initImage, "The starting picture");
        if (!(request.strength > 0.0f && request.strength <= 1.0f)) {
            invalid("strength " + std::to_string(request.strength) +
                    " is out of range: use a value above 0 and at most 1.");
        }
    } else if (request.mask || request.outpaint.any()) {
        invalid("A mask or canvas extension needs a starting picture to work on.");
    }
    if (request.mask) {
        checkImage(*request.mask, "The mask");
        if (request.mask->channels != 1)
            invalid("The mask must have one channel (grey), got " + std::to_string(request.mask->channels) + ".");
        if (request.initImage &&
            (request.mask->width != request.initImage->width || request.mask->height != request.initImage->height)) {
            invalid("The mask is " + std::to_string(request.mask->width) + "x" + std::to_string(request.mask->height) +
                    " but the picture is " + std::to_string(request.initImage->width) + "x" +
                    std::to_string(request.initImage->height) + ": they must be the same size.");
        }
    }
    const auto& m = request.outpaint;
    if (m.left < 0 || m.top < 0 || m.right < 0 || m.bottom < 0) invalid("Canvas extensions cannot be negative.");
    if (request.initImage && (request.initImage->width + m.left + m.right > kMaxSide ||
                              request.initImage->height + m.top + m.bottom > kMaxSide)) {
        invalid("The extended canvas would be larger than " + std::to_string(kMaxSide) + " pixels on a side.");
    }
    const auto& mo = request.maskOptions;
    if (mo.blurPixels < 0 || mo.blurPixels > 256)
        invalid("mask blur " + std::to_string(mo.blurPixels) + " is out of range: use 0 to 256 pixels.");
    if (mo.growPixels < -256 || mo.growPixels > 256) {
        invalid("mask grow " + std::to_string(mo.growPixels) + " is out of range: use -256 (shrink) to 256 pixels.");
    }
    if (mo.paddingPixels < 0 || mo.paddingPixels > kMaxSide) {
        invalid("padding " + std::to_string(mo.paddingPixels) + " is out of range: use 0 to " +
                std::to_string(kMaxSide) + " pixels.");
    }
    if (m.blendPixels < 0 || m.blendPixels > 256) {
        invalid("the outpaint blend band " + std::to_string(m.blendPixels) + " is out of range: use 0 to 256 pixels.");
    }
    for (const auto& lora : request.loras) {
        if (lora.path.empty()) invalid("A style add-on (LoRA) was given without a file.");
        if (!(lora.weight >= -4.0f && lora.weight <= 4.0f)) {
            invalid("The weight of " + lora.path + " is out of range: use -4 to 4 (usually 0.5 to 1).");
        }
    }
}

}  // namespace storybrush
