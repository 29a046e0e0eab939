// Device and precision choice; BLAS detection for the CPU description.
#include "runtime/device.h"

#include "runtime/speed.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <link.h>

#ifdef STORYBRUSH_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

#include <climits>
#include <cstdlib>
#include <string>

namespace storybrush::runtime {

bool cudaAvailable() { return torch::cuda::is_available(); }

ComputeTarget chooseTarget(DevicePreference device, Precision precision) {
    ComputeTarget target;
    const bool haveCuda = cudaAvailable();
    if (device == DevicePreference::Cuda && !haveCuda) {
        throw Error(ErrorKind::InvalidRequest,
                    "CUDA was asked for, but no NVIDIA GPU is usable here (no driver, or this build "
                    "of Storybrush has no CUDA). Use --device cpu or --device auto.");
    }
    const bool useCuda = device == DevicePreference::Cuda || (device == DevicePreference::Auto && haveCuda);
    if (useCuda) applySpeedLevers();
    target.device = useCuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    switch (precision) {
    case Precision::Auto: target.dtype = useCuda ? torch::kFloat16 : torch::kFloat32; break;
    case Precision::F32: target.dtype = torch::kFloat32; break;
    case Precision::F16:
    case Precision::BF16:
        if (!useCuda) {
            throw Error(ErrorKind::InvalidRequest,
                        "Half precision (fp16/bf16) is only used on the GPU; on the CPU use --dtype fp32 "
                        "or --dtype auto.");
        }
        target.dtype = precision == Precision::F16 ? torch::kFloat16 : torch::kBFloat16;
        break;
    }
    return target;
}

ComputeTarget vaeTarget(const ComputeTarget& target, bool forceUpcast) {
    ComputeTarget vae = target;
    if (!forceUpcast || target.dtype == torch::kFloat32) return vae;
    vae.dtype = torch::kFloat32;
#ifdef STORYBRUSH_WITH_CUDA
    if (target.device.is_cuda() && speedLevers().vaeBf16 &&
        at::cuda::getDeviceProperties(target.device.index())->major >= 8)
        vae.dtype = torch::kBFloat16;
#endif
    return vae;
}

std::string dtypeName(torch::ScalarType dtype) {
    switch (dtype) {
    case torch::kFloat16: return "fp16";
    case torch::kBFloat16: return "bf16";
    case torch::kFloat32: return "fp32";
    default: return c10::toString(dtype);
    }
}

namespace {
// Every loaded BLAS-like library, resolved: libblas.so.3 may be OpenBLAS's own (Debian's alternatives, or a copy
// in an installer's lib/ that no longer says so in its path, next to the libopenblas it loads).
int collectBlas(dl_phdr_info* info, size_t, void* out) {
    const std::string name = info->dlpi_name ? info->dlpi_name : "";
    if (name.find("libblas.so") == std::string::npos && name.find("libopenblas") == std::string::npos &&
        name.find("libmkl") == std::string::npos && name.find("blis") == std::string::npos) {
        return 0;
    }
    char resolved[PATH_MAX];
    *static_cast<std::string*>(out) += std::string(realpath(name.c_str(), resolved) ? resolved : name.c_str()) + "\n";
    return 0;
}
}  // namespace

std::string loadedBlasName() {
    std::string paths;
    dl_iterate_phdr(collectBlas, &paths);
    if (paths.empty()) return "built in";
    if (paths.find("openblas") != std::string::npos) return "OpenBLAS";
    if (paths.find("mkl") != std::string::npos) return "MKL";
    if (paths.find("blis") != std::string::npos) return "BLIS";
    if (paths.find("atlas") != std::string::npos) return "ATLAS";
    return "reference BLAS (slow: install libopenblas0-pthread)";
}

std::string describeDevice(const torch::Device& device) {
    if (device.is_cuda()) {
#ifdef STORYBRUSH_WITH_CUDA
        const auto* properties = at::cuda::getDeviceProperties(device.has_index() ? device.index() : 0);
        return std::string("CUDA: ") + properties->name;
#else
        return "CUDA";
#endif
    }
    return "CPU (" + std::to_string(at::get_num_threads()) + " threads, BLAS: " + loadedBlasName() + ")";
}

}  // namespace storybrush::runtime
