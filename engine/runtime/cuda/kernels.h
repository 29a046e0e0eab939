// Our own CUDA kernels, compiled by nvcc into storybrush_cuda_kernels (CUDA build only). The interface is plain
// pointers and a stream handle, so neither side includes the other's headers: nvcc never sees libtorch, and the
// C++ side (runtime/fused_ops.cpp) never sees CUDA's device code.
#pragma once

namespace storybrush::runtime::cuda {

enum class HalfType { Float16, BFloat16 };

// GroupNorm over an NHWC (channels-last) tensor of n pictures, hw pixels and c channels in `groups` groups, with
// FP32 statistics (mean, then the centred variance) and the per-channel affine; optionally SiLU on the result, in
// the same pass. x, y: n*hw*c values; gamma, beta: c values; all of `type`. `stream` is a cudaStream_t.
// Returns the cudaError_t of the launch (0: none).
int groupNormNhwc(const void* x, void* y, const void* gamma, const void* beta, int n, int hw, int c, int groups,
                  float eps, bool silu, HalfType type, void* stream);

// The same in three short kernels spread over the whole GPU (statistics, their sum, the output), for channel
// counts that are a multiple of 8, at most 4,096, with x and y 16-byte aligned (groupNormNhwcSplitServes checks
// the shape, the caller the alignment). `scratch`: groupNormNhwcSplitScratch(...) floats of device memory.
bool groupNormNhwcSplitServes(int c, int groups);
long long groupNormNhwcSplitScratch(int n, int hw, int c, int groups);
int groupNormNhwcSplit(const void* x, void* y, const void* gamma, const void* beta, int n, int hw, int c, int groups,
                       float eps, bool silu, HalfType type, float* scratch, void* stream);

// GEGLU's activation: h holds rows of 2*inner values (the projection's output, contiguous); out[r][j] =
// h[r][j] * gelu(h[r][inner + j]), the exact (erf) GELU computed in FP32. out: rows*inner values, of `type` as h.
// Returns the cudaError_t of the launch (0: none).
int gegluRows(const void* h, void* out, long long rows, int inner, HalfType type, void* stream);

// x[p][i][ch] += offset[p * offsetPictureStride + ch] (+ residual[p][i][ch] when residual is not null), in place,
// over n pictures of hw pixels and c channels (NHWC), sums in FP32. offsetPictureStride: 0 for one value a channel
// (a bias), c for one a picture and channel. x, residual and offset 16-byte aligned, all of `type`;
// channelAddServes checks the shape. Returns the cudaError_t of the launch (0: none).
bool channelAddServes(int c, long long offsetPictureStride);
int channelAddNhwc(void* x, const void* residual, const void* offset, long long offsetPictureStride, int n,
                   long long hw, int c, HalfType type, void* stream);

}  // namespace storybrush::runtime::cuda
