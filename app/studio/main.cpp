// storybrush: the studio. Starts the window and the engine thread; without a display it draws a first picture
// with the built-in model and says what the headless tool can do, instead of failing.
#include "app/adult_lock.h"
#include "app/engine_thread.h"
#include "app/gallery_store.h"
#include "app/model_catalog.h"
#include "app/model_folder.h"
#include "app/real_engine_backend.h"
#include "app/safety_log.h"
#include "app/studio/studio.h"

#include "ui/canvas_view.h"
#include "ui/language.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/settings_dialog.h"
#include "ui/theme.h"

#include <storybrush/engine.h>
#include <storybrush/image_io.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QFileInfo>
#include <QtCore/QSettings>
#include <QtCore/QTimer>
#include <QtGui/QFontDatabase>
#include <QtWidgets/QApplication>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

bool haveDisplay() {
    const auto set = [](const char* name) {
        const char* value = std::getenv(name);
        return value != nullptr && *value != '\0';
    };
    return set("QT_QPA_PLATFORM") || set("DISPLAY") || set("WAYLAND_DISPLAY");
}

// No display (a server, CI, an SSH session): the window cannot open, so draw a first picture with the built-in
// model instead (the promise of the app: a picture the minute it is installed) and point at the headless tool.
int drawHeadless(const char* argv0) {
    const QString cliPath = QFileInfo(QString::fromLocal8Bit(argv0)).absolutePath() + QStringLiteral("/storybrush-cli");
    const std::string cli = cliPath.toStdString();
    std::printf("Storybrush %s: no display found, so the studio window cannot open here.\n"
                "Start it on a desktop (or with QT_QPA_PLATFORM=offscreen for tests).\n\n",
                STORYBRUSH_VERSION);
    const char* outputName = "storybrush-first-picture.png";
    try {
        storybrush::Engine engine;
        storybrush::GenerationRequest request;  // the built-in model at its own size
        request.prompt = "a cute frog on a sunny meadow";
        request.seed = 1;
        request.kidMode = true;
        std::printf("Drawing \"%s\" with the built-in model on %s ...\n", request.prompt.c_str(),
                    engine.deviceDescription().c_str());
        const auto result = engine.generate(request);
        if (result.images.empty() || result.images[0].image.empty()) {
            std::printf("The picture was held back by the kid-safe filter.\n");
        } else {
            storybrush::writePngFile(outputName, result.images[0].image, {{"parameters", result.images[0].parameters}});
            std::printf("Saved %s (%dx%d) in %.1f s.\n\n", outputName, result.images[0].image.width,
                        result.images[0].image.height, result.seconds);
        }
    } catch (const std::exception& error) {
        std::printf("No picture this time: %s\n\n", error.what());
    }
    std::printf("The headless tool draws more:\n"
                "  %s generate --model builtin --prompt \"a smiling baby dolphin in the sea\" -o dolphin.png\n"
                "  %s --help      everything it can do\n",
                cli.c_str(), cli.c_str());
    return 0;
}

// A bare system (no Chinese-capable font, or no font at all) uses the font the offline installer carries, so
// the studio never shows empty boxes where words should be.
void useBundledFontIfNeeded(QApplication& app) {
    if (!QFontDatabase::families(QFontDatabase::SimplifiedChinese).isEmpty()) return;
    const QDir fonts(QCoreApplication::applicationDirPath() + QStringLiteral("/../share/storybrush/fonts"));
    QString family;
    for (const QFileInfo& file :
         fonts.entryInfoList({QStringLiteral("*.ttf"), QStringLiteral("*.ttc"), QStringLiteral("*.otf")})) {
        const int id = QFontDatabase::addApplicationFont(file.absoluteFilePath());
        if (id >= 0 && family.isEmpty() && !QFontDatabase::applicationFontFamilies(id).isEmpty()) {
            family = QFontDatabase::applicationFontFamilies(id).first();
        }
    }
    if (!family.isEmpty()) app.setFont(QFont(family, app.font().pointSize()));
}

}  // namespace

