// The engine thread contract: progress arrives in order on the GUI thread, cancel stops a job within
// one step, a failing job reports its message and the worker keeps serving.
#include "app/engine_thread.h"
#include "app/real_engine_backend.h"
#include "common/fixtures.h"
#include "fake_backend.h"

#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>

using namespace storybrush;
using namespace std::chrono_literals;

class TestEngineWorker : public QObject {
    Q_OBJECT

private:
    static JobRequest job(const QString& prompt, int steps) {
        JobRequest request;
        request.prompt = prompt;
        request.steps = steps;
        request.randomSeed = false;
        request.seed = 1234;
        return request;
    }

private Q_SLOTS:
    void progressArrivesInOrderOnTheGuiThread() {
        test::FakeBackendState state;
        EngineThread thread(std::make_unique<test::FakeBackend>(state, 1ms));
        QList<int> steps;
        QList<bool> onGuiThread;
        quint64 finishedId = 0;
        JobResult finishedResult;
        QObject context;
        connect(thread.worker(), &EngineWorker::progress, &context, [&](quint64, const JobProgress& progress) {
            steps.append(progress.imageIndex * 100 + progress.step);
            onGuiThread.append(QThread::currentThread() == qApp->thread());
            QVERIFY(!progress.preview.isNull());
        });
        connect(thread.worker(), &EngineWorker::finished, &context, [&](quint64 id, const JobResult& result) {
            finishedId = id;
            finishedResult = result;
        });
        JobRequest request = job(QStringLiteral("a cute panda"), 12);
        request.batchSize = 2;
        const quint64 id = thread.worker()->submit(request);
        QTRY_COMPARE_WITH_TIMEOUT(finishedId, id, 10000);
        QList<int> expected;
        for (int image = 0; image < 2; ++image) {
            for (int step = 1; step <= 12; ++step) expected.append(image * 100 + step);
        }
        QCOMPARE(steps, expected);
        QVERIFY(!onGuiThread.contains(false));
        QVERIFY(state.lastThread != QThread::currentThreadId());  // the backend ran on the engine thread
        QCOMPARE(finishedResult.images.size(), 2);
        QCOMPARE(finishedResult.images[1].seed, quint64(1235));  // picture i uses seed + i
        QCOMPARE(finishedResult.images[0].image.size(), QSize(16, 8));
        QVERIFY(!finishedResult.cancelled);
    }

    void cancelStopsTheJobWithinOneStep() {
        test::FakeBackendState state;
        EngineThread thread(std::make_unique<test::FakeBackend>(state, 20ms));
        QSignalSpy finished(thread.worker(), &EngineWorker::finished);
        QObject context;
        int stepsSeenAtCancel = -1;
        quint64 id = 0;
        connect(thread.worker(), &EngineWorker::progress, &context, [&](quint64, const JobProgress& progress) {
            if (progress.step == 3 && stepsSeenAtCancel < 0) {
                stepsSeenAtCancel = state.stepsRun;
                thread.worker()->cancel(id);
            }
        });
        id = thread.worker()->submit(job(QStringLiteral("a long story"), 200));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        const auto result = finished.at(0).at(1).value<JobResult>();
        QVERIFY(result.cancelled);
        QVERIFY(result.images.isEmpty());
        // The progress signal is queued: the engine may have finished one more step before the GUI
        // thread saw step 3 and cancelled, and then at most one more.
        QVERIFY2(
            state.stepsRun <= stepsSeenAtCancel + 2,
            qPrintable(
                QStringLiteral("ran %1 steps after cancel at %2").arg(state.stepsRun.load()).arg(stepsSeenAtCancel)));
        QVERIFY(state.stepsRun < 200);
    }

