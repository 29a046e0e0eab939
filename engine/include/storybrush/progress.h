// Progress, previews and cancellation travel inside each request (never process-global), so one job
// can be watched or stopped without touching another.
#pragma once

#include <storybrush/image.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace storybrush {

// Shared flag: copies refer to the same flag. cancel() may be called from any thread; the engine
// checks it before every sampling step and stops within one step.
class CancelToken {
public:
    CancelToken() : m_flag(std::make_shared<std::atomic<bool>>(false)) {}
    void cancel() const noexcept { m_flag->store(true, std::memory_order_relaxed); }
    bool isCancelled() const noexcept { return m_flag->load(std::memory_order_relaxed); }

private:
    std::shared_ptr<std::atomic<bool>> m_flag;
};

struct Progress {
    int imageIndex = 0;  // which picture of the batch (0-based)
    int batchSize = 1;
    int step = 0;  // steps done for this picture, 1..totalSteps
    int totalSteps = 0;
    double elapsedSeconds = 0.0;
    double secondsLeft = -1.0;  // estimate for the whole job; negative while unknown
    // A cheap look at the picture so far (latent->RGB or TAESD), sent no more often than the request's
    // preview rate. Not safety-checked: the caller applies the kid-mode preview policy.
    std::optional<Image> preview;
    // On a card too small for the whole model its layers come over from main memory during each step: how many
    // of them have arrived for the step now running (0 of 0 when nothing streams).
    int layersArrived = 0;
    int layersTotal = 0;
};

// Called on the engine's thread after each step. Return false to stop the job (like the abort
// callback of llama.cpp); the engine then returns what it has with `cancelled` set.
using ProgressCallback = std::function<bool(const Progress&)>;

}  // namespace storybrush
