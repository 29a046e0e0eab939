// The engine thread's lifetime.
#include "app/engine_thread.h"

namespace storybrush {

EngineThread::EngineThread(std::unique_ptr<EngineBackend> backend) {
    m_thread.setObjectName(QStringLiteral("storybrush-engine"));
    m_worker = new EngineWorker(std::move(backend));
    m_worker->moveToThread(&m_thread);
    // Deferred deletes posted here are still run by the thread before it ends (QThread::finished).
    QObject::connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

EngineThread::~EngineThread() {
    m_worker->cancelAll();
    m_thread.quit();
    m_thread.wait();
    m_worker = nullptr;
}

}  // namespace storybrush
