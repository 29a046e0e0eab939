// Wiring between MainWindow (ui/) and EngineWorker (app/): see studio.h.
#include "app/studio/studio.h"

#include "app/adult_lock.h"
#include "app/engine_worker.h"
#include "app/gallery_store.h"
#include "app/model_catalog.h"
#include "app/safety_log.h"
#include "ui/bin_dialog.h"
#include "ui/canvas_view.h"
#include "ui/gallery_strip.h"
#include "ui/main_window.h"
#include "ui/model_manager_dialog.h"
#include "ui/pin_dialog.h"
#include "ui/prompt_panel.h"
#include "ui/safety_log_dialog.h"

#include <storybrush/image_io.h>
#include <storybrush/safety.h>
#include <storybrush/tokens.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QFile>
#include <QtCore/QLocale>
#include <QtCore/QSettings>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtGui/QImageReader>

#include <memory>

namespace storybrush {

namespace {

// The gallery opens with at most this many pictures; older ones stay in the store (search finds them later).
constexpr int kPicturesShownAtStart = 200;

void keepPictures(MainWindow& window, EngineWorker& worker, GalleryStore& store) {
    // Kept pictures arrive a few at a time, newest first, as small thumbnails decoded at their size: the window is
    // there at once, and hundreds of pictures do not sit in memory at full size.
    auto pending = std::make_shared<QList<GalleryRecord>>(store.list().mid(0, kPicturesShownAtStart));
    auto* loader = new QTimer(&window);
    QObject::connect(loader, &QTimer::timeout, &window, [&window, pending, loader] {
        for (int i = 0; i < 4 && !pending->isEmpty(); ++i) {
            const GalleryRecord record = pending->takeFirst();
            QImageReader reader(record.file);
            QSize size = reader.size();
            const int side = GalleryStrip::thumbnailSize();
            if (size.isValid()) reader.setScaledSize(size.scaled(side, side, Qt::KeepAspectRatio));
            const QImage thumbnail = reader.read();
            window.gallery()->addKeptPicture(thumbnail, record.prompt, record.file, record.favourite);
        }
        if (pending->isEmpty()) loader->deleteLater();
    });
    loader->start(0);
    QObject::connect(window.gallery(), &GalleryStrip::trashRequested, &window,
                     [&store](const QString& file) { store.moveToTrash(file); });
    QObject::connect(window.gallery(), &GalleryStrip::binRequested, &window,
                     [&window, &store] { showBin(window, store); });
    QObject::connect(window.gallery(), &GalleryStrip::favouriteChanged, &window,
                     [&store](const QString& file, bool favourite) { store.setFavourite(file, favourite); });
    QObject::connect(&worker, &EngineWorker::finished, &window, [&window, &store](quint64, const JobResult& result) {
        for (const auto& image : result.images) {
            if (image.blocked || image.image.isNull()) continue;
            QString error;
            if (const auto kept = store.add(image.image, image.parameters, &error)) {
                window.gallery()->setPictureFile(image.image, kept->file);
            } else {
                window.canvas()->showMessage(
                    QCoreApplication::translate("storybrush::Studio", "This picture could not be kept: %1").arg(error));
            }
        }
    });
}

}  // namespace

void connectModelManager(MainWindow& window, const ModelManagerHooks& hooks) {
    QSettings* settings = hooks.settings;
    const auto applyDefaults = [&window, settings](const QString& model) {
        window.promptPanel()->applyModelDefaults(startingPoint(*settings, model));
    };
    applyDefaults(window.model());
    QObject::connect(&window, &MainWindow::modelChanged, &window, applyDefaults);
    QObject::connect(&window, &MainWindow::manageModelsRequested, &window, [&window, hooks, settings] {
        auto* dialog = new ModelManagerDialog(&window);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        const auto refresh = [dialog, hooks, &window](const QString& select) {
            QList<ModelEntry> entries;
            for (const QString& path : offeredModels(hooks.modelsFolder())) entries.append(describeModel(path));
            dialog->setModels(entries, select.isEmpty() ? window.model() : select);
        };
        dialog->setDefaultsProvider([settings](const QString& path) { return readModelDefaults(*settings, path); });
        refresh({});
        QObject::connect(dialog, &ModelManagerDialog::useModelRequested, &window,
                         [&window](const QString& path) { window.setModel(path); });
        QObject::connect(dialog, &ModelManagerDialog::defaultsSaved, &window,
                         [&window, settings](const QString& path, const ModelDefaults& defaults) {
            writeModelDefaults(*settings, path, defaults);
            if (path == window.model()) window.promptPanel()->applyModelDefaults(startingPoint(*settings, path));
        });
        QObject::connect(dialog, &ModelManagerDialog::importRequested, dialog,
                         [dialog, hooks, refresh](const QStringList& paths) {
            // Copying a model of several GB and checking it takes a while: off the GUI thread.
            const QString folder = hooks.modelsFolder();
            auto outcomes = std::make_shared<QList<ImportOutcome>>();
            QThread* worker = QThread::create([paths, folder, outcomes] {
                for (const QString& path : paths) outcomes->append(importModel(path, folder));
            });
            dialog->setBusy(true);
            QObject::connect(worker, &QThread::finished, worker, &QObject::deleteLater);
            QObject::connect(worker, &QThread::finished, dialog, [dialog, hooks, refresh, outcomes] {
                QStringList done, problems;
                QString broughtIn;  // selected afterwards, so its defaults can be set at once
                for (const ImportOutcome& outcome : *outcomes) {
                    (outcome.ok ? done : problems).append(outcome.message);
                    if (outcome.ok && !outcome.lora) broughtIn = outcome.path;
                }
                dialog->setBusy(false);
                if (hooks.modelsChanged) hooks.modelsChanged();
                refresh(broughtIn);
                dialog->showOutcomes(done, problems);
            });
            worker->start();
        });
        dialog->open();
    });
}

void showBin(MainWindow& window, GalleryStore& store) {
    QList<BinnedPicture> pictures;
    for (const auto& record : store.list({}, true)) pictures.append({QImage(record.file), record.prompt, record.file});
    auto* dialog = new BinDialog(pictures, &window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    QObject::connect(dialog, &BinDialog::restoreRequested, &window, [&window, &store](const QString& file) {
        if (!store.restore(file)) return;
        for (const auto& record : store.list()) {
            if (record.file == file) window.gallery()->addPicture(QImage(file), record.prompt, file, record.favourite);
        }
    });
    QObject::connect(dialog, &BinDialog::emptyRequested, &window, [&store] { store.emptyTrash(); });
    dialog->open();
}

namespace {

// The prompt counter reads with the CLIP tokenizer every SD 1.x/2.x/XL model uses (as A1111's counter does).
void countTokens(PromptPanel& panel) {
    std::shared_ptr<const TokenCounter> counter;
    try {
        counter = std::make_shared<const TokenCounter>();
    } catch (const std::exception&) {
        return;  // no tokenizer installed: no counter, everything else works
    }
    panel.setTokenCounter([counter](const QString& prompt) {
        const TokenCount count = counter->count(prompt.toStdString());
        return std::make_pair(count.tokens, count.chunks);
    });
}

// "Use these settings again": the kept picture's own parameters text, so everything comes back as it was.
void reuseSettings(MainWindow& window, const QString& file) {
    if (file.isEmpty()) return;
    QString parameters;
    try {
        const auto text = readPngTextChunks(QFile::encodeName(file).toStdString());
        const auto found = text.find("parameters");
        if (found == text.end()) return;
        parameters = QString::fromStdString(found->second);
    } catch (const std::exception&) {
        return;  // the file went away: the words (already restored) are all there is
    }
    const GalleryRecord record = GalleryStore::parseParameters(parameters);
    JobRequest settings;
    settings.prompt = record.prompt;
    settings.negativePrompt = record.negativePrompt;
    settings.steps = record.steps;
    settings.cfgScale = record.cfgScale;
    settings.sampler = record.sampler;
    settings.seed = record.seed;
    settings.randomSeed = false;
    settings.width = record.size.width();
    settings.height = record.size.height();
    window.promptPanel()->applySettings(settings);
}

}  // namespace

bool askGrownUp(QWidget* parent, AdultLock& lock, const QString& why) {
    const bool choosing = !lock.hasPin();
    PinDialog dialog(choosing ? PinDialog::Mode::Choose : PinDialog::Mode::Enter, why, parent);
    if (const int wait = lock.secondsUntilNextTry(); wait > 0) {
        dialog.showProblem(QCoreApplication::translate(
            "storybrush::Studio", "Too many wrong tries: please wait %n second(s).", nullptr, wait));
    }
    while (dialog.exec() == QDialog::Accepted) {
        if (choosing) {
            QString error;
            if (lock.setPin(dialog.pin(), &error)) return true;
            dialog.showProblem(
                QCoreApplication::translate("storybrush::Studio", "That PIN cannot be used: it needs 4 to 12 digits."));
            continue;
        }
        int wait = 0;
        switch (lock.check(dialog.pin(), &wait)) {
        case AdultLock::Check::Accepted: return true;
        case AdultLock::Check::Wrong:
            dialog.showProblem(wait > 0 ? QCoreApplication::translate(
                                              "storybrush::Studio",
                                              "That is not the PIN. Please wait %n second(s) before the next try.",
                                              nullptr, wait)
                                        : QCoreApplication::translate("storybrush::Studio", "That is not the PIN."));
            break;
        case AdultLock::Check::WaitFirst:
            dialog.showProblem(QCoreApplication::translate(
                "storybrush::Studio", "Too many wrong tries: please wait %n second(s).", nullptr, wait));
            break;
        }
    }
    return false;
}

void showSafetyLog(QWidget* parent, SafetyLog& log) {
    QStringList lines;
    for (const SafetyLogEntry& entry : log.entries()) {
        const QString kind = entry.kind == QStringLiteral("picture")
                                 ? QCoreApplication::translate("storybrush::Studio", "picture")
                                 : QCoreApplication::translate("storybrush::Studio", "words");
        lines << QStringLiteral("%1 · %2 · %3")
                     .arg(QLocale().toString(entry.when.toLocalTime(), QLocale::ShortFormat), kind,
                          entry.category.isEmpty() ? QStringLiteral("?") : entry.category);
    }
    SafetyLogDialog dialog(lines, parent);
    QObject::connect(&dialog, &SafetyLogDialog::clearRequested, &dialog, [&log] { log.clear(); });
    dialog.exec();
}

void connectSafety(MainWindow& window, EngineWorker& worker, AdultLock& lock, SafetyLog& log) {
    window.setKidMode(true);
    window.setGrownUpCheck([&window, &lock](const QString& why) { return askGrownUp(&window, lock, why); });
    QObject::connect(&window, &MainWindow::kidModeChangeRequested, &window, [&window, &lock] {
        if (!window.isKidMode()) {
            window.setKidMode(true);  // back to the safe side needs no PIN
            return;
        }
        if (askGrownUp(&window, lock, QCoreApplication::translate("storybrush::Studio", "Turn kid mode off"))) {
            window.setKidMode(false);
        }
    });
    QObject::connect(&worker, &EngineWorker::finished, &window, [&log](quint64, const JobResult& result) {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        if (result.promptBlocked) log.append({now, QStringLiteral("prompt"), result.blockedCategory});
        for (const JobImage& image : result.images) {
            if (image.blocked) log.append({now, QStringLiteral("picture"), QString()});
        }
    });
}

void connectStudio(MainWindow& window, EngineWorker& worker, GalleryStore* store) {
    EngineWorker* engine = &worker;
    QObject::connect(&window, &MainWindow::drawRequested, &window,
                     [engine](const JobRequest& request) { engine->submit(request); });
    QObject::connect(&window, &MainWindow::stopRequested, &window, [engine] { engine->cancelAll(); });
    QObject::connect(engine, &EngineWorker::started, &window, &MainWindow::jobStarted);
    QObject::connect(engine, &EngineWorker::progress, &window, &MainWindow::jobProgress);
    QObject::connect(engine, &EngineWorker::finished, &window, &MainWindow::jobFinished);
    QObject::connect(engine, &EngineWorker::failed, &window, &MainWindow::jobFailed);
    const auto words = kidModeNegativePrompt();
    window.promptPanel()->setKidModeNegative(QString::fromUtf8(words.data(), static_cast<int>(words.size())));
    countTokens(*window.promptPanel());
    QObject::connect(window.gallery(), &GalleryStrip::reuseRequested, &window,
                     [&window](const QString&, const QString& file) { reuseSettings(window, file); });
    if (store) keepPictures(window, worker, *store);
}

}  // namespace storybrush
