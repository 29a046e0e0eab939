// A1111's "parameters" text. ref: A1111 modules/processing.py create_infotext.
#include <storybrush/parameters.h>

#include <iomanip>
#include <sstream>

namespace storybrush {

std::string a1111SamplerName(Sampler sampler) {
    switch (sampler) {
    case Sampler::Euler: return "Euler";
    case Sampler::EulerAncestral: return "Euler a";
    case Sampler::Ddim: return "DDIM";
    case Sampler::DpmPP2M: return "DPM++ 2M";
    case Sampler::DpmPP2MKarras: return "DPM++ 2M Karras";
    case Sampler::Lcm: return "LCM";
    case Sampler::Pndm: return "PLMS";  // PNDM with skip_prk_steps is PLMS, as A1111 names it
    }
    return "Euler";
}

namespace {
// A1111 prints floats the Python way: 7.5, 7.0 -> 7, 0.75.
std::string number(double value) {
    std::ostringstream out;
    out << std::setprecision(6) << value;
    return out.str();
}
}  // namespace

std::string parametersText(const GenerationRequest& request, std::uint64_t seed, int width, int height,
                           const std::string& modelName) {
    std::ostringstream out;
    out << request.prompt << "\n";
    if (!request.negativePrompt.empty()) out << "Negative prompt: " << request.negativePrompt << "\n";
    out << "Steps: " << request.steps << ", Sampler: " << a1111SamplerName(request.sampler)
        << ", CFG scale: " << number(request.cfgScale) << ", Seed: " << seed << ", Size: " << width << "x" << height
        << ", Model: " << modelName;
    if (request.mode() == GenerationMode::ImageToImage) out << ", Denoising strength: " << number(request.strength);
    if (request.clipSkip > 1) out << ", Clip skip: " << request.clipSkip;
    return out.str();
}

}  // namespace storybrush
