// Runs a model's UNet for the denoise loop: eagerly, or on the GPU from a CUDA graph captured once per input
// shape and replayed every step after (the inputs are copied into the graph's own tensors first).
#pragma once

#include "models/unet.h"

#include <torch/types.h>

#include <list>
#include <memory>
#include <set>
#include <string>

namespace storybrush::pipeline {

class UNetRunner {
public:
    UNetRunner();
    ~UNetRunner();

    // The same result as unet->forward(sample, timestep, context, added, keys). `keys` (unet->crossAttentionKeys of
    // this context, or null) are copied into a graph's own tensors only when they are another set than last time.
    torch::Tensor forward(models::UNet2DConditionModel& unet, const torch::Tensor& sample,
                          const torch::Tensor& timestep, const torch::Tensor& context,
                          const models::UNetConditioning& added, const models::CrossAttentionKeys* keys = nullptr);

    int capturedShapes() const;  // for tests and bench

private:
    struct Captured;
    std::list<std::unique_ptr<Captured>> m_captured;  // most recently used first
    std::set<std::string> m_refused;                  // shapes whose capture failed: run eagerly
};

}  // namespace storybrush::pipeline
