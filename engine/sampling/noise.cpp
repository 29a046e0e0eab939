// Seeded CPU noise: libtorch's CPU generator is PyTorch's mt19937 generator, so torch::randn with it draws
// the same numbers as torch.randn in Python (both the <16-element scalar path and the vectorised one).
#include "sampling/noise.h"

#include <storybrush/error.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <string>

namespace storybrush::sampling {
namespace {

torch::Tensor draw(at::Generator& generator, at::IntArrayRef shape) {
    // randn locks the generator's mutex itself.
    return torch::randn(shape, generator, torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCPU));
}

}  // namespace

torch::Tensor cpuNoise(std::uint64_t seed, at::IntArrayRef shape) {
    at::Generator generator = at::detail::createCPUGenerator(seed);
    return draw(generator, shape);
}

CpuNoiseSource::CpuNoiseSource(std::uint64_t seed) : CpuNoiseSource(std::vector<std::uint64_t>{seed}) {}

CpuNoiseSource::CpuNoiseSource(const std::vector<std::uint64_t>& seeds) {
    if (seeds.empty()) throw Error(ErrorKind::InvalidRequest, "a noise source needs at least one seed");
    for (std::uint64_t seed : seeds) m_generators.push_back(at::detail::createCPUGenerator(seed));
}

torch::Tensor CpuNoiseSource::next(at::IntArrayRef shape) {
    if (m_generators.size() == 1) return draw(m_generators.front(), shape);
    if (shape.empty() || shape[0] != static_cast<std::int64_t>(m_generators.size())) {
        throw Error(ErrorKind::InvalidRequest, "noise for a batch of " + std::to_string(shape.empty() ? 0 : shape[0]) +
                                                   " pictures asked of a source with " +
                                                   std::to_string(m_generators.size()) + " seeds (one per picture)");
    }
    std::vector<std::int64_t> one(shape.size(), 1);  // [1, rest of shape]
    for (std::size_t i = 1; i < shape.size(); ++i) one[i] = shape[i];
    std::vector<torch::Tensor> parts;
    parts.reserve(m_generators.size());
    for (at::Generator& generator : m_generators) parts.push_back(draw(generator, one));
    return torch::cat(parts, 0);
}

}  // namespace storybrush::sampling
