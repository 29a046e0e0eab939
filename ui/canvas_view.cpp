// The canvas widget: the picture on a soft paper-like background, scaled to fit until the person zooms,
// with the repaint mask as a translucent colour over it and the extension frame around it.
#include "ui/canvas_view.h"

#include <QtCore/QMimeData>
#include <QtGui/QDragEnterEvent>
#include <QtGui/QImageReader>
#include <QtGui/QKeyEvent>
#include <QtGui/QMouseEvent>
#include <QtGui/QNativeGestureEvent>
#include <QtGui/QPainter>
#include <QtGui/QPainterPath>
#include <QtWidgets/QFrame>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QVBoxLayout>

namespace storybrush {

namespace {
// A cheap blur that survives any preview size: shrink hard, then scale back up smoothly.
QImage softened(const QImage& image) {
    const QImage small = image.scaled(qMax(1, image.width() / 16), qMax(1, image.height() / 16), Qt::IgnoreAspectRatio,
                                      Qt::SmoothTransformation);
    return small.scaled(image.size(), Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
}
// The mask's colour over the picture: a friendly violet that no picture-book page is likely to use.
constexpr QRgb kMaskColour = qRgb(124, 92, 255);
constexpr double kMaskOpacity = 0.55;
constexpr int kPageInset = 24;  // the fitted page keeps this much paper around it

bool isImageFile(const QUrl& url) {
    return url.isLocalFile() && !QImageReader::imageFormat(url.toLocalFile()).isEmpty();
}
}  // namespace

CanvasView::CanvasView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("canvas"));
    setAttribute(Qt::WA_OpaquePaintEvent);
    setAttribute(Qt::WA_AcceptTouchEvents);
    setMinimumSize(320, 320);
    setMouseTracking(true);  // the brush outline follows the pointer
    setAcceptDrops(true);
    setFocusPolicy(Qt::StrongFocus);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 16, 16, 16);

    m_banner = new QFrame(this);
    m_banner->setObjectName(QStringLiteral("messageBanner"));
    auto* bannerLayout = new QHBoxLayout(m_banner);
    bannerLayout->setContentsMargins(12, 8, 8, 8);
    m_bannerText = new QLabel(m_banner);
    m_bannerText->setWordWrap(true);
    m_bannerText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* close = new QPushButton(tr("OK"), m_banner);
    close->setObjectName(QStringLiteral("bannerButton"));
    bannerLayout->addWidget(m_bannerText, 1);
    bannerLayout->addWidget(close);
    connect(close, &QPushButton::clicked, this, &CanvasView::hideMessage);
    m_banner->hide();
    layout->addWidget(m_banner);
    layout->addStretch(1);

    m_emptyState = new QWidget(this);
    m_emptyState->setObjectName(QStringLiteral("emptyState"));
    auto* emptyLayout = new QVBoxLayout(m_emptyState);
    emptyLayout->setSpacing(12);
    auto* greeting = new QLabel(tr("Let's make a picture together!"), m_emptyState);
    greeting->setObjectName(QStringLiteral("greeting"));
    greeting->setAlignment(Qt::AlignCenter);
    auto* hint = new QLabel(tr("Type what you would like to see, or try one of these:"), m_emptyState);
    hint->setObjectName(QStringLiteral("hint"));
    hint->setAlignment(Qt::AlignCenter);
    emptyLayout->addWidget(greeting);
    emptyLayout->addWidget(hint);
    auto* examples = new QHBoxLayout;
    examples->setSpacing(12);
    const QStringList prompts = {tr("a smiling baby dolphin playing with a ball"),
                                 tr("a bunny in red overalls in a flower garden"),
                                 tr("a friendly dragon having a picnic with a bear")};
    for (const QString& prompt : prompts) {
        // A push button cannot wrap its text; a word-wrapping label inside it can.
        auto* card = new QPushButton(m_emptyState);
        card->setObjectName(QStringLiteral("exampleCard"));
        card->setAccessibleName(prompt);
        card->setProperty("prompt", prompt);
        auto* cardLayout = new QVBoxLayout(card);
        cardLayout->setContentsMargins(12, 10, 12, 10);
        auto* cardText = new QLabel(prompt, card);
        cardText->setWordWrap(true);
        cardText->setAlignment(Qt::AlignCenter);
        cardText->setAttribute(Qt::WA_TransparentForMouseEvents);
        cardLayout->addWidget(cardText);
        card->setMinimumSize(180, 84);
        card->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        connect(card, &QPushButton::clicked, this, [this, prompt] { Q_EMIT exampleChosen(prompt); });
        examples->addWidget(card);
    }
    emptyLayout->addLayout(examples);
    layout->addWidget(m_emptyState, 0, Qt::AlignCenter);
    layout->addStretch(2);
}

