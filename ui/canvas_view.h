// The canvas: the current picture (or the live preview while drawing), a friendly empty state, the message
// banner, and where a person marks what to repaint: a mask brush and eraser, zoom and pan, and the frame
// of a canvas extension (outpainting).
#pragma once

#include "ui/mask_layer.h"

#include <QtGui/QImage>
#include <QtGui/QPixmap>
#include <QtWidgets/QWidget>

class QLabel;
class QPushButton;
class QFrame;

namespace storybrush {

enum class CanvasTool { Look, Brush, Eraser };

struct CanvasMargins {
    int left = 0, top = 0, right = 0, bottom = 0;
    bool any() const { return left > 0 || top > 0 || right > 0 || bottom > 0; }
    bool operator==(const CanvasMargins& o) const {
        return left == o.left && top == o.top && right == o.right && bottom == o.bottom;
    }
};

class CanvasView : public QWidget {
    Q_OBJECT

public:
    explicit CanvasView(QWidget* parent = nullptr);

    // A new picture: the mask is cleared, the extension frame removed and the view fitted.
    void setPicture(const QImage& picture);
    QImage picture() const { return m_picture; }
    // blurred: kid mode shows step previews softened until the final picture passes the safety check.
    void setPreview(const QImage& preview, bool blurred);
    void clearPreview();
    // Shows a banner at the top of the canvas (errors, held-back pictures) with a way to dismiss it.
    void showMessage(const QString& text);
    void hideMessage();
    QString message() const;
    bool isShowingEmptyState() const;

    // Marking what to repaint.
    void setTool(CanvasTool tool);
    CanvasTool tool() const { return m_tool; }
    void setBrushSize(int pixels);       // diameter in picture pixels
    void setBrushSoftness(int percent);  // 0 hard edge .. 100 soft
    int brushSize() const;
    const MaskLayer& maskLayer() const { return m_mask; }
    QImage mask() const;  // null when nothing is marked
    // The canvas extension around the picture (pixels per side).
    void extend(Qt::Edge edge, int pixels);
    void setMargins(const CanvasMargins& margins);
    CanvasMargins margins() const { return m_margins; }
    // Something is marked or the canvas is extended: the next drawing repaints this picture.
    bool hasRepaintWork() const { return !m_picture.isNull() && (m_maskPainted || m_margins.any()); }

    // The view: 1.0 shows one picture pixel per screen pixel.
    double zoom() const { return m_zoom; }
    void zoomAt(double factor, const QPointF& widgetPoint);
    void fitToView();
    QPointF widgetToPicture(const QPointF& point) const;
    QPointF pictureToWidget(const QPointF& point) const;

public Q_SLOTS:
    void undo();
    void redo();
    void clearMask();
    void invertMask();
    void fillMask();

Q_SIGNALS:
    void exampleChosen(const QString& prompt);
    void maskChanged();
    void marginsChanged();
    void pictureDropped(const QImage& picture);
    void toolChanged(storybrush::CanvasTool tool);
    void viewChanged();  // zoom, position or brush size

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    bool event(QEvent* event) override;  // pinch gestures
    void leaveEvent(QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void updateEmptyState();
    void maskEdited(const QRect& pictureArea);
    void refreshOverlay(const QRect& pictureArea);
    QRectF pictureRectInWidget() const;
    QRect widgetRectOf(const QRectF& pictureArea) const;
    bool canPaintMask() const;

    QImage m_picture;
    QPixmap m_picturePixmap;  // the picture as the screen draws it (converted once, not every paint)
    QImage m_preview;
    QWidget* m_emptyState = nullptr;
    QFrame* m_banner = nullptr;
    QLabel* m_bannerText = nullptr;

    MaskLayer m_mask;
    bool m_maskPainted = false;
    bool m_erasingStroke = false;
    QImage m_overlay;  // the mask as a translucent colour over the picture
    CanvasTool m_tool = CanvasTool::Look;
    int m_softness = 50;
    CanvasMargins m_margins;

    double m_zoom = 1.0;
    QPointF m_origin;      // where the picture's top-left corner sits in the widget
    bool m_fitted = true;  // follow the widget's size until the person zooms or pans
    bool m_panning = false;
    bool m_spaceHeld = false;
    QPointF m_panFrom;
    QPointF m_cursor{-1, -1};
};

}  // namespace storybrush
