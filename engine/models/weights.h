// Strict loading of a checkpoint's tensors (io::StateDict) into a module whose parameter names are the
// checkpoint keys: every tensor present with the right shape, nothing left over, converted while copied.
#pragma once

#include "io/state_dict.h"
#include "runtime/device.h"

#include <torch/nn/module.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <string>

namespace storybrush::models {

// "[320,4,3,3]", the spelling used in every shape message.
std::string shapeString(torch::IntArrayRef shape);

// Keys that files carry but no module takes (leftovers of training or of older library versions);
// loadStrict skips them. Each entry of the list in weights.cpp says where it comes from.
bool isAllowedLeftover(const std::string& key);

// Copies weights.tensors into the module's parameters and buffers, converting to each parameter's dtype
// and device. Throws Error(ModelFile) listing every problem, each naming key and file:
//   key K in FILE: got [320,4,3,3], expected [320,9,3,3]
//   key K missing from FILE (expected [320])
//   key K in FILE [320] is not a weight of this model
// Nothing is copied unless everything matches. Runs under NoGradGuard itself.
void loadStrict(torch::nn::Module& module, const io::StateDict& weights);

// Stores every 4-D weight (the convolutions) as NHWC (channels_last), the layout tensor cores convolve fastest.
void useChannelsLast(torch::nn::Module& module);

// The same checks, nothing copied: with a module built on the "meta" device this proves that a file fits its
// config without reading a single weight (the model manager's check of a model brought in).
void checkStrict(torch::nn::Module& module, const io::StateDict& weights);

// The one way a component is made from its file: `Module` (a TORCH_MODULE holder whose Impl takes
// (config, TensorOptions)) built on `target`, `weights` loaded strictly, eval mode set.
template <class Module, class Config>
Module loadModule(const Config& config, const io::StateDict& weights, const runtime::ComputeTarget& target) {
    torch::NoGradGuard noGrad;
    Module module(config, torch::TensorOptions().device(target.device).dtype(target.dtype));
    loadStrict(*module, weights);
    module->eval();
    return module;
}

}  // namespace storybrush::models
