// TAESD (diffusers AutoencoderTiny), the decoder only: a cheap look at the latents for step previews.
// ref: diffusers DecoderTiny and AutoencoderTinyBlock.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace storybrush::models {

class TinyDecoder {
public:
    // `folder`: an AutoencoderTiny folder (config.json + diffusion_pytorch_model.safetensors). Throws
    // Error(ModelFile) naming what is missing.
    // dtype: what it computes in (float16 on a GPU: previews need no more, and it halves their cost).
    static std::shared_ptr<TinyDecoder> load(const std::string& folder, const torch::Device& device = torch::kCPU,
                                             torch::ScalarType dtype = torch::kFloat32);
    // The full-size TAESD (64 channels, blocks 3-3-3-1) with random weights: the same work as the real one, for
    // `bench` on machines without the file.
    static std::shared_ptr<TinyDecoder> makeRandom(const torch::Device& device, torch::ScalarType dtype,
                                                   std::uint64_t seed);
    // Looks for one in `vae_approx/` or `taesd/` inside or beside the model; "" when there is none.
    static std::string findFor(const std::string& modelPath);

    // Latents as the UNet makes them ([B, 4, h, w]) -> picture [B, 3, 8h, 8w] in about [-1, 1], float32.
    torch::Tensor decode(const torch::Tensor& latents) const;

    struct Impl;
    ~TinyDecoder();

private:
    TinyDecoder();
    std::unique_ptr<Impl> m_impl;
};

}  // namespace storybrush::models
