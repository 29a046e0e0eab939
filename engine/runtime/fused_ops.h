// Kernels of our own where PyTorch's cost too many launches or layout copies, each behind a speed lever
// (runtime/speed.h; what each is worth: docs/performance.md).
// The CPU build, and a CUDA build without STORYBRUSH_CUDA_KERNELS, has none of them: there the `...Takes` are
// always false.
#pragma once

#include <torch/types.h>

namespace storybrush::runtime {

// Which GroupNorm kernel: one thread block per (picture, group), or the split one (statistics spread over the
// GPU, coalesced reads; any group size). Auto: the split one where the `fused_group_norm_split` lever is on and it
// serves the input, else the per-group one.
enum class GroupNormKernel { Auto, PerGroup, Split };

// Whether fusedGroupNorm serves this input: a CUDA build, a channels-last FP16/BF16 4-D tensor on the GPU, groups
// that one of the kernels handles, and the `fused_group_norm` lever on.
bool fusedGroupNormTakes(const torch::Tensor& x, std::int64_t groups);
// GroupNorm with its affine, then SiLU when `silu`, in our kernels (runtime/cuda/group_norm_kernel.cu). Statistics
// in FP32 as PyTorch's. Throws on a build or an input the chosen kernel does not serve.
torch::Tensor fusedGroupNorm(const torch::Tensor& x, std::int64_t groups, const torch::Tensor& weight,
                             const torch::Tensor& bias, double eps, bool silu,
                             GroupNormKernel kernel = GroupNormKernel::Auto);

// Whether fusedGeglu serves h: a contiguous FP16/BF16 CUDA tensor whose last dimension is even, and the
// `fused_geglu` lever on.
bool fusedGegluTakes(const torch::Tensor& h);
// diffusers' GEGLU activation of the projection's output h (..., 2*inner): first half * gelu(second half), exact
// GELU, in one kernel. Throws on a build or an input it does not serve.
torch::Tensor fusedGeglu(const torch::Tensor& h);

// Whether fusedChannelAdd_ serves: the `fused_channel_add` lever on; x a channels-last FP16/BF16 4-D CUDA tensor
// [N, C, H, W] with C a multiple of 8; offset of x's dtype, contiguous, with C values (one a channel) or N*C (one a
// picture and channel); residual undefined or of x's shape, dtype and layout; all 16-byte aligned.
bool fusedChannelAddTakes(const torch::Tensor& x, const torch::Tensor& offset, const torch::Tensor& residual = {});
// x += offset broadcast over the pixels (+ residual), in place, in one kernel (runtime/cuda/channel_add_kernel.cu):
// a convolution's bias, a ResNet's bias + time embedding, or its conv2 bias + shortcut. Throws on a build or an
// input it does not serve.
void fusedChannelAdd_(torch::Tensor& x, const torch::Tensor& offset, const torch::Tensor& residual = {});

}  // namespace storybrush::runtime
