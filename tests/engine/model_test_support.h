// Shared by the model suites: reading a diffusers component's weights and a reference file into tensors,
// and comparing outputs with the reference.
#pragma once

#include "io/safetensors.h"
#include "io/state_dict.h"

#include <QtTest/QTest>
#include <torch/torch.h>

#include <map>
#include <string>

namespace storybrush::test {

// Every tensor of one .safetensors file, keyed as in the file (diffusers folders already use module names).
inline io::StateDict readStateDict(const std::string& path) {
    const auto file = io::SafetensorsFile::open(path);
    io::StateDict dict;
    dict.source = path;
    for (const auto& info : file->tensors()) {
        dict.tensors[info.name] = io::tensorView(file, info);
    }
    return dict;
}

// Reference tensors, copied out of the mapping and converted to float32.
inline std::map<std::string, torch::Tensor> readReference(const std::string& path) {
    std::map<std::string, torch::Tensor> out;
    for (const auto& [name, tensor] : readStateDict(path).tensors) {
        out[name] = tensor.to(torch::kFloat32).clone();
    }
    return out;
}

inline double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat32) - b.to(torch::kFloat32)).abs().max().item<double>();
}

}  // namespace storybrush::test

// Skips the current test function unless a CUDA device is present (the GPU machine), and turns TF32 off
// there: libtorch allows it for cuDNN convolutions by default, which breaks float32 parity (NOTES.md).
#define STORYBRUSH_REQUIRE_CUDA()                                                                 \
    do {                                                                                          \
        if (!torch::cuda::is_available()) {                                                       \
            QSKIP("no CUDA device here: this CUDA parity check runs on the GPU machine");         \
        }                                                                                         \
        at::globalContext().setAllowTF32CuDNN(false);                                             \
        at::globalContext().setAllowTF32CuBLAS(false);                                            \
    } while (false)
