// Where the GPU's time goes, kernel by kernel, from libtorch's own profiler (Kineto over CUPTI): what
// `storybrush-cli bench --profile` prints to choose the next fusion. No Nsight needed.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace storybrush::runtime {

struct KernelTime {
    std::string name;
    double totalMs = 0.0;
    int launches = 0;
};

struct KernelProfile {
    std::vector<KernelTime> kernels;  // longest total first
    double totalMs = 0.0;             // all GPU work recorded
    std::string unavailable;          // why nothing was recorded (a CPU-only build, no CUPTI); empty when recorded
};

// Runs `work` under the profiler and sums the GPU's kernels and copies by name. Profiling slows the host side,
// not the kernels: their times are what a normal run spends on the GPU.
KernelProfile profileKernels(const std::function<void()>& work);

// The name of a kind of work a kernel does (convolution, gemm, attention, group_norm, ...), from its name.
std::string kernelKind(const std::string& name);

}  // namespace storybrush::runtime
