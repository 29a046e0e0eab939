#include "runtime/fused_ops.h"

#include "runtime/speed.h"

#include <storybrush/error.h>

#include <c10/core/GradMode.h>

#include <cstdint>
#include <initializer_list>

#ifdef STORYBRUSH_WITH_CUDA_KERNELS
#include "runtime/cuda/kernels.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace storybrush::runtime {

namespace {
#ifdef STORYBRUSH_WITH_CUDA_KERNELS
// One thread block a group (the per-group kernel): past this many values a group is better spread over the GPU.
constexpr std::int64_t kLargestGroup = 1 << 17;

// What both kernels need: a channels-last FP16/BF16 4-D CUDA tensor whose channels split into the groups.
bool groupNormInput(const torch::Tensor& x, std::int64_t groups) {
    return x.is_cuda() && x.dim() == 4 && groups > 0 && x.size(1) % groups == 0 &&
           (x.scalar_type() == torch::kFloat16 || x.scalar_type() == torch::kBFloat16) &&
           x.is_contiguous(at::MemoryFormat::ChannelsLast) && x.numel() <= (1LL << 40) &&
           x.size(0) * groups <= (1LL << 31) - 1 && x.size(2) * x.size(3) <= (1LL << 31) - 1;
}

bool perGroupServes(const torch::Tensor& x, std::int64_t groups) {
    return groupNormInput(x, groups) && x.numel() / (x.size(0) * groups) <= kLargestGroup;
}

bool splitServes(const torch::Tensor& x, std::int64_t groups) {
    // 16-byte vectors: the data must start on a 16-byte boundary (a view into a larger tensor may not).
    return groupNormInput(x, groups) && x.size(1) <= (1LL << 30) &&
           cuda::groupNormNhwcSplitServes(static_cast<int>(x.size(1)), static_cast<int>(groups)) &&
           reinterpret_cast<std::uintptr_t>(x.data_ptr()) % 16 == 0;
}

bool usesSplit(GroupNormKernel kernel) {
    return kernel == GroupNormKernel::Split || (kernel == GroupNormKernel::Auto && speedLevers().fusedGroupNormSplit);
}
#endif

bool servable(const torch::Tensor& x, std::int64_t groups, GroupNormKernel kernel) {
#ifdef STORYBRUSH_WITH_CUDA_KERNELS
    return usesSplit(kernel) ? splitServes(x, groups) || (kernel == GroupNormKernel::Auto && perGroupServes(x, groups))
                             : perGroupServes(x, groups);
#else
    (void)x;
    (void)groups;
    (void)kernel;
    return false;
#endif
}

bool gegluServable(const torch::Tensor& h) {
#ifdef STORYBRUSH_WITH_CUDA_KERNELS
    return h.is_cuda() && h.dim() >= 1 && h.size(-1) % 2 == 0 && h.size(-1) / 2 <= (1LL << 30) && h.is_contiguous() &&
           (h.scalar_type() == torch::kFloat16 || h.scalar_type() == torch::kBFloat16);
#else
    (void)h;
    return false;
#endif
}

bool channelAddServable(const torch::Tensor& x, const torch::Tensor& offset, const torch::Tensor& residual) {
#ifdef STORYBRUSH_WITH_CUDA_KERNELS
    const auto aligned = [](const torch::Tensor& t) {
        return reinterpret_cast<std::uintptr_t>(t.data_ptr()) % 16 == 0;
    };
    if (!(x.is_cuda() && x.dim() == 4 && (x.scalar_type() == torch::kFloat16 || x.scalar_type() == torch::kBFloat16) &&
          x.is_contiguous(at::MemoryFormat::ChannelsLast) && x.size(0) <= (1LL << 31) - 1 && x.size(1) <= (1LL << 30) &&
          aligned(x)))
        return false;
    if (!offset.defined()) return false;
    const auto n = x.size(0), c = x.size(1);
    const bool perPicture = offset.numel() == n * c && n > 1;
    if (!(offset.device() == x.device() && offset.scalar_type() == x.scalar_type() && offset.is_contiguous() &&
          (offset.numel() == c || perPicture) && aligned(offset) &&
          cuda::channelAddServes(static_cast<int>(c), perPicture ? c : 0)))
        return false;
    return !residual.defined() || (residual.sizes() == x.sizes() && residual.device() == x.device() &&
                                   residual.scalar_type() == x.scalar_type() &&
                                   residual.is_contiguous(at::MemoryFormat::ChannelsLast) && aligned(residual));
#else
    (void)x;
    (void)offset;
    (void)residual;
    return false;
#endif
}

// Our kernels have no backward: where autograd records (the trainer), PyTorch's ops must run, or the gradient
// would silently stop at our output.
bool outsideAutograd(std::initializer_list<const torch::Tensor*> inputs) {
    if (!c10::GradMode::is_enabled()) return true;
    for (const auto* t : inputs) {
        if (t->defined() && t->requires_grad()) return false;
    }
    return true;
}
}  // namespace

bool fusedGroupNormTakes(const torch::Tensor& x, std::int64_t groups) {
    return speedLevers().fusedGroupNorm && servable(x, groups, GroupNormKernel::Auto) && outsideAutograd({&x});
}

