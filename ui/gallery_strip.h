// The gallery strip on the right: thumbnails of the pictures made, newest first, with a search box.
// Storage (PNG files + SQLite) is app/'s GalleryStore, added with the studio work; this widget only shows.
#pragma once

#include <QtGui/QImage>
#include <QtWidgets/QWidget>

class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;

namespace storybrush {

class GalleryStrip : public QWidget {
    Q_OBJECT

public:
    explicit GalleryStrip(QWidget* parent = nullptr);

    // `file`: where the picture is kept, when it is (GalleryStore); the bin and "save a copy" need it.
    void addPicture(const QImage& picture, const QString& prompt, const QString& file = QString(),
                    bool favourite = false);
    // Attaches the kept file to the thumbnail showing `picture` (matched by QImage::cacheKey).
    bool setPictureFile(const QImage& picture, const QString& file);
    // A picture kept in the store: only its thumbnail is held, the picture is read from its file when needed.
    // Appended below those shown (the studio adds kept pictures newest first, a few at a time).
    void addKeptPicture(const QImage& thumbnail, const QString& prompt, const QString& file, bool favourite);
    static int thumbnailSize();  // pixels, the longer side
    QImage pictureAt(int row) const;
    int pictureCount() const;
    QString pictureFile(int row) const;

    // What the thumbnail menu does; public so the app and tests can do the same.
    void trashPicture(int row);
    bool savePictureCopy(int row, const QString& target) const;
    void reusePrompt(int row);
    void setFavourite(int row, bool favourite);  // a star on the thumbnail
    bool isFavourite(int row) const;

Q_SIGNALS:
    void pictureActivated(const QImage& picture);
    void trashRequested(const QString& file);
    // "Use these settings again": the words, and the picture's file (empty while it is not kept yet).
    void reuseRequested(const QString& prompt, const QString& file);
    void editRequested(const QImage& picture);  // put it on the canvas to change a part or make it bigger
    void favouriteChanged(const QString& file, bool favourite);
    void binRequested();

private:
    void applyFilter(const QString& text);
    QListWidgetItem* makeItem(const QImage& thumbnail, const QString& prompt, const QString& file, bool favourite);
    QImage pictureOf(const QListWidgetItem* item) const;
    void showMenu(const QPoint& position);

    QLineEdit* m_search = nullptr;
    QListWidget* m_list = nullptr;
    QLabel* m_emptyHint = nullptr;
};

}  // namespace storybrush
