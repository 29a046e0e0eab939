// The repaint mask a person paints over the picture: soft or hard round brush, eraser, clear, invert, fill,
// and per-stroke undo/redo. Pixel logic only (QtGui), so it is tested without a widget.
#pragma once

#include <QtCore/QPointF>
#include <QtCore/QRect>
#include <QtGui/QImage>

#include <vector>

namespace storybrush {

class MaskLayer {
public:
    // A new, empty mask of the picture's size (grey, 255 = repaint). Clears the undo history.
    void reset(const QSize& size);
    const QImage& mask() const { return m_mask; }
    QSize size() const { return m_mask.size(); }
    bool isEmpty() const;  // nothing painted

    // Brush diameter in picture pixels (1..2000) and hardness 0 (soft, fades from the centre) .. 1 (hard edge).
    void setBrush(double diameter, double hardness);
    double brushDiameter() const { return m_diameter; }
    double brushHardness() const { return m_hardness; }

    // A stroke: begin at a point, continue through points (dabs are spaced along the segment so fast
    // movements leave no gaps), end. Painting raises pixels towards the brush, erasing lowers them; a
    // soft brush never builds up beyond its own shape within one stroke. Returns the changed area.
    QRect beginStroke(const QPointF& at, bool erase);
    QRect continueStroke(const QPointF& to);
    void endStroke();
    bool isStroking() const { return m_stroking; }

    // Whole-mask edits; each is one undo step. Return the changed area.
    QRect clear();
    QRect fill();
    QRect invert();

    bool canUndo() const { return m_undoneFrom > 0; }
    bool canRedo() const { return m_undoneFrom < m_history.size(); }
    QRect undo();
    QRect redo();

private:
    struct Change {
        QRect area;
        QImage before;
        QImage after;
    };

    QRect dab(const QPointF& centre);
    void record(const QRect& area, const QImage& before);

    QImage m_mask;
    double m_diameter = 48.0;
    double m_hardness = 0.5;
    bool m_stroking = false;
    bool m_erasing = false;
    QPointF m_last;
    double m_carry = 0.0;  // distance walked since the last dab
    QImage m_strokeStart;  // the mask when the stroke began (undo, and no build-up)
    QRect m_strokeArea;
    std::vector<Change> m_history;
    std::size_t m_undoneFrom = 0;  // m_history[m_undoneFrom..] are undone (redo-able)
};

}  // namespace storybrush