void CanvasView::setPicture(const QImage& picture) {
    m_picture = picture;
    m_picturePixmap = picture.isNull() ? QPixmap() : QPixmap::fromImage(picture);
    m_preview = QImage();
    m_mask.reset(picture.isNull() ? QSize() : picture.size());
    m_maskPainted = false;
    m_overlay = QImage();
    if (!picture.isNull()) {
        m_overlay = QImage(picture.size(), QImage::Format_ARGB32_Premultiplied);
        m_overlay.fill(Qt::transparent);
    }
    const bool hadMargins = m_margins.any();
    m_margins = {};
    updateEmptyState();
    fitToView();
    if (hadMargins) Q_EMIT marginsChanged();
    Q_EMIT maskChanged();
}

void CanvasView::setPreview(const QImage& preview, bool blurred) {
    if (preview.isNull()) return;
    m_preview = blurred ? softened(preview) : preview;
    updateEmptyState();
    update();
}

void CanvasView::clearPreview() {
    m_preview = QImage();
    updateEmptyState();
    update();
}

void CanvasView::showMessage(const QString& text) {
    m_bannerText->setText(text);
    m_banner->show();
}

void CanvasView::hideMessage() { m_banner->hide(); }

QString CanvasView::message() const { return m_banner->isVisible() ? m_bannerText->text() : QString(); }

bool CanvasView::isShowingEmptyState() const { return m_emptyState->isVisibleTo(this); }

void CanvasView::updateEmptyState() { m_emptyState->setVisible(m_picture.isNull() && m_preview.isNull()); }

// ---- tools and the mask ----

void CanvasView::setTool(CanvasTool tool) {
    if (tool == m_tool) return;
    m_tool = tool;
    setCursor(tool == CanvasTool::Look ? Qt::OpenHandCursor : Qt::CrossCursor);
    update();
    Q_EMIT toolChanged(tool);
}

void CanvasView::setBrushSize(int pixels) {
    m_mask.setBrush(pixels, 1.0 - m_softness / 100.0);
    update();
    Q_EMIT viewChanged();
}

void CanvasView::setBrushSoftness(int percent) {
    m_softness = qBound(0, percent, 100);
    m_mask.setBrush(m_mask.brushDiameter(), 1.0 - m_softness / 100.0);
}

int CanvasView::brushSize() const { return qRound(m_mask.brushDiameter()); }

QImage CanvasView::mask() const { return m_maskPainted ? m_mask.mask() : QImage(); }

bool CanvasView::canPaintMask() const { return !m_picture.isNull() && m_preview.isNull(); }

void CanvasView::maskEdited(const QRect& pictureArea) {
    if (pictureArea.isEmpty()) return;
    refreshOverlay(pictureArea);
    // Counting the whole mask costs a pass over every pixel: while painting, a dab is enough to know;
    // erasing and whole-mask edits count once, when they are done.
    const bool painted = m_mask.isStroking() ? (m_maskPainted || !m_erasingStroke) : !m_mask.isEmpty();
    m_maskPainted = painted;
    update(widgetRectOf(pictureArea).adjusted(-2, -2, 2, 2));
    if (!m_mask.isStroking()) Q_EMIT maskChanged();
}

