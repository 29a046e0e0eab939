#include "runtime/kernel_profile.h"

#include "runtime/torch_compat.h"

#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <map>
#include <utility>

namespace storybrush::runtime {

KernelProfile profileKernels(const std::function<void()>& work) {
    namespace prof = torch::profiler::impl;
    KernelProfile profile;
    if (!torch::cuda::is_available()) {
        profile.unavailable = "no CUDA device: the kernel profile is for the GPU";
        work();
        return profile;
    }
    std::unique_ptr<torch::autograd::profiler::ProfilerResult> result;
    try {
        const prof::ProfilerConfig config(prof::ProfilerState::KINETO);
        const std::set<prof::ActivityType> activities{prof::ActivityType::CPU, prof::ActivityType::CUDA};
        torch::autograd::profiler::prepareProfiler(config, activities);
        torch::autograd::profiler::enableProfiler(config, activities);
    } catch (const std::exception& error) {
        profile.unavailable = std::string("libtorch's profiler could not start: ") + error.what();
        work();
        return profile;
    }
    try {
        work();
    } catch (...) {
        torch::autograd::profiler::disableProfiler();
        throw;
    }
    result = torch::autograd::profiler::disableProfiler();
    std::map<std::string, KernelTime> byName;
    for (const auto& event : result->events()) {
        if (event.deviceType() != c10::DeviceType::CUDA) continue;
        auto& entry = byName[event.name()];
        entry.name = event.name();
        entry.totalMs += eventDurationMs(event, 0);
        entry.launches += 1;
        profile.totalMs += eventDurationMs(event, 0);
    }
    for (auto& [name, time] : byName) profile.kernels.push_back(std::move(time));
    std::sort(profile.kernels.begin(), profile.kernels.end(),
              [](const KernelTime& a, const KernelTime& b) { return a.totalMs > b.totalMs; });
    if (profile.kernels.empty()) profile.unavailable = "the profiler recorded no GPU work (CUPTI not available here?)";
    return profile;
}

std::string kernelKind(const std::string& name) {
    // First match wins: cuDNN's attention kernels contain "fprop" as its convolutions do.
    static const std::vector<std::pair<std::string, std::vector<std::string>>> kinds = {
        {"attention", {"flash", "fmha", "sdpa", "attention"}},
        {"ours", {"storybrush", "groupNormNhwc", "gegluKernel"}},
        {"convolution", {"fprop", "conv", "implicit_gemm", "nhwc"}},
        {"group_norm", {"group_norm", "GroupNorm", "RowwiseMoments", "ComputeFusedParams"}},
        {"layer_norm", {"layer_norm", "LayerNorm"}},
        {"gemm", {"gemm", "cutlass", "xmma", "cublas", "nvjet", "sm90_"}},
        {"copy", {"copy", "Copy", "Memcpy", "Memset", "CatArray", "permute", "transpose"}},
        {"elementwise", {"elementwise", "vectorized", "unrolled", "reduce_kernel"}},
    };
    for (const auto& [kind, needles] : kinds) {
        for (const auto& needle : needles) {
            if (name.find(needle) != std::string::npos) return kind;
        }
    }
    return "other";
}

}  // namespace storybrush::runtime
