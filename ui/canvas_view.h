// The canvas: the current picture (or the live preview while drawing), a friendly empty state, and
// the message banner. Mask painting, zoom and the outpaint frame come with the studio work.
#pragma once

#include <QtGui/QImage>
#include <QtWidgets/QWidget>

class QLabel;
class QPushButton;
class QFrame;

namespace storybrush {

class CanvasView : public QWidget {
    Q_OBJECT

public:
    explicit CanvasView(QWidget* parent = nullptr);

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

Q_SIGNALS:
    void exampleChosen(const QString& prompt);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void updateEmptyState();

    QImage m_picture;
    QImage m_preview;
    QWidget* m_emptyState = nullptr;
    QFrame* m_banner = nullptr;
    QLabel* m_bannerText = nullptr;
};

}  // namespace storybrush