torch::Tensor fusedGroupNorm(const torch::Tensor& x, std::int64_t groups, const torch::Tensor& weight,
                             const torch::Tensor& bias, double eps, bool silu, GroupNormKernel kernel) {
    if (!servable(x, groups, kernel))
        throw Error(ErrorKind::Internal, "fusedGroupNorm: not for this build or this input");
#ifdef STORYBRUSH_WITH_CUDA_KERNELS
    const c10::cuda::CUDAGuard onDevice(x.device());
    auto y = torch::empty_like(x, at::MemoryFormat::ChannelsLast);
    const auto gamma = weight.to(x.scalar_type()).contiguous();
    const auto beta = bias.to(x.scalar_type()).contiguous();
    const auto type = x.scalar_type() == torch::kBFloat16 ? cuda::HalfType::BFloat16 : cuda::HalfType::Float16;
    const int n = static_cast<int>(x.size(0)), hw = static_cast<int>(x.size(2) * x.size(3)),
              c = static_cast<int>(x.size(1));
    void* stream = c10::cuda::getCurrentCUDAStream(x.device().index()).stream();
    int status = 0;
    if (usesSplit(kernel) && splitServes(x, groups)) {
        auto scratch = torch::empty({cuda::groupNormNhwcSplitScratch(n, hw, c, static_cast<int>(groups))},
                                    x.options().dtype(torch::kFloat32));
        status = cuda::groupNormNhwcSplit(x.data_ptr(), y.data_ptr(), gamma.data_ptr(), beta.data_ptr(), n, hw, c,
                                          static_cast<int>(groups), static_cast<float>(eps), silu, type,
                                          scratch.data_ptr<float>(), stream);
    } else {
        status = cuda::groupNormNhwc(x.data_ptr(), y.data_ptr(), gamma.data_ptr(), beta.data_ptr(), n, hw, c,
                                     static_cast<int>(groups), static_cast<float>(eps), silu, type, stream);
    }
    if (status != 0)
        throw Error(ErrorKind::Internal,
                    "fusedGroupNorm: the kernel launch failed (CUDA error " + std::to_string(status) + ")");
    return y;
#else
    (void)weight;
    (void)bias;
    (void)eps;
    (void)silu;
    return x;
#endif
}

bool fusedChannelAddTakes(const torch::Tensor& x, const torch::Tensor& offset, const torch::Tensor& residual) {
    return speedLevers().fusedChannelAdd && channelAddServable(x, offset, residual) &&
           outsideAutograd({&x, &offset, &residual});
}

void fusedChannelAdd_(torch::Tensor& x, const torch::Tensor& offset, const torch::Tensor& residual) {
    if (!channelAddServable(x, offset, residual))
        throw Error(ErrorKind::Internal, "fusedChannelAdd_: not for this build or this input");
#ifdef STORYBRUSH_WITH_CUDA_KERNELS
    const c10::cuda::CUDAGuard onDevice(x.device());
    const auto n = x.size(0), c = x.size(1);
    const long long pictureStride = offset.numel() == c ? 0 : c;
    const auto type = x.scalar_type() == torch::kBFloat16 ? cuda::HalfType::BFloat16 : cuda::HalfType::Float16;
    const int status = cuda::channelAddNhwc(x.data_ptr(), residual.defined() ? residual.data_ptr() : nullptr,
                                            offset.data_ptr(), pictureStride, static_cast<int>(n),
                                            x.size(2) * x.size(3), static_cast<int>(c), type,
                                            c10::cuda::getCurrentCUDAStream(x.device().index()).stream());
    if (status != 0)
        throw Error(ErrorKind::Internal,
                    "fusedChannelAdd_: the kernel launch failed (CUDA error " + std::to_string(status) + ")");
#endif
}

bool fusedGegluTakes(const torch::Tensor& h) {
    return speedLevers().fusedGeglu && gegluServable(h) && outsideAutograd({&h});
}

torch::Tensor fusedGeglu(const torch::Tensor& h) {
    if (!gegluServable(h)) throw Error(ErrorKind::Internal, "fusedGeglu: not for this build or this input");
#ifdef STORYBRUSH_WITH_CUDA_KERNELS
    const c10::cuda::CUDAGuard onDevice(h.device());
    const auto inner = h.size(-1) / 2;
    auto sizes = h.sizes().vec();
    sizes.back() = inner;
    auto out = torch::empty(sizes, h.options());
    const auto type = h.scalar_type() == torch::kBFloat16 ? cuda::HalfType::BFloat16 : cuda::HalfType::Float16;
    const int status = cuda::gegluRows(h.data_ptr(), out.data_ptr(), h.numel() / h.size(-1), static_cast<int>(inner),
                                       type, c10::cuda::getCurrentCUDAStream(h.device().index()).stream());
    if (status != 0)
        throw Error(ErrorKind::Internal,
                    "fusedGeglu: the kernel launch failed (CUDA error " + std::to_string(status) + ")");
    return out;
#else
    return h;
#endif
}

}  // namespace storybrush::runtime
