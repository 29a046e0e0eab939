// CUDA memory statistics. The caching allocator's API is libtorch 2.x's (the CUDA build's); the CPU
// build compiles none of it.
#include "runtime/memory.h"

#include <algorithm>

#ifdef STORYBRUSH_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime_api.h>
#endif

namespace storybrush::runtime {

namespace {
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
}

void synchronize(const torch::Device& device) {
#ifdef STORYBRUSH_WITH_CUDA
    if (device.is_cuda()) c10::cuda::device_synchronize();
#else
    (void)device;
#endif
}

void resetPeakMemory(const torch::Device& device) {
#ifdef STORYBRUSH_WITH_CUDA
    if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.has_index() ? device.index() : 0);
#else
    (void)device;
#endif
}

double peakAllocatedGiB(const torch::Device& device) {
#ifdef STORYBRUSH_WITH_CUDA
    if (device.is_cuda()) {
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
        return static_cast<double>(stats.allocated_bytes[0].peak) / kGiB;  // [0]: the aggregate pool
    }
#else
    (void)device;
#endif
    return 0.0;
}

double deviceUsedGiB(const torch::Device& device) {
#ifdef STORYBRUSH_WITH_CUDA
    if (device.is_cuda()) {
        std::size_t freeBytes = 0, totalBytes = 0;
        if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess)
            return static_cast<double>(totalBytes - freeBytes) / kGiB;
    }
#else
    (void)device;
#endif
    return 0.0;
}

double deviceTotalGiB(const torch::Device& device) {
#ifdef STORYBRUSH_WITH_CUDA
    if (device.is_cuda()) {
        std::size_t freeBytes = 0, totalBytes = 0;
        if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess) return static_cast<double>(totalBytes) / kGiB;
    }
#else
    (void)device;
#endif
    return 0.0;
}

double capDeviceMemory(const torch::Device& device, double budgetGiB) {
#ifdef STORYBRUSH_WITH_CUDA
    if (device.is_cuda()) {
        const auto index = device.has_index() ? device.index() : c10::DeviceIndex(0);
        (void)at::empty({1}, at::TensorOptions().device(device));  // the context and the allocator come up lazily
        c10::cuda::CUDACachingAllocator::emptyCache();             // the cap starts from what is live
        const double total = deviceTotalGiB(device);
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index);
        const double reserved = static_cast<double>(stats.reserved_bytes[0].current) / kGiB;
        const double context = deviceUsedGiB(device) - reserved;
        const double cap = std::max(0.0, std::min(total, budgetGiB - context));
        if (total > 0) c10::cuda::CUDACachingAllocator::setMemoryFraction(cap / total, index);
        return cap;
    }
#else
    (void)device;
    (void)budgetGiB;
#endif
    return 0.0;
}

}  // namespace storybrush::runtime
