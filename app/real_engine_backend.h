// EngineBackend over the real engine facade.
#pragma once

#include "app/engine_backend.h"

#include <storybrush/engine.h>

#include <memory>

namespace storybrush {

// Created on any thread, used and destroyed on the engine thread: the Engine itself is made on first
// use so that it lives where it runs (see the thread contract in storybrush/engine.h).
class RealEngineBackend final : public EngineBackend {
public:
    explicit RealEngineBackend(EngineOptions options = {});
    ~RealEngineBackend() override;
    GenerationResult generate(const GenerationRequest& request) override;

private:
    EngineOptions m_options;
    std::unique_ptr<Engine> m_engine;
};

}  // namespace storybrush
