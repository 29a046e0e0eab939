// The one place where differences between libtorch versions live: Debian's 1.13 (CPU, CI) and
// PyTorch's 2.x (CUDA, the GPU machine). Everything else calls these and never checks versions.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cmath>

#define STORYBRUSH_TORCH_AT_LEAST(major, minor) \
    (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace storybrush::runtime {

// softmax(q k^T / sqrt(d)) v over [batch, heads, tokens, head_dim]. libtorch 2.0 added the fused
// kernel (flash / memory-efficient on CUDA); 1.13 gets the same maths written out.
inline torch::Tensor scaledDotProductAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
#if STORYBRUSH_TORCH_AT_LEAST(2, 0)
    return at::scaled_dot_product_attention(q, k, v);
#else
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    auto weights = torch::matmul(q, k.transpose(-2, -1) * scale).softmax(-1);
    return torch::matmul(weights, v);
#endif
}

// The same with a boolean mask broadcastable to [batch, heads, queries, keys]: true where a key may be attended
// to (every query row must keep at least one key).
inline torch::Tensor scaledDotProductAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                               const torch::Tensor& keep) {
    if (!keep.defined()) return scaledDotProductAttention(q, k, v);
#if STORYBRUSH_TORCH_AT_LEAST(2, 0)
    return at::scaled_dot_product_attention(q, k, v, keep);
#else
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    auto scores = torch::matmul(q, k.transpose(-2, -1) * scale).masked_fill(keep.logical_not(), -INFINITY);
    return torch::matmul(scores.softmax(-1), v);
#endif
}

// A profiler event's duration: libtorch 1.13 gives microseconds (durationUs), 2.x nanoseconds (durationNs).
// Call as eventDurationMs(event, 0).
template <typename Event>
auto eventDurationMs(const Event& event, int) -> decltype(event.durationNs(), double()) {
    return static_cast<double>(event.durationNs()) / 1e6;
}
template <typename Event>
double eventDurationMs(const Event& event, long) {
    return static_cast<double>(event.durationUs()) / 1e3;
}

// 8-bit floats (E4M3, "float8_e4m3fn"): libtorch 2.1 added the dtype; 1.13 has none, so FP8 weights are
// refused there with a message instead.
inline bool float8Supported() {
#if STORYBRUSH_TORCH_AT_LEAST(2, 1)
    return true;
#else
    return false;
#endif
}

inline c10::ScalarType float8E4M3Type() {
#if STORYBRUSH_TORCH_AT_LEAST(2, 1)
    return at::kFloat8_e4m3fn;
#else
    throw std::runtime_error("8-bit float weights need libtorch 2.1 or newer");
#endif
}

// Inference guard: InferenceMode exists since 1.9, so both versions have it; kept here so the
// choice is made once.
using InferenceGuard = c10::InferenceMode;

// Mixed precision on CUDA for training: inside the guard, matrix products and convolutions run in `dtype`
// (BF16) while reductions stay FP32, as torch.autocast does. 2.4 renamed the switches to take a device type.
class CudaAutocastGuard {
public:
    explicit CudaAutocastGuard(c10::ScalarType dtype) {
#if STORYBRUSH_TORCH_AT_LEAST(2, 4)
        at::autocast::set_autocast_enabled(at::kCUDA, true);
        at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
        at::autocast::set_enabled(true);
        at::autocast::set_autocast_gpu_dtype(dtype);
#endif
        at::autocast::increment_nesting();
    }
    ~CudaAutocastGuard() {
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if STORYBRUSH_TORCH_AT_LEAST(2, 4)
        at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
        at::autocast::set_enabled(false);
#endif
    }
    CudaAutocastGuard(const CudaAutocastGuard&) = delete;
    CudaAutocastGuard& operator=(const CudaAutocastGuard&) = delete;
};

}  // namespace storybrush::runtime
