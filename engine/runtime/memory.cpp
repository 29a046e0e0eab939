// CUDA memory statistics. The caching allocator's API is libtorch 2.x's (the CUDA build's); the CPU
// build compiles none of it.
#include "runtime/memory.h"

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
        if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess) return static_cast<double>(totalBytes - freeBytes) / kGiB;
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

}  // namespace storybrush::runtime
