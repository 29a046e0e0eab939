// The studio window's layout and its reactions to the job lifecycle.
#include "ui/main_window.h"

#include "ui/canvas_tools.h"
#include "ui/canvas_view.h"
#include "ui/gallery_strip.h"
#include "ui/progress_strip.h"
#include "ui/prompt_panel.h"

#include <QtCore/QDir>
#include <QtCore/QFileInfo>
#include <QtGui/QAction>
#include <QtWidgets/QFileDialog>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMenu>
#include <QtWidgets/QSplitter>
#include <QtWidgets/QStatusBar>
#include <QtWidgets/QStyle>
#include <QtWidgets/QToolButton>
#include <QtWidgets/QVBoxLayout>

namespace storybrush {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Storybrush"));
    resize(1280, 800);
    setMinimumSize(1024, 640);

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(buildHeader());

    m_splitter = new QSplitter(Qt::Horizontal, central);
    m_splitter->setObjectName(QStringLiteral("mainSplitter"));
    m_splitter->setChildrenCollapsible(false);
    m_promptPanel = new PromptPanel(m_splitter);
    auto* canvasArea = new QWidget(m_splitter);
    canvasArea->setObjectName(QStringLiteral("canvasArea"));
    auto* canvasLayout = new QVBoxLayout(canvasArea);
    canvasLayout->setContentsMargins(0, 0, 0, 0);
    canvasLayout->setSpacing(0);
    m_canvas = new CanvasView(canvasArea);
    m_canvasTools = new CanvasTools(m_canvas, canvasArea);
    canvasLayout->addWidget(m_canvas, 1);
    canvasLayout->addWidget(m_canvasTools);
    m_gallery = new GalleryStrip(m_splitter);
    m_promptPanel->setMinimumWidth(320);
    m_gallery->setMinimumWidth(200);
    m_splitter->addWidget(m_promptPanel);
    m_splitter->addWidget(canvasArea);
    m_splitter->addWidget(m_gallery);
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setStretchFactor(2, 0);
    m_splitter->setSizes({360, 660, 260});
    layout->addWidget(m_splitter, 1);
    setCentralWidget(central);

    m_progress = new ProgressStrip(this);
    statusBar()->setSizeGripEnabled(false);
    statusBar()->addWidget(m_progress, 1);

    connect(m_promptPanel, &PromptPanel::drawClicked, this, &MainWindow::requestDraw);
    connect(m_promptPanel, &PromptPanel::stopClicked, this, &MainWindow::stopRequested);
    connect(m_progress, &ProgressStrip::stopClicked, this, &MainWindow::stopRequested);
    connect(m_canvas, &CanvasView::exampleChosen, m_promptPanel, &PromptPanel::setPrompt);
    connect(m_gallery, &GalleryStrip::pictureActivated, m_canvas, &CanvasView::setPicture);
    connect(m_gallery, &GalleryStrip::reuseRequested, this,
            [this](const QString& prompt) { m_promptPanel->setPrompt(prompt); });
    connect(m_gallery, &GalleryStrip::editRequested, this, [this](const QImage& picture) {
        m_canvas->setPicture(picture);
        m_canvas->setTool(CanvasTool::Brush);
    });
}

QWidget* MainWindow::buildHeader() {
    auto* header = new QWidget(this);
    header->setObjectName(QStringLiteral("header"));
    auto* layout = new QHBoxLayout(header);
    layout->setContentsMargins(16, 10, 16, 10);
    layout->setSpacing(12);
    auto* logo = new QLabel(header);
    logo->setPixmap(QIcon(QStringLiteral(":/storybrush/icons/storybrush.svg")).pixmap(28, 28));
    auto* title = new QLabel(tr("Storybrush"), header);
    title->setObjectName(QStringLiteral("appTitle"));
    // The model menu: the models found by name, a file or folder picked directly, and the model manager.
    m_modelButton = new QToolButton(header);
    m_modelButton->setObjectName(QStringLiteral("modelLabel"));
    m_modelButton->setPopupMode(QToolButton::InstantPopup);
    m_modelButton->setToolTip(tr("Which picture model draws"));
    auto* modelMenu = new QMenu(m_modelButton);
    modelMenu->addAction(tr("Built-in model"), this, [this] { setModel(QStringLiteral("builtin")); });
    m_installedModelsEnd = modelMenu->addSeparator();
    modelMenu->addAction(tr("Choose a model file…"), this, [this] { chooseModel(false); });
    modelMenu->addAction(tr("Choose a model folder…"), this, [this] { chooseModel(true); });
    modelMenu->addSeparator();
    auto* manage = modelMenu->addAction(tr("Manage models…"), this, [this] {
        if (m_kidMode && m_grownUpCheck && !m_grownUpCheck(tr("Manage the models"))) return;
        Q_EMIT manageModelsRequested();
    });
    manage->setObjectName(QStringLiteral("manageModels"));
    m_modelButton->setMenu(modelMenu);
    setModel(QStringLiteral("builtin"));
    m_kidBadge = new QToolButton(header);
    m_kidBadge->setObjectName(QStringLiteral("kidBadge"));
    connect(m_kidBadge, &QToolButton::clicked, this, &MainWindow::kidModeChangeRequested);
    auto* kidBadge = m_kidBadge;
    setKidMode(true);
    layout->addWidget(logo);
    layout->addWidget(title);
    layout->addStretch(1);
    auto* settings = new QToolButton(header);
    settings->setObjectName(QStringLiteral("settingsButton"));
    settings->setText(tr("Settings"));
    settings->setToolTip(tr("Models folder, graphics card, language, previews"));
    connect(settings, &QToolButton::clicked, this, &MainWindow::settingsRequested);
    layout->addWidget(m_modelButton);
    layout->addWidget(settings);
    layout->addWidget(kidBadge);
    return header;
}

