// The gallery strip on the right: thumbnails of the pictures made, newest first, with a search box.
// Storage (PNG files + SQLite) is app/'s GalleryStore, added with the studio work; this widget only shows.
#pragma once

#include <QtGui/QImage>
#include <QtWidgets/QWidget>

class QLabel;
class QLineEdit;
class QListWidget;

namespace storybrush {

class GalleryStrip : public QWidget {
    Q_OBJECT

public:
    explicit GalleryStrip(QWidget* parent = nullptr);

    void addPicture(const QImage& picture, const QString& prompt);
    int pictureCount() const;

Q_SIGNALS:
    void pictureActivated(const QImage& picture);

private:
    void applyFilter(const QString& text);

    QLineEdit* m_search = nullptr;
    QListWidget* m_list = nullptr;
    QLabel* m_emptyHint = nullptr;
};

}  // namespace storybrush
