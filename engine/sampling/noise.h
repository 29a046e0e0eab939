// Seeded noise drawn on the CPU exactly as torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))
// draws it, so a seed gives the same picture on every machine (CPU noise, as ComfyUI and InvokeAI do).
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace storybrush::sampling {

// One draw from a fresh CPU generator seeded `seed`: float32, on the CPU. Move it to the device (and
// cast it to the model's dtype) afterwards: the numbers never depend on the device.
torch::Tensor cpuNoise(std::uint64_t seed, at::IntArrayRef shape);

// Noise that a sampler draws during sampling (Euler ancestral every step, LCM between steps).
// Not thread-safe: one source per generation, used on the engine thread.
class NoiseSource {
public:
    virtual ~NoiseSource() = default;
    // The next draw of `shape`: float32 on the CPU.
    virtual torch::Tensor next(at::IntArrayRef shape) = 0;
};

// CPU generators seeded once and drawn on every call, as a diffusers pipeline given
// generator=torch.Generator("cpu").manual_seed(seed) does. With one seed the whole shape is drawn from
// one generator; with one seed per picture (shape[0] == seeds.size() > 1) each picture's slice [1, ...]
// is drawn from its own generator, as diffusers does for a list of generators (batch picture i, seed S+i).
class CpuNoiseSource final : public NoiseSource {
public:
    explicit CpuNoiseSource(std::uint64_t seed);
    explicit CpuNoiseSource(const std::vector<std::uint64_t>& seeds);  // throws Error(InvalidRequest) if empty
    torch::Tensor next(at::IntArrayRef shape) override;  // throws Error(InvalidRequest) on a batch mismatch

private:
    std::vector<at::Generator> m_generators;
};

}  // namespace storybrush::sampling
