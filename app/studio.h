// The studio put together: the main window wired to the engine thread, as the app runs it (and as the
// end-to-end UI test drives it).
#pragma once

namespace storybrush {

class EngineWorker;
class GalleryStore;
class MainWindow;

// Draw/Stop go to the worker (its submit/cancelAll are thread-safe: called directly on the GUI thread, never
// queued behind the running job); the worker's progress and results come back to the window. Also shows the
// kid-mode negative words the engine adds. With a store, every finished picture is kept in it (a failure shows a
// message on the canvas) and the gallery starts with the newest pictures kept before.
void connectStudio(MainWindow& window, EngineWorker& worker, GalleryStore* store = nullptr);

// Opens the bin (non-modal, deleted on close): pictures put back return to the gallery; emptying deletes them.
void showBin(MainWindow& window, GalleryStore& store);

}  // namespace storybrush