void CanvasView::refreshOverlay(const QRect& pictureArea) {
    const QRect area = pictureArea.intersected(m_overlay.rect());
    const int red = qRed(kMaskColour), green = qGreen(kMaskColour), blue = qBlue(kMaskColour);
    for (int y = area.top(); y <= area.bottom(); ++y) {
        const uchar* mask = m_mask.mask().constScanLine(y);
        auto* line = reinterpret_cast<QRgb*>(m_overlay.scanLine(y));
        for (int x = area.left(); x <= area.right(); ++x) {
            const int alpha = static_cast<int>(mask[x] * kMaskOpacity);
            line[x] = qRgba(red * alpha / 255, green * alpha / 255, blue * alpha / 255, alpha);  // premultiplied
        }
    }
}

void CanvasView::undo() { maskEdited(m_mask.undo()); }
void CanvasView::redo() { maskEdited(m_mask.redo()); }
void CanvasView::clearMask() { maskEdited(m_mask.clear()); }
void CanvasView::invertMask() { maskEdited(m_mask.invert()); }
void CanvasView::fillMask() { maskEdited(m_mask.fill()); }

void CanvasView::extend(Qt::Edge edge, int pixels) {
    CanvasMargins margins = m_margins;
    int& side = edge == Qt::LeftEdge    ? margins.left
                : edge == Qt::TopEdge   ? margins.top
                : edge == Qt::RightEdge ? margins.right
                                        : margins.bottom;
    side = qBound(0, side + pixels, 2048);
    setMargins(margins);
}

void CanvasView::setMargins(const CanvasMargins& margins) {
    if (margins == m_margins || m_picture.isNull()) return;
    m_margins = margins;
    if (m_fitted) fitToView();
    update();
    Q_EMIT marginsChanged();
}

// ---- the view ----

QRectF CanvasView::pictureRectInWidget() const {
    return {m_origin, QSizeF(m_picture.width() * m_zoom, m_picture.height() * m_zoom)};
}

QRect CanvasView::widgetRectOf(const QRectF& pictureArea) const {
    return QRectF(pictureToWidget(pictureArea.topLeft()), pictureToWidget(pictureArea.bottomRight() + QPointF(1, 1)))
        .toAlignedRect();
}

QPointF CanvasView::widgetToPicture(const QPointF& point) const { return (point - m_origin) / m_zoom; }

QPointF CanvasView::pictureToWidget(const QPointF& point) const { return m_origin + point * m_zoom; }

void CanvasView::fitToView() {
    m_fitted = true;
    if (m_picture.isNull()) {
        update();
        return;
    }
    // The whole extended canvas fits, centred; small pictures are enlarged at most 4 times.
    const QSizeF whole(m_picture.width() + m_margins.left + m_margins.right,
                       m_picture.height() + m_margins.top + m_margins.bottom);
    const QRectF area = QRectF(rect()).adjusted(kPageInset, kPageInset, -kPageInset, -kPageInset);
    const double scale = std::min({area.width() / whole.width(), area.height() / whole.height(), 4.0});
    m_zoom = std::max(scale, 0.01);
    const QPointF wholeOrigin(area.center().x() - whole.width() * m_zoom / 2,
                              area.center().y() - whole.height() * m_zoom / 2);
    m_origin = wholeOrigin + QPointF(m_margins.left, m_margins.top) * m_zoom;
    update();
    Q_EMIT viewChanged();
}

void CanvasView::zoomAt(double factor, const QPointF& widgetPoint) {
    if (m_picture.isNull()) return;
    const double zoom = std::clamp(m_zoom * factor, 0.05, 32.0);
    const QPointF anchor = widgetToPicture(widgetPoint);  // this picture pixel stays under the pointer
    m_zoom = zoom;
    m_origin = widgetPoint - anchor * m_zoom;
    m_fitted = false;
    update();
    Q_EMIT viewChanged();
}

void CanvasView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    m_emptyState->setMaximumWidth(qMin(width() - 32, 720));
    if (m_fitted) fitToView();
}

// ---- input ----

