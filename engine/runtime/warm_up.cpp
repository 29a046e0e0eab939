#include "runtime/warm_up.h"

#include "runtime/speed.h"
#include "runtime/torch_compat.h"

#include <torch/cuda.h>

namespace storybrush::runtime {

namespace {

// One of each operation family the SD pipelines run, at small sizes: what loads is the library and the kernel
// module, whatever the size. Results are thrown away; a failure here only means the first picture pays instead.
void warmUp(const torch::Device& device, const std::vector<torch::ScalarType>& dtypes) {
    try {
        InferenceGuard inference;  // grad mode is per thread
        for (const auto dtype : dtypes) {
            const auto options = torch::TensorOptions().device(device).dtype(dtype);
            const auto image = torch::ones({2, 64, 32, 32}, options);
            for (const auto format : {at::MemoryFormat::Contiguous, at::MemoryFormat::ChannelsLast}) {
                const auto x = image.contiguous(format);
                const auto kernel = torch::ones({64, 64, 3, 3}, options).contiguous(format) * 0.01;
                const std::vector<std::int64_t> unit{1, 1}, none{0, 0};
                auto y = torch::conv2d(x, kernel, torch::ones({64}, options), unit, unit);
                y = torch::conv2d(y, kernel.narrow(2, 1, 1).narrow(3, 1, 1).contiguous(format), torch::Tensor(), unit,
                                  none);
                y = torch::silu(torch::group_norm(y, 32, torch::ones({64}, options), torch::zeros({64}, options)));
                y = torch::upsample_nearest2d(y, {64, 64});
            }
            const auto tokens = torch::ones({2, 77, 320}, options);
            auto h = torch::linear(tokens, torch::ones({320, 320}, options) * 0.01, torch::ones({320}, options));
            h = torch::layer_norm(h, {320});
            h = torch::gelu(h);
            const auto q = h.view({2, 77, 4, 80}).transpose(1, 2).contiguous();
            h = scaledDotProductAttention(q, q, q);
            (void)torch::softmax(h, -1);
        }
        torch::cuda::synchronize(device.has_index() ? device.index() : -1);
    } catch (const std::exception&) {
    }
}

}  // namespace

GpuWarmUp::GpuWarmUp(const torch::Device& device, std::vector<torch::ScalarType> dtypes) {
    if (!device.is_cuda() || !speedLevers().gpuWarmUp) return;
    m_thread = std::thread(warmUp, device, std::move(dtypes));
}

GpuWarmUp::~GpuWarmUp() {
    if (m_thread.joinable()) m_thread.join();
}

}  // namespace storybrush::runtime
