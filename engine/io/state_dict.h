// The hand-over between io/ (reading and renaming checkpoint tensors) and models/ (modules that load them).
#pragma once

#include <torch/types.h>

#include <map>
#include <string>

namespace storybrush::io {

// The tensors of one model component (UNet, VAE, text encoder), keyed by the diffusers module names
// without the component prefix ("down_blocks.0.resnets.0.conv1.weight"), on the CPU in the file's
// dtype. Usually zero-copy views into mapped files (see tensorView).
struct StateDict {
    std::map<std::string, torch::Tensor> tensors;
    std::string source;  // the file or folder the tensors came from, for error messages
};

}  // namespace storybrush::io
