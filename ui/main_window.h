// The studio window: header, prompt panel, canvas, gallery strip and the status line. It knows jobs
// only as app/job.h values; app/main.cpp connects it to the EngineWorker.
#pragma once

#include "ui/job.h"

#include <QtWidgets/QMainWindow>

#include <functional>

class QAction;
class QLabel;
class QSplitter;
class QToolButton;

namespace storybrush {

class CanvasTools;
class CanvasView;
class GalleryStrip;
class ProgressStrip;
class PromptPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);

    PromptPanel* promptPanel() const { return m_promptPanel; }
    CanvasView* canvas() const { return m_canvas; }
    CanvasTools* canvasTools() const { return m_canvasTools; }
    GalleryStrip* gallery() const { return m_gallery; }
    ProgressStrip* progressStrip() const { return m_progress; }
    bool isKidMode() const { return m_kidMode; }
    QString model() const { return m_model; }

    // Asked before a model file or folder is chosen in kid mode (models are for grown-ups to bring in); the app
    // sets it to its PIN question. Without one, choosing is open.
    void setGrownUpCheck(std::function<bool(const QString& why)> check) { m_grownUpCheck = std::move(check); }

public Q_SLOTS:
    void jobStarted(quint64 jobId);
    void jobProgress(quint64 jobId, const storybrush::JobProgress& progress);
    void jobFinished(quint64 jobId, const storybrush::JobResult& result);
    void jobFailed(quint64 jobId, const QString& message);
    void setDeviceText(const QString& text);
    // "builtin" or a .safetensors file / diffusers folder; used for the next drawings.
    void setModel(const QString& model);
    // Models that came with the installation (share/storybrush/models): offered by name in the model menu.
    void setInstalledModels(const QStringList& paths);
    // From the settings: which processor draws and how often step previews come (0: none).
    void setDrawingPreferences(const QString& device, double previewsPerSecond);
    // Kid mode: every request asks for the kid-safe defaults and previews stay softened until the verdict.
    // The app decides (turning it off needs the grown-ups' PIN); the badge in the header asks for the change.
    void setKidMode(bool on);

Q_SIGNALS:
    // The user asked for a picture; the receiver queues it and answers through the slots above.
    void drawRequested(const storybrush::JobRequest& request);
    void stopRequested();
    void modelChanged(const QString& model);
    void settingsRequested();
    // The model manager was asked for (in kid mode only after the grown-up check passed).
    void manageModelsRequested();
    void kidModeChangeRequested();

private:
    QWidget* buildHeader();
    void requestDraw();
    void setRunning(bool running);
    void chooseModel(bool folder);

    PromptPanel* m_promptPanel = nullptr;
    CanvasView* m_canvas = nullptr;
    CanvasTools* m_canvasTools = nullptr;
    GalleryStrip* m_gallery = nullptr;
    ProgressStrip* m_progress = nullptr;
    QSplitter* m_splitter = nullptr;
    QToolButton* m_modelButton = nullptr;
    QToolButton* m_kidBadge = nullptr;
    QAction* m_installedModelsEnd = nullptr;
    QString m_model = QStringLiteral("builtin");
    QString m_runningPrompt;
    QString m_device = QStringLiteral("auto");
    std::function<bool(const QString&)> m_grownUpCheck;
    double m_previewsPerSecond = 4.0;
    bool m_kidMode = true;
};

}  // namespace storybrush
