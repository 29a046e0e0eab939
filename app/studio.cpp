// Wiring between MainWindow (ui/) and EngineWorker (app/): see studio.h.
#include "app/studio.h"

#include "app/engine_worker.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"

#include <storybrush/safety.h>

namespace storybrush {

void connectStudio(MainWindow& window, EngineWorker& worker) {
    EngineWorker* engine = &worker;
    QObject::connect(&window, &MainWindow::drawRequested, &window, [engine](const JobRequest& request) { engine->submit(request); });
    QObject::connect(&window, &MainWindow::stopRequested, &window, [engine] { engine->cancelAll(); });
    QObject::connect(engine, &EngineWorker::started, &window, &MainWindow::jobStarted);
    QObject::connect(engine, &EngineWorker::progress, &window, &MainWindow::jobProgress);
    QObject::connect(engine, &EngineWorker::finished, &window, &MainWindow::jobFinished);
    QObject::connect(engine, &EngineWorker::failed, &window, &MainWindow::jobFailed);
    const auto words = kidModeNegativePrompt();
    window.promptPanel()->setKidModeNegative(QString::fromUtf8(words.data(), static_cast<int>(words.size())));
}

}  // namespace storybrush
