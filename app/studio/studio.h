// The studio put together: the main window wired to the engine thread, as the app runs it (and as the
// end-to-end UI test drives it).
#pragma once

#include <functional>

class QSettings;
class QWidget;
class QString;

namespace storybrush {

class AdultLock;
class SafetyLog;
class EngineWorker;
class GalleryStore;
class MainWindow;

// Draw/Stop go to the worker (its submit/cancelAll are thread-safe: called directly on the GUI thread, never
// queued behind the running job); the worker's progress and results come back to the window. Also shows the
// kid-mode negative words the engine adds. With a store, every finished picture is kept in it (a failure shows a
// message on the canvas) and the gallery starts with the newest pictures kept before.
void connectStudio(MainWindow& window, EngineWorker& worker, GalleryStore* store = nullptr);

// Kid mode and the grown-ups' side: the header badge turns kid mode off only with the PIN (chosen the first
// time), and back on at once; whatever the checks hold back (prompt or picture) goes to the log, by category.
// The studio always starts in kid mode.
void connectSafety(MainWindow& window, EngineWorker& worker, AdultLock& lock, SafetyLog& log);

// Asks for the PIN (or to choose one when there is none); true when a grown-up answered. `why` is shown.
bool askGrownUp(QWidget* parent, AdultLock& lock, const QString& why);

// The held-back log (modal), with its Clear button.
void showSafetyLog(QWidget* parent, SafetyLog& log);

// The model manager (Model menu → Manage models…): every model offered with its kind, size and whether it can be
// used; files dropped on it are brought in on a worker thread (then modelsChanged runs, to refresh the menus);
// "Draw with this model" chooses one. Each model's own starting settings are kept in `settings` and applied to the
// prompt panel whenever that model is chosen (also now, for the current one).
struct ModelManagerHooks {
    QSettings* settings = nullptr;
    std::function<QString()> modelsFolder;  // where brought-in models go (ComfyUI/A1111 layouts respected)
    std::function<void()> modelsChanged;
};
void connectModelManager(MainWindow& window, const ModelManagerHooks& hooks);

// Opens the bin (non-modal, deleted on close): pictures put back return to the gallery; emptying deletes them.
void showBin(MainWindow& window, GalleryStore& store);

}  // namespace storybrush