    void cancellingAQueuedJobSkipsIt() {
        test::FakeBackendState state;
        EngineThread thread(std::make_unique<test::FakeBackend>(state, 5ms));
        QSignalSpy finished(thread.worker(), &EngineWorker::finished);
        const quint64 first = thread.worker()->submit(job(QStringLiteral("first"), 20));
        const quint64 second = thread.worker()->submit(job(QStringLiteral("second"), 20));
        thread.worker()->cancel(second);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 10000);
        QCOMPARE(finished.at(0).at(0).value<quint64>(), first);
        QVERIFY(!finished.at(0).at(1).value<JobResult>().cancelled);
        QCOMPARE(finished.at(1).at(0).value<quint64>(), second);
        QVERIFY(finished.at(1).at(1).value<JobResult>().cancelled);
        QCOMPARE(state.calls.load(), 1);  // the backend never saw the cancelled job
    }

    void failingJobReportsAndTheWorkerKeepsServing() {
        test::FakeBackendState state;
        EngineThread thread(std::make_unique<test::FakeBackend>(state, 1ms));
        QSignalSpy failed(thread.worker(), &EngineWorker::failed);
        QSignalSpy finished(thread.worker(), &EngineWorker::finished);
        QSignalSpy started(thread.worker(), &EngineWorker::started);
        const quint64 bad = thread.worker()->submit(job(QStringLiteral("fail please"), 5));
        const quint64 good = thread.worker()->submit(job(QStringLiteral("a happy frog"), 5));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QCOMPARE(failed.count(), 1);
        QCOMPARE(failed.at(0).at(0).value<quint64>(), bad);
        QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("truncated at byte 42")));
        QCOMPARE(finished.at(0).at(0).value<quint64>(), good);
        QCOMPARE(started.count(), 2);
    }

    void unknownSamplerIsReportedAsFailure() {
        test::FakeBackendState state;
        EngineThread thread(std::make_unique<test::FakeBackend>(state, 1ms));
        QSignalSpy failed(thread.worker(), &EngineWorker::failed);
        JobRequest request = job(QStringLiteral("a boat"), 3);
        request.sampler = QStringLiteral("k_lms_turbo");
        thread.worker()->submit(request);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("k_lms_turbo")));
        QCOMPARE(state.calls.load(), 0);
    }

    void randomSeedIsChosenAndReported() {
        test::FakeBackendState state;
        EngineThread thread(std::make_unique<test::FakeBackend>(state, 1ms));
        QSignalSpy finished(thread.worker(), &EngineWorker::finished);
        JobRequest request = job(QStringLiteral("a kite"), 2);
        request.randomSeed = true;
        thread.worker()->submit(request);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        const auto result = finished.at(0).at(1).value<JobResult>();
        QCOMPARE(result.images.size(), 1);
        QCOMPARE(result.images[0].seed, result.firstSeed);
    }

    void theShippedEngineDrawsOnItsThread() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/model_index.json");
        EngineThread thread(std::make_unique<RealEngineBackend>());
        QSignalSpy finished(thread.worker(), &EngineWorker::finished);
        QSignalSpy failed(thread.worker(), &EngineWorker::failed);
        QSignalSpy progress(thread.worker(), &EngineWorker::progress);
        JobRequest request = job(QStringLiteral("a cute panda"), 4);
        request.model = test::fixturePath(QStringLiteral("tiny-sd15-diffusers"));
        request.width = 64;
        request.height = 64;
        thread.worker()->submit(request);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count() + failed.count(), 1, 60000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(1).toString()));
        QCOMPARE(progress.count(), 4);
        const auto result = finished.at(0).at(1).value<JobResult>();
        QCOMPARE(result.images.size(), 1);
        QCOMPARE(result.images[0].image.size(), QSize(64, 64));
        QVERIFY(result.images[0].parameters.contains(QStringLiteral("Seed: 1234")));

        // The built-in model ships with the app: "builtin" draws with no path at all.
        request.model = QStringLiteral("builtin");
        thread.worker()->submit(request);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count() + finished.count(), 2, 60000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(1).toString()));
        const auto builtin = finished.at(1).at(1).value<JobResult>();
        QCOMPARE(builtin.images.size(), 1);
        QCOMPARE(builtin.images[0].image.size(), QSize(64, 64));
    }

    void destroyingTheThreadMidJobStopsCleanly() {
        test::FakeBackendState state;
        {
            EngineThread thread(std::make_unique<test::FakeBackend>(state, 10ms));
            thread.worker()->submit(job(QStringLiteral("endless"), 100000));
            QTRY_VERIFY_WITH_TIMEOUT(state.stepsRun > 2, 10000);
        }  // must cancel and join, not hang or crash
        QVERIFY(state.stepsRun < 100000);
    }
};

QTEST_GUILESS_MAIN(TestEngineWorker)
#include "tst_engine_worker.moc"
