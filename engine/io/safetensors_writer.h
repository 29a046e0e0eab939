// Writes tensors as a .safetensors file (the format the reader in safetensors.h maps): used by the trainer
// to save the built-in model and by `bench --write` to save random full-size weights.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace storybrush::io {

// Tensors are written in the order given, contiguous, little-endian, as their own dtype (F32, F16, BF16,
// I64, I32, U8). The file appears atomically (written to PATH.part, then renamed). Throws Error(Io) naming
// the path when it cannot be written (full disk, no permission) and leaves no partial file behind.
void writeSafetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace storybrush::io
