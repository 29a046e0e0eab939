// A test double for EngineBackend: takes a fixed number of steps, each as long as asked, reports
// progress with a preview, honours cancel, and can be told to fail.
#pragma once

#include "app/engine_backend.h"

#include <storybrush/error.h>

#include <QtCore/QThread>

#include <atomic>
#include <chrono>
#include <thread>

namespace storybrush::test {

struct FakeBackendState {
    std::atomic<int> calls{0};
    std::atomic<int> stepsRun{0};
    std::atomic<Qt::HANDLE> lastThread{nullptr};
};

class FakeBackend final : public EngineBackend {
public:
    FakeBackend(FakeBackendState& state, std::chrono::milliseconds stepTime) : m_state(state), m_stepTime(stepTime) {}

    GenerationResult generate(const GenerationRequest& request) override {
        ++m_state.calls;
        m_state.lastThread = QThread::currentThreadId();
        if (request.prompt == "fail please") {
            throw Error(ErrorKind::ModelFile, "model.safetensors is truncated at byte 42");
        }
        GenerationResult result;
        for (int i = 0; i < request.batchSize; ++i) {
            for (int step = 1; step <= request.steps; ++step) {
                if (request.cancel.isCancelled()) {
                    result.cancelled = true;
                    return result;
                }
                std::this_thread::sleep_for(m_stepTime);
                ++m_state.stepsRun;
                Progress progress;
                progress.imageIndex = i;
                progress.batchSize = request.batchSize;
                progress.step = step;
                progress.totalSteps = request.steps;
                progress.secondsLeft = 0.001 * static_cast<double>((request.steps - step) * m_stepTime.count());
                progress.preview = Image(8, 8, 3, static_cast<std::uint8_t>(step));
                if (request.onProgress && !request.onProgress(progress)) {
                    result.cancelled = true;
                    return result;
                }
            }
            GeneratedImage image;
            image.seed = request.seed + static_cast<std::uint64_t>(i);
            image.image = Image(16, 8, 3, static_cast<std::uint8_t>(40 + i));
            image.verdict.allowed = true;
            image.verdict.checked = true;
            result.images.push_back(image);
        }
        result.deviceName = "fake";
        return result;
    }

private:
    FakeBackendState& m_state;
    std::chrono::milliseconds m_stepTime;
};

}  // namespace storybrush::test