int main(int argc, char** argv) {
    // --screenshot PATH: start, show the window, save what it looks like and quit (install checks, docs).
    QString screenshotPath;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--version")) {
            std::printf("storybrush %s\n", STORYBRUSH_VERSION);
            return 0;
        }
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            std::printf("Usage: storybrush [--screenshot PATH.png] [--reset-pin] [--version]\n"
                        "Opens the Storybrush studio. Without a display it draws a first picture instead.\n"
                        "The command-line tool storybrush-cli draws without a window.\n");
            return 0;
        }
        if (!std::strcmp(argv[i], "--screenshot") && i + 1 < argc) screenshotPath = QString::fromLocal8Bit(argv[++i]);
        if (!std::strcmp(argv[i], "--reset-pin")) {
            // A forgotten PIN: whoever can run programs on this account can reset it; kid mode stays on.
            QCoreApplication core(argc, argv);
            QCoreApplication::setOrganizationName(QStringLiteral("Storybrush"));
            QCoreApplication::setApplicationName(QStringLiteral("Storybrush"));
            QSettings settings;
            storybrush::AdultLock(settings).reset();
            std::printf("The grown-ups' PIN is removed. The next time kid mode is turned off, a new one is chosen.\n");
            return 0;
        }
    }
    if (!haveDisplay()) return drawHeadless(argv[0]);

    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Storybrush"));
    QCoreApplication::setApplicationName(QStringLiteral("Storybrush"));
    QCoreApplication::setApplicationVersion(QStringLiteral(STORYBRUSH_VERSION));
    useBundledFontIfNeeded(app);
    storybrush::applyTheme(app);
    QSettings settings;
    // STORYBRUSH_LANG (e.g. zh_CN, en) overrides the saved choice, which overrides the system locale.
    const QString language =
        qEnvironmentVariable("STORYBRUSH_LANG", settings.value(QStringLiteral("ui/language")).toString());
    storybrush::installLanguage(app, language);

    storybrush::EngineThread engineThread(std::make_unique<storybrush::RealEngineBackend>());

    storybrush::MainWindow window;
    // Pictures are kept in the user's data folder (or the one chosen in the settings); without it the studio
    // still draws, and says so.
    const QString picturesFolder = settings.value(QStringLiteral("gallery/folder")).toString();
    storybrush::GalleryStore gallery(picturesFolder.isEmpty() ? storybrush::GalleryStore::defaultFolder()
                                                              : picturesFolder);
    QString galleryError;
    const bool galleryOpen = gallery.open(&galleryError);
    storybrush::connectStudio(window, *engineThread.worker(), galleryOpen ? &gallery : nullptr);
    if (!galleryOpen) {
        window.canvas()->showMessage(
            QCoreApplication::translate("storybrush::Studio", "Pictures cannot be kept this time: %1")
                .arg(galleryError));
    }
    window.setModel(settings.value(QStringLiteral("engine/model"), QStringLiteral("builtin")).toString());
    QObject::connect(&window, &storybrush::MainWindow::modelChanged, &window,
                     [&settings](const QString& model) { settings.setValue(QStringLiteral("engine/model"), model); });

    // Models offered by name: those an installer brought along (build-installer.sh --with-model) and those in
    // the models folder of the settings (a ComfyUI or A1111 folder works as it is).
    const auto readSettings = [&settings] {
        storybrush::StudioSettings current;
        current.modelsFolder = settings.value(QStringLiteral("models/folder")).toString();
        current.device = settings.value(QStringLiteral("engine/device"), QStringLiteral("auto")).toString();
        current.language = settings.value(QStringLiteral("ui/language")).toString();
        current.previewsPerSecond = settings.value(QStringLiteral("engine/previewsPerSecond"), 4.0).toDouble();
        current.picturesFolder = settings.value(QStringLiteral("gallery/folder")).toString();
        return current;
    };
    const auto applySettings = [&window](const storybrush::StudioSettings& current) {
        QStringList models = storybrush::offeredModels(current.modelsFolder);
        models.removeAll(QStringLiteral("builtin"));  // the menu has its own entry for it
        window.setInstalledModels(models);
        window.promptPanel()->setAvailableLoras(storybrush::findLoras(current.modelsFolder));
        window.setDrawingPreferences(current.device, current.previewsPerSecond);
    };
    applySettings(readSettings());
    storybrush::ModelManagerHooks modelHooks;
    modelHooks.settings = &settings;
    modelHooks.modelsFolder = [&settings] {
        // Models brought in with no models folder set go to the user's data folder, which becomes the models folder.
        QString folder = settings.value(QStringLiteral("models/folder")).toString();
        if (folder.isEmpty()) {
            folder = storybrush::defaultModelsFolder();
            settings.setValue(QStringLiteral("models/folder"), folder);
        }
        return folder;
    };
    modelHooks.modelsChanged = [&] { applySettings(readSettings()); };
    storybrush::connectModelManager(window, modelHooks);
    storybrush::AdultLock adultLock(settings);
    storybrush::SafetyLog safetyLog(storybrush::SafetyLog::defaultFile());
    storybrush::connectSafety(window, *engineThread.worker(), adultLock, safetyLog);
    QObject::connect(&window, &storybrush::MainWindow::settingsRequested, &window, [&] {
        // In kid mode the settings (models folder, device, the log) are for grown-ups only.
        if (window.isKidMode() &&
            !storybrush::askGrownUp(&window, adultLock,
                                    QCoreApplication::translate("storybrush::Studio", "Change the settings"))) {
            return;
        }
        storybrush::SettingsDialog dialog(readSettings(), &window);
        QObject::connect(&dialog, &storybrush::SettingsDialog::safetyLogRequested, &dialog,
                         [&dialog, &safetyLog] { storybrush::showSafetyLog(&dialog, safetyLog); });
        if (dialog.exec() != QDialog::Accepted) return;
        const storybrush::StudioSettings chosen = dialog.settings();
        settings.setValue(QStringLiteral("models/folder"), chosen.modelsFolder);
        settings.setValue(QStringLiteral("engine/device"), chosen.device);
        settings.setValue(QStringLiteral("ui/language"), chosen.language);
        settings.setValue(QStringLiteral("engine/previewsPerSecond"), chosen.previewsPerSecond);
        settings.setValue(QStringLiteral("gallery/folder"), chosen.picturesFolder);
        applySettings(chosen);
    });
    window.restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    window.show();
    if (!screenshotPath.isEmpty()) {
        QTimer::singleShot(500, &window, [&window, screenshotPath] {
            const bool saved = window.grab().save(screenshotPath);
            std::printf("%s %s\n", saved ? "saved" : "could not save", qPrintable(screenshotPath));
            QCoreApplication::exit(saved ? 0 : 1);
        });
    }
    const int status = app.exec();
    settings.setValue(QStringLiteral("window/geometry"), window.saveGeometry());
    return status;
}
