// EngineWorker: runs generation jobs one at a time on the engine thread and reports back with signals.
#pragma once

#include "app/engine_backend.h"
#include "ui/job.h"

#include <storybrush/progress.h>

#include <QtCore/QMutex>
#include <QtCore/QObject>

#include <deque>
#include <memory>

namespace storybrush {

// Thread contract:
// - The worker lives on the engine thread (EngineThread moves it there); the backend is only ever
//   called on that thread.
// - submit(), cancel(), cancelAll() and pendingCount() are thread-safe: the GUI thread calls them.
// - Signals are emitted on the engine thread; receivers on the GUI thread get them queued, in the
//   order they were emitted (started, progress..., then finished or failed, once per job).
class EngineWorker : public QObject {
    Q_OBJECT

public:
    explicit EngineWorker(std::unique_ptr<EngineBackend> backend, QObject* parent = nullptr);
    ~EngineWorker() override;

    // Queues a job and returns its id (1, 2, ...). Jobs run in submission order.
    quint64 submit(const JobRequest& request);
    // Stops the job at its next step if it runs, or drops it if still queued; either way it ends with
    // finished(result.cancelled = true). Unknown or ended ids are ignored.
    void cancel(quint64 jobId);
    void cancelAll();
    int pendingCount() const;  // queued, not yet started

Q_SIGNALS:
    void started(quint64 jobId);
    void progress(quint64 jobId, storybrush::JobProgress progress);
    void finished(quint64 jobId, storybrush::JobResult result);
    void failed(quint64 jobId, QString message);

private:
    struct Job {
        quint64 id = 0;
        JobRequest request;
        CancelToken cancel;
    };

    void runNext();  // engine thread
    void run(const Job& job);

    std::unique_ptr<EngineBackend> m_backend;
    mutable QMutex m_mutex;  // guards everything below
    std::deque<Job> m_queue;
    quint64 m_nextId = 1;
    quint64 m_runningId = 0;
    CancelToken m_runningCancel;
};

}  // namespace storybrush