void MainWindow::setModel(const QString& model) {
    const QString chosen = model.isEmpty() ? QStringLiteral("builtin") : model;
    const bool changed = chosen != m_model;
    m_model = chosen;
    const QString name = m_model == QStringLiteral("builtin") ? tr("Built-in") : QFileInfo(m_model).completeBaseName();
    m_modelButton->setText(tr("Model: %1").arg(name));
    if (changed) Q_EMIT modelChanged(m_model);
}

void MainWindow::setInstalledModels(const QStringList& paths) {
    QMenu* menu = m_modelButton->menu();
    for (QAction* action : menu->actions()) {
        if (action->property("installedModel").isValid()) menu->removeAction(action), action->deleteLater();
    }
    for (const QString& path : paths) {
        auto* action = new QAction(QFileInfo(path).completeBaseName(), menu);
        action->setProperty("installedModel", path);
        connect(action, &QAction::triggered, this, [this, path] { setModel(path); });
        menu->insertAction(m_installedModelsEnd, action);
    }
}

void MainWindow::setKidMode(bool on) {
    m_kidMode = on;
    m_kidBadge->setText(on ? tr("Kid mode on") : tr("Kid mode off"));
    m_kidBadge->setToolTip(on ? tr("Every picture is checked before anyone sees it. A grown-up's PIN turns this off.")
                              : tr("Grown-up mode: previews are shown as they are. Click to turn kid mode back on."));
    m_kidBadge->setProperty("on", on);
    m_kidBadge->style()->unpolish(m_kidBadge);
    m_kidBadge->style()->polish(m_kidBadge);
}

void MainWindow::setDrawingPreferences(const QString& device, double previewsPerSecond) {
    m_device = device.isEmpty() ? QStringLiteral("auto") : device;
    m_previewsPerSecond = qMax(0.0, previewsPerSecond);
}

void MainWindow::chooseModel(bool folder) {
    if (m_kidMode && m_grownUpCheck && !m_grownUpCheck(tr("Bring in a model"))) return;
    const QString start = m_model == QStringLiteral("builtin") ? QDir::homePath() : QFileInfo(m_model).absolutePath();
    const QString path = folder ? QFileDialog::getExistingDirectory(this, tr("Choose a model folder"), start)
                                : QFileDialog::getOpenFileName(this, tr("Choose a model file"), start,
                                                               tr("Safe model files (*.safetensors)"));
    if (!path.isEmpty()) setModel(path);
}

void MainWindow::setDeviceText(const QString& text) { m_progress->setDeviceText(text); }

void MainWindow::requestDraw() {
    JobRequest request = m_promptPanel->request();
    if (request.prompt.isEmpty()) {
        m_canvas->showMessage(tr("Tell me what to draw first: type an idea or pick a card."));
        return;
    }
    request.kidMode = m_kidMode;
    request.model = m_model;
    request.device = m_device;
    request.previewsPerSecond = m_previewsPerSecond;
    if (m_canvas->hasRepaintWork()) {
        // Repaint what is marked and fill any room added around the page; everything else stays as it is.
        request.initImage = m_canvas->picture();
        request.mask = m_canvas->mask();
        const CanvasMargins margins = m_canvas->margins();
        request.outpaintLeft = margins.left, request.outpaintTop = margins.top;
        request.outpaintRight = margins.right, request.outpaintBottom = margins.bottom;
        request.strength = m_canvasTools->strength();
    }
    m_canvas->hideMessage();
    m_runningPrompt = request.prompt;
    setRunning(true);
    Q_EMIT drawRequested(request);
}

void MainWindow::setRunning(bool running) { m_promptPanel->setRunning(running); }

void MainWindow::jobStarted(quint64) { m_progress->startJob(); }

void MainWindow::jobProgress(quint64, const JobProgress& progress) {
    m_progress->setProgress(progress.imageIndex, progress.batchSize, progress.step, progress.totalSteps,
                            progress.secondsLeft, progress.layersArrived, progress.layersTotal);
    // Kid mode: previews stay softened until the finished picture has passed the safety check.
    if (!progress.preview.isNull()) m_canvas->setPreview(progress.preview, m_kidMode);
}

void MainWindow::jobFinished(quint64, const JobResult& result) {
    setRunning(false);
    m_canvas->clearPreview();
    if (result.promptBlocked) {
        // Our own words in the user's language; the matched term goes to the adult log, never here.
        m_progress->finishJob(tr("Ready"));
        m_canvas->showMessage(
            result.blockedCategory == QStringLiteral("horror")
                ? tr("That sounds a bit too scary. Let's draw something cosy instead!")
                : tr("Let's try another idea! How about an animal, a place and something fun to do?"));
        return;
    }
    int shown = 0;
    for (const JobImage& image : result.images) {
        if (image.blocked || image.image.isNull()) continue;
        m_gallery->addPicture(image.image, m_runningPrompt);
        m_canvas->setPicture(image.image);
        ++shown;
    }
    const int heldBack = static_cast<int>(result.images.size()) - shown;
    if (heldBack > 0) {
        m_canvas->showMessage(result.childMessage.isEmpty() ? tr("Let's try another idea!") : result.childMessage);
    }
    if (!result.images.isEmpty()) m_promptPanel->showUsedSeed(result.images.first().seed);
    if (result.cancelled) {
        m_progress->finishJob(tr("Stopped"));
    } else {
        m_progress->finishJob(tr("Done in %1 s").arg(result.seconds, 0, 'f', 1));
    }
}

void MainWindow::jobFailed(quint64, const QString& message) {
    setRunning(false);
    m_canvas->clearPreview();
    m_progress->finishJob(tr("Ready"));
    m_canvas->showMessage(message);
}

}  // namespace storybrush
