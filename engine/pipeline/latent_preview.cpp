// Latent -> RGB projection for step previews.
#include "pipeline/latent_preview.h"

#include "pipeline/diffusion.h"

#include <algorithm>
#include <cstring>

namespace storybrush::pipeline {

Image latentPreview(const torch::Tensor& latents, bool sdxl) {
    // One row per latent channel, one column per R, G, B, then a bias (ref: ComfyUI latent_formats.SD15 and
    // SDXL latent_rgb_factors / latent_rgb_factors_bias).
    static const float kSd15[5][3] = {{0.3512f, 0.2297f, 0.3227f},
                                      {0.3250f, 0.4974f, 0.2350f},
                                      {-0.2829f, 0.1762f, 0.2721f},
                                      {-0.2120f, -0.2616f, -0.7177f},
                                      {0.0f, 0.0f, 0.0f}};
    static const float kSdxl[5][3] = {{0.3651f, 0.4232f, 0.4341f},
                                      {-0.2533f, -0.0042f, 0.1068f},
                                      {0.1076f, 0.1111f, -0.0362f},
                                      {-0.3165f, -0.2492f, -0.2188f},
                                      {0.1084f, -0.0175f, -0.0011f}};
    const auto table =
        torch::from_blob(const_cast<float*>(sdxl ? &kSdxl[0][0] : &kSd15[0][0]), {5, 3}, torch::kFloat32);
    const auto z = latents.detach().to(torch::kCPU, torch::kFloat32)[0];  // [4, h, w]
    if (z.size(0) != 4) return {};
    const auto rgb =
        torch::einsum("chw,cr->rhw", {z, table.narrow(0, 0, 4)}) + table[4].view({3, 1, 1});  // about [-1, 1]
    const auto bytes = ((rgb + 1) / 2)
                           .clamp(0, 1)
                           .mul(255)
                           .round()
                           .to(torch::kUInt8)
                           .repeat_interleave(8, 1)
                           .repeat_interleave(8, 2)
                           .permute({1, 2, 0})
                           .contiguous();
    Image out(static_cast<int>(bytes.size(1)), static_cast<int>(bytes.size(0)), 3);
    std::memcpy(out.pixels.data(), bytes.data_ptr<std::uint8_t>(), out.pixels.size());
    return out;
}

Image stepPreview(const models::TinyDecoder* taesd, const torch::Tensor& latents, bool sdxl) {
    torch::Tensor first = latents.narrow(0, 0, 1);
    if (!taesd) return latentPreview(first, sdxl);
    // A preview is looked at in a window, not printed: above 512 px the latents are averaged down first, which
    // keeps the decoder's cost (it grows with the picture's area) a small share of the drawing's (figures:
    // docs/performance.md).
    const std::int64_t factor = (std::max(first.size(2), first.size(3)) + kPreviewLatentSide - 1) / kPreviewLatentSide;
    if (factor > 1)
        first = torch::avg_pool2d(first, {factor, factor}, {factor, factor}, {0, 0}, /*ceil_mode=*/true,
                                  /*count_include_pad=*/false);
    return tensorToImage(taesd->decode(first));
}

}  // namespace storybrush::pipeline
