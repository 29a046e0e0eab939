// EngineBackend over the real engine facade.
#include "app/real_engine_backend.h"

#include <utility>

namespace storybrush {

RealEngineBackend::RealEngineBackend(EngineOptions options) : m_options(std::move(options)) {}

RealEngineBackend::~RealEngineBackend() = default;

GenerationResult RealEngineBackend::generate(const GenerationRequest& request) {
    if (!m_engine) m_engine = std::make_unique<Engine>(m_options);
    return m_engine->generate(request);
}

}  // namespace storybrush
