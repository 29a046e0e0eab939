// Brush dabs straight on the 8-bit mask: a 4K picture stays smooth because each dab touches only its own
// square, and undo keeps only the area a stroke changed.
#include "ui/mask_layer.h"

#include <QtCore/QtMath>

#include <algorithm>
#include <cstring>

namespace storybrush {

namespace {
constexpr std::size_t kUndoSteps = 50;

QImage copyArea(const QImage& image, const QRect& area) { return image.copy(area); }

void pasteArea(QImage& image, const QRect& area, const QImage& pixels) {
    for (int y = 0; y < area.height(); ++y) {
        std::memcpy(image.scanLine(area.y() + y) + area.x(), pixels.constScanLine(y),
                    static_cast<std::size_t>(area.width()));
    }
}
}  // namespace

void MaskLayer::reset(const QSize& size) {
    m_mask = QImage(size, QImage::Format_Grayscale8);
    m_mask.fill(0);
    m_history.clear();
    m_undoneFrom = 0;
    m_stroking = false;
}

bool MaskLayer::isEmpty() const {
    for (int y = 0; y < m_mask.height(); ++y) {
        const uchar* line = m_mask.constScanLine(y);
        for (int x = 0; x < m_mask.width(); ++x) {
            if (line[x]) return false;
        }
    }
    return true;
}

void MaskLayer::setBrush(double diameter, double hardness) {
    m_diameter = std::clamp(diameter, 1.0, 2000.0);
    m_hardness = std::clamp(hardness, 0.0, 1.0);
}

QRect MaskLayer::dab(const QPointF& centre) {
    const double radius = m_diameter / 2.0;
    const QRect box = QRect(QPoint(qFloor(centre.x() - radius), qFloor(centre.y() - radius)),
                            QPoint(qCeil(centre.x() + radius), qCeil(centre.y() + radius)))
                          .intersected(m_mask.rect());
    if (box.isEmpty()) return {};
    // Full strength inside hardness * radius, then a smooth fall to nothing at the rim.
    const double inner = m_hardness * radius;
    for (int y = box.top(); y <= box.bottom(); ++y) {
        uchar* line = m_mask.scanLine(y);
        const uchar* start = m_strokeStart.constScanLine(y);
        for (int x = box.left(); x <= box.right(); ++x) {
            const double distance = std::hypot(x + 0.5 - centre.x(), y + 0.5 - centre.y());
            if (distance >= radius) continue;
            double strength = 1.0;
            if (distance > inner && radius > inner) {
                const double t = (distance - inner) / (radius - inner);
                strength = 1.0 - t * t * (3.0 - 2.0 * t);  // smoothstep fall-off
            }
            const int amount = static_cast<int>(std::lround(255.0 * strength));
            if (m_erasing) {
                line[x] = static_cast<uchar>(std::min<int>(line[x], std::min<int>(start[x], 255 - amount)));
            } else {
                line[x] = static_cast<uchar>(std::max<int>(line[x], std::max<int>(start[x], amount)));
            }
        }
    }
    return box;
}

QRect MaskLayer::beginStroke(const QPointF& at, bool erase) {
    if (m_mask.isNull()) return {};
    m_stroking = true;
    m_erasing = erase;
    m_strokeStart = m_mask;
    m_last = at;
    m_carry = 0.0;
    m_strokeArea = dab(at);
    return m_strokeArea;
}

QRect MaskLayer::continueStroke(const QPointF& to) {
    if (!m_stroking) return {};
    const double spacing = std::max(1.0, m_diameter * 0.15);
    const QPointF delta = to - m_last;
    const double length = std::hypot(delta.x(), delta.y());
    QRect changed;
    double walked = spacing - m_carry;
    while (walked <= length) {
        changed |= dab(m_last + delta * (walked / length));
        walked += spacing;
    }
    m_carry = length - (walked - spacing);
    m_last = to;
    m_strokeArea |= changed;
    return changed;
}

void MaskLayer::endStroke() {
    if (!m_stroking) return;
    m_stroking = false;
    if (!m_strokeArea.isEmpty()) record(m_strokeArea, copyArea(m_strokeStart, m_strokeArea));
    m_strokeStart = QImage();
}

void MaskLayer::record(const QRect& area, const QImage& before) {
    m_history.resize(m_undoneFrom);  // a new edit drops what was undone
    m_history.push_back({area, before, copyArea(m_mask, area)});
    if (m_history.size() > kUndoSteps) m_history.erase(m_history.begin());
    m_undoneFrom = m_history.size();
}

QRect MaskLayer::clear() {
    if (m_mask.isNull() || isEmpty()) return {};
    const QImage before = m_mask;
    m_mask.fill(0);
    record(m_mask.rect(), before);
    return m_mask.rect();
}

QRect MaskLayer::fill() {
    if (m_mask.isNull()) return {};
    const QImage before = m_mask;
    m_mask.fill(255);
    record(m_mask.rect(), before);
    return m_mask.rect();
}

QRect MaskLayer::invert() {
    if (m_mask.isNull()) return {};
    const QImage before = m_mask;
    m_mask.invertPixels();
    record(m_mask.rect(), before);
    return m_mask.rect();
}

QRect MaskLayer::undo() {
    if (!canUndo() || m_stroking) return {};
    const Change& change = m_history[--m_undoneFrom];
    pasteArea(m_mask, change.area, change.before);
    return change.area;
}

QRect MaskLayer::redo() {
    if (!canRedo() || m_stroking) return {};
    const Change& change = m_history[m_undoneFrom++];
    pasteArea(m_mask, change.area, change.after);
    return change.area;
}

}  // namespace storybrush
