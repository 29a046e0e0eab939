// GEGLU's gate in one pass. PyTorch runs it as two kernels (gelu over the strided second half into a new tensor,
// then the product), writing and reading the whole inner activation once more: for SD 1.5 at 64x64 latents that
// is 10.5 M values per transformer block.
#include "runtime/cuda/half_vectors.cuh"
#include "runtime/cuda/kernels.h"

#include <cstdint>
#include <cuda_runtime.h>

namespace storybrush::runtime::cuda {
namespace {

__device__ __forceinline__ float gated(float value, float gate) {
    return value * 0.5f * gate * (1.0f + erff(gate * 0.70710678118654752f));
}

// One output value per thread and grid-stride, so reads of both halves and the write stay coalesced along a row.
template <typename T>
__global__ void gegluKernel(const T* __restrict__ h, T* __restrict__ out, long long count, int inner) {
    const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
        const long long row = i / inner;
        const int column = static_cast<int>(i - row * inner);
        const T* in = h + row * 2 * inner;
        out[i] = narrow<T>(gated(widen(in[column]), widen(in[inner + column])));
    }
}

// Eight values per thread in 16-byte loads and stores, and one division per eight instead of one per value: for
// rows whose halves start on 16-byte boundaries. The one-value kernel above serves the rest.
template <typename T>
__global__ void gegluKernel8(const uint4* __restrict__ h, uint4* __restrict__ out, long long vectors,
                             int innerVectors) {
    const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long v = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; v < vectors; v += stride) {
        const long long row = v / innerVectors;
        const int column = static_cast<int>(v - row * innerVectors);
        const uint4* in = h + row * 2 * innerVectors;
        Vector8 value, gate, result;
        value.raw = in[column];
        gate.raw = in[innerVectors + column];
        for (int j = 0; j < kVector; ++j) {
            result.bits[j] =
                toBits(narrow<T>(gated(widen(fromBits<T>(value.bits[j])), widen(fromBits<T>(gate.bits[j])))));
        }
        out[v] = result.raw;
    }
}

template <typename T>
void launchGeglu(const void* h, void* out, long long rows, int inner, cudaStream_t stream) {
    constexpr int kThreads = 256;
    // Enough blocks to fill any current GPU several times over; the loop covers the rest.
    const auto blocksFor = [](long long work) {
        const long long wanted = (work + kThreads - 1) / kThreads;
        return static_cast<unsigned>(wanted < 65536 ? wanted : 65536);
    };
    const bool aligned = inner % kVector == 0 && reinterpret_cast<std::uintptr_t>(h) % 16 == 0 &&
                         reinterpret_cast<std::uintptr_t>(out) % 16 == 0;
    if (aligned) {
        const long long vectors = rows * inner / kVector;
        gegluKernel8<T><<<blocksFor(vectors), kThreads, 0, stream>>>(
            static_cast<const uint4*>(h), static_cast<uint4*>(out), vectors, inner / kVector);
    } else {
        const long long count = rows * inner;
        gegluKernel<T>
            <<<blocksFor(count), kThreads, 0, stream>>>(static_cast<const T*>(h), static_cast<T*>(out), count, inner);
    }
}

}  // namespace

int gegluRows(const void* h, void* out, long long rows, int inner, HalfType type, void* stream) {
    if (rows * inner == 0) return 0;
    auto* s = static_cast<cudaStream_t>(stream);
    if (type == HalfType::BFloat16) {
        launchGeglu<__nv_bfloat16>(h, out, rows, inner, s);
    } else {
        launchGeglu<__half>(h, out, rows, inner, s);
    }
    return static_cast<int>(cudaGetLastError());
}

}  // namespace storybrush::runtime::cuda
