// EngineWorker: the job queue of the engine thread.
#include "app/engine_worker.h"

#include "app/image_convert.h"

#include <storybrush/error.h>

#include <QtCore/QMetaObject>
#include <QtCore/QMutexLocker>
#include <QtCore/QRandomGenerator>

#include <exception>

namespace storybrush {

EngineWorker::EngineWorker(std::unique_ptr<EngineBackend> backend, QObject* parent)
    : QObject(parent), m_backend(std::move(backend)) {
    qRegisterMetaType<storybrush::JobProgress>();
    qRegisterMetaType<storybrush::JobResult>();
    qRegisterMetaType<storybrush::JobRequest>();
}

EngineWorker::~EngineWorker() = default;

quint64 EngineWorker::submit(const JobRequest& request) {
    quint64 id = 0;
    {
        QMutexLocker lock(&m_mutex);
        id = m_nextId++;
        m_queue.push_back(Job{id, request, CancelToken{}});
    }
    // The event queue of the engine thread wakes it once per job; the job itself waits in m_queue so
    // that cancel() can reach it before it starts.
    QMetaObject::invokeMethod(this, &EngineWorker::runNext, Qt::QueuedConnection);
    return id;
}

void EngineWorker::cancel(quint64 jobId) {
    QMutexLocker lock(&m_mutex);
    if (jobId == m_runningId) m_runningCancel.cancel();
    for (auto& job : m_queue) {
        if (job.id == jobId) job.cancel.cancel();
    }
}

void EngineWorker::cancelAll() {
    QMutexLocker lock(&m_mutex);
    if (m_runningId != 0) m_runningCancel.cancel();
    for (auto& job : m_queue) job.cancel.cancel();
}

int EngineWorker::pendingCount() const {
    QMutexLocker lock(&m_mutex);
    return static_cast<int>(m_queue.size());
}

void EngineWorker::runNext() {
    Job job;
    {
        QMutexLocker lock(&m_mutex);
        if (m_queue.empty()) return;
        job = m_queue.front();
        m_queue.pop_front();
        m_runningId = job.id;
        m_runningCancel = job.cancel;
    }
    run(job);
    QMutexLocker lock(&m_mutex);
    m_runningId = 0;
}

void EngineWorker::run(const Job& job) {
    Q_EMIT started(job.id);
    const quint64 seed = job.request.randomSeed ? QRandomGenerator::global()->bounded(quint64(1) << 32)
                                                : job.request.seed;
    if (job.cancel.isCancelled()) {
        JobResult result;
        result.cancelled = true;
        result.firstSeed = seed;
        Q_EMIT finished(job.id, result);
        return;
    }
    try {
        GenerationRequest request = toEngineRequest(job.request, seed);
        request.cancel = job.cancel;
        const quint64 id = job.id;
        const CancelToken cancel = job.cancel;
        request.onProgress = [this, id, cancel](const Progress& step) {
            Q_EMIT progress(id, toJobProgress(step));
            return !cancel.isCancelled();
        };
        const GenerationResult result = m_backend->generate(request);
        Q_EMIT finished(job.id, toJobResult(result, seed));
    } catch (const Error& error) {
        Q_EMIT failed(job.id, QString::fromUtf8(error.what()));
    } catch (const std::bad_alloc&) {
        Q_EMIT failed(
            job.id, tr("There was not enough memory for this picture. Try a smaller size or fewer pictures at once."));
    } catch (const std::exception& error) {
        Q_EMIT failed(job.id,
                      tr("Something went wrong inside the drawing engine: %1").arg(QString::fromUtf8(error.what())));
    } catch (...) {
        Q_EMIT failed(job.id, tr("Something went wrong inside the drawing engine."));
    }
}

}  // namespace storybrush
