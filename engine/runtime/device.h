// Choosing where and in which precision pictures are computed, and describing it to people.
#pragma once

#include <storybrush/request.h>

#include <torch/types.h>

#include <string>

namespace storybrush::runtime {

struct ComputeTarget {
    torch::Device device{torch::kCPU};
    torch::ScalarType dtype = torch::kFloat32;
};

bool cudaAvailable();

// Auto: CUDA when present. Precision Auto: FP16 on CUDA, FP32 on the CPU (CPU half kernels are slow
// or missing in libtorch 1.13). Throws Error(InvalidRequest) for CUDA without a GPU or FP16 on the CPU.
ComputeTarget chooseTarget(DevicePreference device, Precision precision);

std::string dtypeName(torch::ScalarType dtype);  // "fp16", "bf16", "fp32"

// Where and in which precision the VAE runs. VAEs whose config asks for force_upcast overflow in FP16
// (ref: diffusers upcast_vae): on a GPU with BF16 (compute capability 8+) they run in BF16, which has FP32's
// range at half the work (the vae_bf16 lever; ComfyUI does the same), otherwise in FP32.
ComputeTarget vaeTarget(const ComputeTarget& target, bool forceUpcast);

// "CPU (2 threads, BLAS: OpenBLAS)" or "CUDA: NVIDIA H100 80GB HBM3".
std::string describeDevice(const torch::Device& device);

// Which BLAS libtorch's matrix products go through: Debian's libtorch uses the system libblas.so.3,
// and the reference BLAS there is ~40x slower than OpenBLAS (docs/environment.md), so we say which one is loaded.
std::string loadedBlasName();

}  // namespace storybrush::runtime
