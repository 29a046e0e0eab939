// Owns the engine thread and the EngineWorker that lives on it.
#pragma once

#include "app/engine_worker.h"

#include <QtCore/QThread>

#include <memory>

namespace storybrush {

// Created and destroyed on the GUI thread. The destructor cancels every job, stops the thread with
// quit() + wait() and lets the worker (and with it the engine) be deleted on the engine thread: the
// thread is never left running at exit.
class EngineThread {
public:
    explicit EngineThread(std::unique_ptr<EngineBackend> backend);
    ~EngineThread();
    EngineThread(const EngineThread&) = delete;
    EngineThread& operator=(const EngineThread&) = delete;

    EngineWorker* worker() const { return m_worker; }

private:
    QThread m_thread;
    EngineWorker* m_worker = nullptr;
};

}  // namespace storybrush
