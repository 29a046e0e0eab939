// The studio put together: the main window wired to the engine thread, as the app runs it (and as the
// end-to-end UI test drives it).
#pragma once

namespace storybrush {

class EngineWorker;
class MainWindow;

// Draw/Stop go to the worker (its submit/cancelAll are thread-safe: called directly on the GUI thread, never
// queued behind the running job); the worker's progress and results come back to the window. Also shows the
// kid-mode negative words the engine adds.
void connectStudio(MainWindow& window, EngineWorker& worker);

}  // namespace storybrush
