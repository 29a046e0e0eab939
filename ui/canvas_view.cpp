// The canvas widget: paints the picture scaled to fit, centred, on a soft paper-like background.
#include "ui/canvas_view.h"

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
}  // namespace

CanvasView::CanvasView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("canvas"));
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumSize(320, 320);

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
    m_preview = QImage();
    updateEmptyState();
    update();
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

void CanvasView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    m_emptyState->setMaximumWidth(qMin(width() - 32, 720));
}

void CanvasView::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    const QImage& shown = m_preview.isNull() ? m_picture : m_preview;
    if (shown.isNull()) return;
    const QRect area = rect().adjusted(24, 24, -24, -24);
    QSize size = shown.size();
    size.scale(area.size(), Qt::KeepAspectRatio);
    if (size.width() > shown.width() * 4) size = shown.size() * 4;  // tiny pictures stay crisp enough
    const QRect target(area.center().x() - size.width() / 2, area.center().y() - size.height() / 2, size.width(),
                       size.height());
    QPainterPath rounded;
    rounded.addRoundedRect(target, 8, 8);
    painter.fillPath(rounded.translated(0, 3), QColor(0, 0, 0, 28));  // a soft shadow under the page
    painter.setClipPath(rounded);
    painter.drawImage(target, shown);
}

}  // namespace storybrush