void CanvasView::mousePressEvent(QMouseEvent* event) {
    setFocus(Qt::MouseFocusReason);
    const bool pan = event->button() == Qt::MiddleButton ||
                     (event->button() == Qt::LeftButton && (m_tool == CanvasTool::Look || m_spaceHeld));
    if (pan && !m_picture.isNull()) {
        m_panning = true;
        m_panFrom = event->position();
        setCursor(Qt::ClosedHandCursor);
        return;
    }
    if (event->button() == Qt::LeftButton && m_tool != CanvasTool::Look && canPaintMask()) {
        m_erasingStroke = m_tool == CanvasTool::Eraser;
        maskEdited(m_mask.beginStroke(widgetToPicture(event->position()), m_erasingStroke));
        return;
    }
    QWidget::mousePressEvent(event);
}

void CanvasView::mouseMoveEvent(QMouseEvent* event) {
    const QPointF previousCursor = m_cursor;
    m_cursor = event->position();
    if (m_panning) {
        m_origin += event->position() - m_panFrom;
        m_panFrom = event->position();
        m_fitted = false;
        update();
        return;
    }
    if (m_mask.isStroking()) {
        maskEdited(m_mask.continueStroke(widgetToPicture(event->position())));
    }
    if (m_tool != CanvasTool::Look) {
        // Repaint only where the brush outline was and is.
        const double radius = m_mask.brushDiameter() * m_zoom / 2 + 3;
        update(QRectF(previousCursor - QPointF(radius, radius), QSizeF(2 * radius, 2 * radius)).toAlignedRect());
        update(QRectF(m_cursor - QPointF(radius, radius), QSizeF(2 * radius, 2 * radius)).toAlignedRect());
    }
}

void CanvasView::mouseReleaseEvent(QMouseEvent* event) {
    if (m_panning) {
        m_panning = false;
        setCursor(m_tool == CanvasTool::Look ? Qt::OpenHandCursor : Qt::CrossCursor);
        return;
    }
    if (m_mask.isStroking() && event->button() == Qt::LeftButton) {
        m_mask.endStroke();
        if (m_erasingStroke) m_maskPainted = !m_mask.isEmpty();
        Q_EMIT maskChanged();
        return;
    }
    QWidget::mouseReleaseEvent(event);
}

void CanvasView::wheelEvent(QWheelEvent* event) {
    if (m_picture.isNull()) return;
    // One notch zooms by 1.25; touchpads send smaller steps, which zoom smoothly.
    const double notches = event->angleDelta().y() / 120.0;
    if (notches != 0) zoomAt(std::pow(1.25, notches), event->position());
    event->accept();
}

bool CanvasView::event(QEvent* event) {
    if (event->type() == QEvent::NativeGesture) {
        auto* gesture = static_cast<QNativeGestureEvent*>(event);
        if (gesture->gestureType() == Qt::ZoomNativeGesture) {
            zoomAt(1.0 + gesture->value(), gesture->position());
            return true;
        }
    }
    return QWidget::event(event);
}

void CanvasView::leaveEvent(QEvent* event) {
    m_cursor = QPointF(-1, -1);
    update();
    QWidget::leaveEvent(event);
}

void CanvasView::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        m_spaceHeld = true;  // hold space and drag to move the picture, as in painting programs
        setCursor(Qt::OpenHandCursor);
        return;
    }
    if (event->key() == Qt::Key_BracketLeft || event->key() == Qt::Key_BracketRight) {
        const double factor = event->key() == Qt::Key_BracketLeft ? 1 / 1.25 : 1.25;
        setBrushSize(static_cast<int>(std::lround(m_mask.brushDiameter() * factor)));
        return;
    }
    QWidget::keyPressEvent(event);
}

void CanvasView::keyReleaseEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        m_spaceHeld = false;
        setCursor(m_tool == CanvasTool::Look ? Qt::OpenHandCursor : Qt::CrossCursor);
        return;
    }
    QWidget::keyReleaseEvent(event);
}

