// Shared by the model suites: reading a diffusers component's weights and a reference file into tensors,
// building a fixture's component, and comparing outputs with the reference.
#pragma once

#include "common/fixtures.h"
#include "io/safetensors.h"
#include "io/state_dict.h"
#include "runtime/device.h"

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

// One component of a fixture model (a folder with config.json beside `weightsFile`), built by the engine's own
// loader: loadFixtureComponent(models::loadUNet, "tiny-sd15-diffusers/unet", "diffusion_pytorch_model.safetensors").
template <class Module, class Config>
Module loadFixtureComponent(Module (*load)(const Config&, const io::StateDict&, const runtime::ComputeTarget&),
                            const QString& componentFolder, const std::string& weightsFile,
                            const runtime::ComputeTarget& target = {}) {
    const std::string dir = fixturePathStd(componentFolder);
    return load(Config::fromFile(dir + "/config.json"), readStateDict(dir + "/" + weightsFile), target);
}

inline double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat32) - b.to(torch::kFloat32)).abs().max().item<double>();
}

}  // namespace storybrush::test

// Skips the current test function unless a CUDA device is present (the GPU machine), and turns TF32 off
// there: libtorch allows it for cuDNN convolutions by default, which breaks float32 parity (docs/environment.md).
#define STORYBRUSH_REQUIRE_CUDA()                                                         \
    do {                                                                                  \
        if (!torch::cuda::is_available()) {                                               \
            QSKIP("no CUDA device here: this CUDA parity check runs on the GPU machine"); \
        }                                                                                 \
        at::globalContext().setAllowTF32CuDNN(false);                                     \
        at::globalContext().setAllowTF32CuBLAS(false);                                    \
    } while (false)
