// Latent -> RGB projection for step previews.
#include "pipeline/latent_preview.h"

#include <cstring>

namespace storybrush::pipeline {

Image latentPreview(const torch::Tensor& latents) {
    // One row per latent channel, one column per R, G, B (ref: ComfyUI latent_formats.SD15.latent_rgb_factors).
    static const float kFactors[4][3] = {
        {0.3512f, 0.2297f, 0.3227f}, {0.3250f, 0.4974f, 0.2350f}, {-0.2829f, 0.1762f, 0.2721f}, {-0.2120f, -0.0026f, -0.2183f}};
    const auto factors = torch::from_blob(const_cast<float*>(&kFactors[0][0]), {4, 3}, torch::kFloat32);
    const auto z = latents.detach().to(torch::kCPU, torch::kFloat32)[0];  // [4, h, w]
    if (z.size(0) != 4) return {};
    const auto rgb = torch::einsum("chw,cr->rhw", {z, factors});     // about [-1, 1]
    const auto bytes = ((rgb + 1) / 2).clamp(0, 1).mul(255).round().to(torch::kUInt8)
                           .repeat_interleave(8, 1).repeat_interleave(8, 2).permute({1, 2, 0}).contiguous();
    Image out(static_cast<int>(bytes.size(1)), static_cast<int>(bytes.size(0)), 3);
    std::memcpy(out.pixels.data(), bytes.data_ptr<std::uint8_t>(), out.pixels.size());
    return out;
}

}  // namespace storybrush::pipeline
