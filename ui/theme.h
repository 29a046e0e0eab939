// The look: Fusion plus one small style sheet (resources/theme/), light first.
#pragma once

class QApplication;

namespace storybrush {

void applyTheme(QApplication& app);

}  // namespace storybrush
