// The bar under the canvas. Calm by default (start marking, make the page bigger, zoom); the brush tools
// appear once the person starts marking what to repaint (or presses B).
#pragma once

#include "ui/canvas_view.h"

#include <QtWidgets/QWidget>

class QLabel;
class QSlider;
class QToolButton;

namespace storybrush {

class CanvasTools : public QWidget {
    Q_OBJECT

public:
    CanvasTools(CanvasView* canvas, QWidget* parent = nullptr);

    // How much of the marked part (or the new area) is repainted, 0.1 .. 1.0.
    double strength() const;
    bool brushToolsShown() const;

    QToolButton* markButton() const { return m_mark; }
    QToolButton* eraseButton() const { return m_erase; }
    QSlider* sizeSlider() const { return m_size; }

private:
    void refresh();
    void showBrushTools(bool shown);

    CanvasView* m_canvas;
    QToolButton* m_start = nullptr;
    QToolButton* m_bigger = nullptr;
    QWidget* m_brushTools = nullptr;
    QToolButton* m_look = nullptr;
    QToolButton* m_mark = nullptr;
    QToolButton* m_erase = nullptr;
    QSlider* m_size = nullptr;
    QSlider* m_softness = nullptr;
    QToolButton* m_undo = nullptr;
    QToolButton* m_redo = nullptr;
    QSlider* m_strength = nullptr;
    QLabel* m_changeLabel = nullptr;
    QLabel* m_zoom = nullptr;
};

}  // namespace storybrush
