// What our kernels share: FP16/BF16 to and from float, and eight half values moved as one 16-byte load or store.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace storybrush::runtime::cuda {

__device__ __forceinline__ float widen(__half v) { return __half2float(v); }
__device__ __forceinline__ float widen(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T>
__device__ __forceinline__ T narrow(float v);
template <>
__device__ __forceinline__ __half narrow<__half>(float v) {
    return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 narrow<__nv_bfloat16>(float v) {
    return __float2bfloat16_rn(v);
}

constexpr int kVector = 8;

union Vector8 {
    uint4 raw;
    unsigned short bits[kVector];
};

template <typename T>
__device__ __forceinline__ T fromBits(unsigned short b);
template <>
__device__ __forceinline__ __half fromBits<__half>(unsigned short b) {
    return __ushort_as_half(b);
}
template <>
__device__ __forceinline__ __nv_bfloat16 fromBits<__nv_bfloat16>(unsigned short b) {
    return __ushort_as_bfloat16(b);
}
__device__ __forceinline__ unsigned short toBits(__half v) { return __half_as_ushort(v); }
__device__ __forceinline__ unsigned short toBits(__nv_bfloat16 v) { return __bfloat16_as_ushort(v); }

}  // namespace storybrush::runtime::cuda
