// The first GPU picture of a process otherwise waits for libraries and kernels to load on first use (cuBLAS and
// its handle, cuDNN's engine libraries, each kernel's module). Loading a model's weights keeps the CPU and the bus
// busy but not those, so a thread of its own does that loading meanwhile (the `gpu_warm_up` lever; figures in
// docs/performance.md). It cannot plan the model's convolutions: libtorch keeps cuDNN's plans per thread, so the
// thread that samples still plans each shape on its first step, which is most of that step's time.
#pragma once

#include <torch/torch.h>

#include <thread>

namespace storybrush::runtime {

class GpuWarmUp {
public:
    // Starts at once on a CUDA device (when the lever is on); does nothing on the CPU. `dtypes`: the model's
    // compute types (the VAE's may differ from the UNet's).
    GpuWarmUp(const torch::Device& device, std::vector<torch::ScalarType> dtypes);
    ~GpuWarmUp();  // waits for it: the warm-up never outlives the load it overlaps
    GpuWarmUp(const GpuWarmUp&) = delete;
    GpuWarmUp& operator=(const GpuWarmUp&) = delete;

private:
    std::thread m_thread;
};

}  // namespace storybrush::runtime
