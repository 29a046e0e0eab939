// Strict loading of a checkpoint's tensors into a module; see weights.h.
#include "models/weights.h"

#include "io/safetensors.h"
#include "runtime/speed.h"

#include <storybrush/error.h>

#include <torch/cuda.h>
#include <torch/torch.h>

#include <array>
#include <string_view>
#include <vector>

namespace storybrush::models {

namespace {

// Known leftovers: tensors that files hold and modules do not need.
constexpr std::array<std::string_view, 1> kAllowedLeftovers{
    // transformers < 4.31 saved CLIPTextEmbeddings.position_ids (0..76, int64) as a persistent buffer;
    // it is always arange(max_position_embeddings), which the module computes itself.
    "text_model.embeddings.position_ids",
};

constexpr std::size_t kMaxListedProblems = 8;

}  // namespace

std::string shapeString(torch::IntArrayRef shape) {
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        out += (i == 0 ? "" : ",") + std::to_string(shape[i]);
    }
    return out + "]";
}

bool isAllowedLeftover(const std::string& key) {
    for (const auto& allowed : kAllowedLeftovers) {
        if (key == allowed) {
            return true;
        }
    }
    return false;
}

namespace {

// Tensor by tensor, just before its copy: a whole file populated at once could outgrow main memory.
void populateIfOnCpu(const torch::Tensor& source) {
    if (runtime::speedLevers().populatePages && source.device().is_cpu())
        io::populateForReading(source.data_ptr(), source.nbytes());
}

using WeightCopies = std::vector<std::pair<torch::Tensor, const torch::Tensor*>>;

// CPU weights (the file's mapping) to a GPU module through two pinned staging buffers: each tensor's copy starts as
// soon as its bytes are staged, so the bus works while the next ones are read (the `pinned_upload` lever). A
// pageable copy goes through the driver's small staging buffer and waits for each tensor. Tensors larger than a
// buffer, or not contiguous, are copied directly.
void uploadThroughPinnedBuffers(WeightCopies& copies, const torch::Device& device) {
    constexpr std::int64_t kBufferBytes = std::int64_t(64) << 20;
    constexpr std::int64_t kAlignment = 256;
    const auto pinned = torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(true);
    std::array<torch::Tensor, 2> buffers{torch::empty({kBufferBytes}, pinned), torch::empty({kBufferBytes}, pinned)};
    const auto finishCopies = [&] { torch::cuda::synchronize(device.has_index() ? device.index() : -1); };
    std::size_t current = 0;
    std::int64_t used = 0;
    for (auto& [target, source] : copies) {
        populateIfOnCpu(*source);
        const std::int64_t bytes = source->numel() * static_cast<std::int64_t>(source->element_size());
        if (!source->device().is_cpu() || !source->is_contiguous() || bytes > kBufferBytes) {
            target.copy_(*source);
            continue;
        }
        if (used + bytes > kBufferBytes) {
            // The other buffer's copies were started a whole buffer ago; waiting here waits for this one's last.
            finishCopies();
            current = 1 - current;
            used = 0;
        }
        torch::Tensor staged = buffers[current].narrow(0, used, bytes);
        staged.copy_(source->reshape({-1}).view(torch::kUInt8));
        target.copy_(staged.view(source->scalar_type()).view(source->sizes()), /*non_blocking=*/true);
        used += (bytes + kAlignment - 1) / kAlignment * kAlignment;
    }
    finishCopies();  // before the buffers go back to the allocator
}

void matchStrict(torch::nn::Module& module, const io::StateDict& weights, bool copy) {
    torch::NoGradGuard noGrad;
    const auto& file = weights.source.empty() ? std::string("the weights") : weights.source;
    WeightCopies copies;
    std::vector<std::string> problems;
    std::size_t expected = 0;

    auto check = [&](const std::string& key, torch::Tensor& target) {
        ++expected;
        const auto it = weights.tensors.find(key);
        if (it == weights.tensors.end()) {
            problems.push_back("key " + key + " missing from " + file + " (expected " + shapeString(target.sizes()) +
                               ")");
            return;
        }
        const auto& source = it->second;
        if (!source.defined()) {
            problems.push_back("key " + key + " in " + file + " holds no tensor");
            return;
        }
        if (source.sizes() != target.sizes()) {
            problems.push_back("key " + key + " in " + file + ": got " + shapeString(source.sizes()) + ", expected " +
                               shapeString(target.sizes()));
            return;
        }
        if (torch::isFloatingType(target.scalar_type()) != torch::isFloatingType(source.scalar_type())) {
            problems.push_back("key " + key + " in " + file + ": got dtype " +
                               std::string(c10::toString(source.scalar_type())) + ", expected " +
                               (torch::isFloatingType(target.scalar_type()) ? "a floating-point" : "an integer") +
                               " tensor");
            return;
        }
        copies.emplace_back(target, &source);
    };

    auto parameters = module.named_parameters(/*recurse=*/true);
    for (auto& item : parameters) {
        check(item.key(), item.value());
    }
    auto buffers = module.named_buffers(/*recurse=*/true);
    for (auto& item : buffers) {
        check(item.key(), item.value());
    }
    for (const auto& [key, tensor] : weights.tensors) {
        if (!parameters.contains(key) && !buffers.contains(key) && !isAllowedLeftover(key)) {
            problems.push_back("key " + key + " in " + file + " " + shapeString(tensor.sizes()) +
                               " is not a weight of this model");
        }
    }

    if (!problems.empty()) {
        std::string message = std::to_string(problems.size()) + " problem" + (problems.size() == 1 ? "" : "s") +
                              " loading " + file + " (" + std::to_string(expected) + " tensors expected): ";
        for (std::size_t i = 0; i < problems.size() && i < kMaxListedProblems; ++i) {
            message += (i == 0 ? "" : "; ") + problems[i];
        }
        if (problems.size() > kMaxListedProblems) {
            message += "; ... and " + std::to_string(problems.size() - kMaxListedProblems) + " more";
        }
        message += ". The file does not fit this model's config: check that the file and config.json belong "
                   "together and that the file is not damaged.";
        throw Error(ErrorKind::ModelFile, message);
    }

    if (!copy) return;
    const torch::Device device = copies.empty() ? torch::Device(torch::kCPU) : copies.front().first.device();
    if (device.is_cuda() && runtime::speedLevers().pinnedUpload) {
        uploadThroughPinnedBuffers(copies, device);
        return;
    }
    for (auto& [target, source] : copies) {
        populateIfOnCpu(*source);
        target.copy_(*source);  // converts dtype (fp16/bf16 file -> fp32/fp16 module) and device
    }
}

}  // namespace

void loadStrict(torch::nn::Module& module, const io::StateDict& weights) { matchStrict(module, weights, true); }

void checkStrict(torch::nn::Module& module, const io::StateDict& weights) { matchStrict(module, weights, false); }

void useChannelsLast(torch::nn::Module& module) {
    torch::NoGradGuard noGrad;
    for (auto& parameter : module.parameters()) {
        if (parameter.dim() == 4) parameter.set_data(parameter.contiguous(at::MemoryFormat::ChannelsLast));
    }
}

}  // namespace storybrush::models
