// The one small interface between EngineWorker and the engine: the shipped app passes the real
// engine (RealEngineBackend); the thread tests pass a test double from tests/app.
#pragma once

#include <storybrush/request.h>
#include <storybrush/result.h>

namespace storybrush {

class EngineBackend {
public:
    virtual ~EngineBackend() = default;
    // Called on the engine thread only. Throws storybrush::Error for bad requests or models; honours
    // request.cancel and the progress callback's return value at every step.
    virtual GenerationResult generate(const GenerationRequest& request) = 0;
};

}  // namespace storybrush
