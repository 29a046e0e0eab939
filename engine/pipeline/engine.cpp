// The Engine facade: validates a request, picks the device, and runs the pipeline for its mode.
#include <storybrush/engine.h>

#include "runtime/device.h"
#include "runtime/torch_compat.h"

#include <filesystem>
#include <utility>

namespace storybrush {

namespace fs = std::filesystem;

struct Engine::Impl {
    EngineOptions options;
};

Engine::Engine(EngineOptions options) : m_impl(std::make_unique<Impl>()) {
    m_impl->options = std::move(options);
    if (m_impl->options.cpuThreads > 0) at::set_num_threads(m_impl->options.cpuThreads);
}

Engine::~Engine() = default;

std::string Engine::deviceDescription(DevicePreference preference) const {
    const auto target = runtime::chooseTarget(preference, Precision::Auto);
    return runtime::describeDevice(target.device) + ", " + runtime::dtypeName(target.dtype);
}

GenerationResult Engine::generate(const GenerationRequest& request) {
    validateRequest(request);
    const auto target = runtime::chooseTarget(request.device, request.precision);
    if (request.model != kBuiltinModel && !fs::exists(fs::u8path(request.model))) {
        throw Error(ErrorKind::ModelFile, "The model " + request.model + " does not exist. Check the path, or use \"builtin\".");
    }
    throw Error(ErrorKind::UnsupportedModel,
                "Storybrush cannot draw with " + request.model + " on " + runtime::describeDevice(target.device) +
                    " yet: the drawing pipeline is still being built.");
}

}  // namespace storybrush