void CanvasView::dragEnterEvent(QDragEnterEvent* event) {
    const QMimeData* data = event->mimeData();
    if (data->hasImage() || (data->hasUrls() && !data->urls().isEmpty() && isImageFile(data->urls().first()))) {
        event->acceptProposedAction();
    }
}

void CanvasView::dropEvent(QDropEvent* event) {
    const QMimeData* data = event->mimeData();
    QImage image;
    if (data->hasUrls() && !data->urls().isEmpty()) {
        QImageReader reader(data->urls().first().toLocalFile());
        reader.setAutoTransform(true);  // photos keep their camera orientation
        image = reader.read();
        if (image.isNull()) {
            showMessage(tr("This file could not be opened as a picture: %1").arg(reader.errorString()));
            return;
        }
    } else if (data->hasImage()) {
        image = qvariant_cast<QImage>(data->imageData());
    }
    if (image.isNull()) return;
    event->acceptProposedAction();
    setPicture(image.convertToFormat(QImage::Format_RGB32));
    Q_EMIT pictureDropped(m_picture);
}

// ---- painting ----

void CanvasView::paintEvent(QPaintEvent* event) {
    QPainter painter(this);
    painter.setClipRegion(event->region());
    painter.setRenderHint(QPainter::Antialiasing);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    if (!m_preview.isNull()) {
        // Previews are small and change every step: fitted, never zoomed.
        const QRect area = rect().adjusted(kPageInset, kPageInset, -kPageInset, -kPageInset);
        QSize size = m_preview.size();
        size.scale(area.size(), Qt::KeepAspectRatio);
        if (size.width() > m_preview.width() * 4) size = m_preview.size() * 4;
        const QRect target(area.center().x() - size.width() / 2, area.center().y() - size.height() / 2, size.width(),
                           size.height());
        painter.setRenderHint(QPainter::SmoothPixmapTransform);
        painter.drawImage(target, m_preview);
        return;
    }
    if (m_picture.isNull()) return;

    const QRectF page = pictureRectInWidget();
    if (m_margins.any()) {
        // The extension: a dashed frame around a lightly hatched area the model will fill.
        const QRectF whole = page.adjusted(-m_margins.left * m_zoom, -m_margins.top * m_zoom, m_margins.right * m_zoom,
                                           m_margins.bottom * m_zoom);
        painter.fillRect(whole, QColor(124, 92, 255, 28));
        painter.fillRect(whole, QBrush(QColor(124, 92, 255, 60), Qt::BDiagPattern));
        QPen dashed(QColor(124, 92, 255), 2, Qt::DashLine);
        painter.setPen(dashed);
        painter.drawRect(whole);
    }
    QPainterPath rounded;
    rounded.addRoundedRect(page, m_fitted ? 8 : 0, m_fitted ? 8 : 0);
    if (!m_margins.any())
        painter.fillPath(rounded.translated(0, 3), QColor(0, 0, 0, 28));  // a soft shadow under the page
    painter.save();
    painter.setClipPath(rounded, Qt::IntersectClip);
    // Up close every pixel shows as a crisp square, so a brush edge can be placed exactly.
    painter.setRenderHint(QPainter::SmoothPixmapTransform, m_zoom < 2.0);
    painter.drawPixmap(page, m_picturePixmap, QRectF(m_picturePixmap.rect()));
    if (m_maskPainted) painter.drawImage(page, m_overlay);
    painter.restore();

    if (m_tool != CanvasTool::Look && canPaintMask() && rect().contains(m_cursor.toPoint())) {
        const double radius = m_mask.brushDiameter() * m_zoom / 2;
        painter.setBrush(Qt::NoBrush);
        painter.setPen(QPen(QColor(255, 255, 255, 220), 3));
        painter.drawEllipse(m_cursor, radius, radius);
        painter.setPen(QPen(m_tool == CanvasTool::Eraser ? QColor(60, 60, 60) : QColor(kMaskColour), 1.5));
        painter.drawEllipse(m_cursor, radius, radius);
    }
}

}  // namespace storybrush
