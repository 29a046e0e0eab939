// GEGLU's gate in one pass. PyTorch runs it as two kernels (gelu over the strided second half into a new tensor,
// then the product), writing and reading the whole inner activation once more: for SD 1.5 at 64x64 latents that
// is 10.5 M values per transformer block.
#include "runtime/cuda/kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace storybrush::runtime::cuda {
namespace {

__device__ __forceinline__ float widen(__half v) { return __half2float(v); }
__device__ __forceinline__ float widen(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T> __device__ __forceinline__ T narrow(float v);
template <> __device__ __forceinline__ __half narrow<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 narrow<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// One output value per thread and grid-stride, so reads of both halves and the write stay coalesced along a row.
template <typename T>
__global__ void gegluKernel(const T* __restrict__ h, T* __restrict__ out, long long count, int inner) {
    const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
        const long long row = i / inner;
        const int column = static_cast<int>(i - row * inner);
        const T* in = h + row * 2 * inner;
        const float gate = widen(in[inner + column]);
        const float gelu = 0.5f * gate * (1.0f + erff(gate * 0.70710678118654752f));
        out[i] = narrow<T>(widen(in[column]) * gelu);
    }
}

}  // namespace

int gegluRows(const void* h, void* out, long long rows, int inner, HalfType type, void* stream) {
    const long long count = rows * inner;
    if (count == 0) return 0;
    constexpr int kThreads = 256;
    // Enough blocks to fill any current GPU several times over; the loop covers the rest.
    const long long wanted = (count + kThreads - 1) / kThreads;
    const unsigned blocks = static_cast<unsigned>(wanted < 65536 ? wanted : 65536);
    auto* s = static_cast<cudaStream_t>(stream);
    if (type == HalfType::BFloat16) {
        gegluKernel<__nv_bfloat16><<<blocks, kThreads, 0, s>>>(static_cast<const __nv_bfloat16*>(h),
                                                               static_cast<__nv_bfloat16*>(out), count, inner);
    } else {
        gegluKernel<__half><<<blocks, kThreads, 0, s>>>(static_cast<const __half*>(h), static_cast<__half*>(out), count, inner);
    }
    return static_cast<int>(cudaGetLastError());
}

}  // namespace storybrush::runtime::cuda
