// GroupNorm (+ SiLU) on channels-last half-precision tensors in one kernel. PyTorch's group_norm works on NCHW:
// for the UNet's channels-last activations it costs layout copies there and back, a separate statistics pass and a
// separate SiLU: four or five kernels where this is one (issue 9).
#include "runtime/cuda/kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace storybrush::runtime::cuda {
namespace {

constexpr int kThreads = 512;

__device__ __forceinline__ float widen(__half v) { return __half2float(v); }
__device__ __forceinline__ float widen(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T> __device__ __forceinline__ T narrow(float v);
template <> __device__ __forceinline__ __half narrow<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 narrow<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// The sum of `value` over the block; every thread gets it. `scratch` holds one float per warp.
__device__ float blockSum(float value, float* scratch) {
    for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xffffffffu, value, offset);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) scratch[warp] = value;
    __syncthreads();
    if (warp == 0) {
        value = lane < (blockDim.x >> 5) ? scratch[lane] : 0.0f;
        for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xffffffffu, value, offset);
        if (lane == 0) scratch[0] = value;
    }
    __syncthreads();
    const float total = scratch[0];
    __syncthreads();  // scratch is reused by the next call
    return total;
}

// One block per (picture, group). The group's values are hw runs of cg channels, c apart; they are read three
// times (mean, variance, output): after the first, from L2.
template <typename T>
__global__ void __launch_bounds__(kThreads) groupNormNhwcKernel(const T* __restrict__ x, T* __restrict__ y,
                                                                const T* __restrict__ gamma, const T* __restrict__ beta,
                                                                int hw, int c, int groups, float eps, bool silu) {
    __shared__ float scratch[32];
    const int picture = blockIdx.x / groups, group = blockIdx.x % groups;
    const int cg = c / groups;
    const long long count = static_cast<long long>(hw) * cg;
    const long long base = static_cast<long long>(picture) * hw * c + static_cast<long long>(group) * cg;
    const auto at = [&](long long e) { return base + (e / cg) * c + (e % cg); };

    float sum = 0.0f;
    for (long long e = threadIdx.x; e < count; e += blockDim.x) sum += widen(x[at(e)]);
    const float mean = blockSum(sum, scratch) / static_cast<float>(count);
    float squares = 0.0f;
    for (long long e = threadIdx.x; e < count; e += blockDim.x) {
        const float d = widen(x[at(e)]) - mean;
        squares += d * d;
    }
    const float rstd = rsqrtf(blockSum(squares, scratch) / static_cast<float>(count) + eps);
    for (long long e = threadIdx.x; e < count; e += blockDim.x) {
        const int channel = group * cg + static_cast<int>(e % cg);
        float v = (widen(x[at(e)]) - mean) * rstd * widen(gamma[channel]) + widen(beta[channel]);
        if (silu) v = v / (1.0f + __expf(-v));
        y[at(e)] = narrow<T>(v);
    }
}

}  // namespace

int groupNormNhwc(const void* x, void* y, const void* gamma, const void* beta, int n, int hw, int c, int groups,
                  float eps, bool silu, HalfType type, void* stream) {
    const dim3 grid(static_cast<unsigned>(n * groups)), block(kThreads);
    auto* s = static_cast<cudaStream_t>(stream);
    if (type == HalfType::BFloat16) {
        groupNormNhwcKernel<__nv_bfloat16><<<grid, block, 0, s>>>(
            static_cast<const __nv_bfloat16*>(x), static_cast<__nv_bfloat16*>(y), static_cast<const __nv_bfloat16*>(gamma),
            static_cast<const __nv_bfloat16*>(beta), hw, c, groups, eps, silu);
    } else {
        groupNormNhwcKernel<__half><<<grid, block, 0, s>>>(static_cast<const __half*>(x), static_cast<__half*>(y),
                                                          static_cast<const __half*>(gamma),
                                                          static_cast<const __half*>(beta), hw, c, groups, eps, silu);
    }
    return static_cast<int>(cudaGetLastError());
}

}  // namespace storybrush::runtime::cuda
