// The engine facade: the only entry point app/ and the CLI use. Plain C++17, no Qt, no libtorch.
#pragma once

#include <storybrush/error.h>
#include <storybrush/request.h>
#include <storybrush/result.h>

#include <memory>
#include <string>
#include <vector>

namespace storybrush {

struct EngineOptions {
    // Where "builtin" is looked for; empty: beside the executable (../share/storybrush/models/builtin)
    // and the source tree's resources/models/builtin.
    std::string builtinModelDir;
    int cpuThreads = 0;  // 0: libtorch's default
    // Where <lora:NAME:WEIGHT> in a prompt finds NAME.safetensors, after the model's own neighbourhood (a "loras"
    // or "Lora" folder beside it or one or two levels up, as ComfyUI and A1111 keep them).
    std::vector<std::string> loraFolders;
};

// Thread contract: an Engine is created, used and destroyed on one thread (the app's engine thread
// or the CLI's main thread). Only request.cancel may be touched from other threads while generate runs.
class Engine {
public:
    explicit Engine(EngineOptions options = {});
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Throws Error for bad requests and unusable models; returns with cancelled set when stopped.
    GenerationResult generate(const GenerationRequest& request);

    // Human-readable description of where pictures would be computed ("CPU (2 threads, OpenBLAS)").
    std::string deviceDescription(DevicePreference preference = DevicePreference::Auto) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Checks the parts of a request that need no model: sizes, steps, strength, mask/image shapes.
// Throws Error(InvalidRequest) naming the field and the allowed range.
void validateRequest(const GenerationRequest& request);

}  // namespace storybrush
