// The gallery strip: newest first, filtered by prompt text as the user types.
#include "ui/gallery_strip.h"

#include <QtCore/QFile>
#include <QtCore/QStandardPaths>
#include <QtGui/QIcon>
#include <QtGui/QPixmap>
#include <QtWidgets/QFileDialog>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QListWidget>
#include <QtWidgets/QMenu>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QVBoxLayout>

namespace storybrush {

namespace {
constexpr int kThumbnail = 104;
constexpr int kPictureRole = Qt::UserRole + 1;
constexpr int kFileRole = Qt::UserRole + 2;
constexpr int kFavouriteRole = Qt::UserRole + 3;
}  // namespace

GalleryStrip::GalleryStrip(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("galleryStrip"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 16, 12, 12);
    layout->setSpacing(8);
    auto* heading = new QLabel(tr("Our pictures"), this);
    heading->setObjectName(QStringLiteral("panelHeading"));
    layout->addWidget(heading);
    m_search = new QLineEdit(this);
    m_search->setObjectName(QStringLiteral("gallerySearch"));
    m_search->setPlaceholderText(tr("Find a picture…"));
    m_search->setClearButtonEnabled(true);
    layout->addWidget(m_search);
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("galleryList"));
    m_list->setViewMode(QListView::IconMode);
    m_list->setIconSize(QSize(kThumbnail, kThumbnail));
    m_list->setResizeMode(QListView::Adjust);
    m_list->setMovement(QListView::Static);
    m_list->setSpacing(6);
    m_list->setUniformItemSizes(true);
    layout->addWidget(m_list, 1);
    m_emptyHint = new QLabel(tr("Pictures you make will appear here."), this);
    m_emptyHint->setObjectName(QStringLiteral("hint"));
    m_emptyHint->setWordWrap(true);
    m_emptyHint->setAlignment(Qt::AlignCenter);
    layout->addWidget(m_emptyHint);
    layout->addStretch(0);
    auto* bin = new QPushButton(tr("The bin…"), this);
    bin->setObjectName(QStringLiteral("binButton"));
    bin->setFlat(true);
    connect(bin, &QPushButton::clicked, this, &GalleryStrip::binRequested);
    layout->addWidget(bin, 0, Qt::AlignRight);
    m_list->hide();

    connect(m_search, &QLineEdit::textChanged, this, &GalleryStrip::applyFilter);
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_list, &QListWidget::customContextMenuRequested, this, &GalleryStrip::showMenu);
    connect(m_list, &QListWidget::itemActivated, this,
            [this](QListWidgetItem* item) { Q_EMIT pictureActivated(pictureOf(item)); });
}

QListWidgetItem* GalleryStrip::makeItem(const QImage& thumbnail, const QString& prompt, const QString& file,
                                        bool favourite) {
    const QPixmap icon =
        QPixmap::fromImage(thumbnail.width() > kThumbnail || thumbnail.height() > kThumbnail
                               ? thumbnail.scaled(kThumbnail, kThumbnail, Qt::KeepAspectRatio, Qt::SmoothTransformation)
                               : thumbnail);
    auto* item = new QListWidgetItem(QIcon(icon), QString());
    item->setToolTip(prompt);
    item->setData(Qt::UserRole, prompt);
    item->setData(kFileRole, file);
    item->setData(kFavouriteRole, favourite);
    item->setText(favourite ? QStringLiteral("★") : QString());
    return item;
}

void GalleryStrip::addPicture(const QImage& picture, const QString& prompt, const QString& file, bool favourite) {
    if (picture.isNull()) return;
    QListWidgetItem* item = makeItem(picture, prompt, file, favourite);
    item->setData(kPictureRole, picture);  // until it is kept in a file
    m_list->insertItem(0, item);           // newest first
    m_list->show();
    m_emptyHint->hide();
    applyFilter(m_search->text());
}

void GalleryStrip::addKeptPicture(const QImage& thumbnail, const QString& prompt, const QString& file, bool favourite) {
    if (thumbnail.isNull() || file.isEmpty()) return;
    m_list->addItem(makeItem(thumbnail, prompt, file, favourite));  // older than those already shown
    m_list->show();
    m_emptyHint->hide();
    applyFilter(m_search->text());
}

int GalleryStrip::thumbnailSize() { return kThumbnail; }

QImage GalleryStrip::pictureOf(const QListWidgetItem* item) const {
    if (!item) return {};
    const QImage held = item->data(kPictureRole).value<QImage>();
    if (!held.isNull()) return held;
    return QImage(item->data(kFileRole).toString());  // kept pictures are read when they are needed
}

QImage GalleryStrip::pictureAt(int row) const { return pictureOf(m_list->item(row)); }

int GalleryStrip::pictureCount() const { return m_list->count(); }

bool GalleryStrip::setPictureFile(const QImage& picture, const QString& file) {
    for (int i = 0; i < m_list->count(); ++i) {
        QListWidgetItem* item = m_list->item(i);
        if (item->data(kPictureRole).value<QImage>().cacheKey() == picture.cacheKey()) {
            item->setData(kFileRole, file);
            item->setData(kPictureRole, QVariant());  // kept in its file now: read from there when needed
            return true;
        }
    }
    return false;
}

QString GalleryStrip::pictureFile(int row) const {
    const QListWidgetItem* item = m_list->item(row);
    return item ? item->data(kFileRole).toString() : QString();
}

void GalleryStrip::trashPicture(int row) {
    QListWidgetItem* item = m_list->takeItem(row);
    if (!item) return;
    const QString file = item->data(kFileRole).toString();
    delete item;
    if (m_list->count() == 0) {
        m_list->hide();
        m_emptyHint->show();
    }
    if (!file.isEmpty()) Q_EMIT trashRequested(file);
}

bool GalleryStrip::savePictureCopy(int row, const QString& target) const {
    const QListWidgetItem* item = m_list->item(row);
    if (!item || target.isEmpty()) return false;
    const QString file = item->data(kFileRole).toString();
    QFile::remove(target);
    // The kept PNG carries the settings; a picture not kept (yet) is saved from memory.
    return file.isEmpty() ? pictureOf(item).save(target, "PNG") : QFile::copy(file, target);
}

void GalleryStrip::reusePrompt(int row) {
    if (const QListWidgetItem* item = m_list->item(row)) {
        Q_EMIT reuseRequested(item->data(Qt::UserRole).toString(), item->data(kFileRole).toString());
    }
}

void GalleryStrip::setFavourite(int row, bool favourite) {
    QListWidgetItem* item = m_list->item(row);
    if (!item || item->data(kFavouriteRole).toBool() == favourite) return;
    item->setData(kFavouriteRole, favourite);
    item->setText(favourite ? QStringLiteral("★") : QString());
    const QString file = item->data(kFileRole).toString();
    if (!file.isEmpty()) Q_EMIT favouriteChanged(file, favourite);
}

bool GalleryStrip::isFavourite(int row) const {
    const QListWidgetItem* item = m_list->item(row);
    return item && item->data(kFavouriteRole).toBool();
}

void GalleryStrip::showMenu(const QPoint& position) {
    QListWidgetItem* item = m_list->itemAt(position);
    if (!item) return;
    const int row = m_list->row(item);
    QMenu menu(this);
    menu.addAction(tr("Show it big"), this, [this, item] { Q_EMIT pictureActivated(pictureOf(item)); });
    menu.addAction(tr("Change a part of it"), this, [this, item] { Q_EMIT editRequested(pictureOf(item)); });
    menu.addAction(tr("Use these settings again"), this, [this, row] { reusePrompt(row); });
    const bool favourite = isFavourite(row);
    menu.addAction(favourite ? tr("Not a favourite any more") : tr("A favourite ★"), this,
                   [this, row, favourite] { setFavourite(row, !favourite); });
    menu.addAction(tr("Save a copy…"), this, [this, row] {
        const QString target = QFileDialog::getSaveFileName(
            this, tr("Save a copy"),
            QStandardPaths::writableLocation(QStandardPaths::PicturesLocation) + QStringLiteral("/storybrush.png"),
            tr("Pictures (*.png)"));
        if (!target.isEmpty() && !savePictureCopy(row, target)) {
            QMessageBox::warning(this, tr("Save a copy"), tr("The copy could not be saved there. Try another folder."));
        }
    });
    menu.addSeparator();
    menu.addAction(tr("Move to the bin"), this, [this, row] { trashPicture(row); });
    menu.exec(m_list->viewport()->mapToGlobal(position));
}

void GalleryStrip::applyFilter(const QString& text) {
    for (int i = 0; i < m_list->count(); ++i) {
        QListWidgetItem* item = m_list->item(i);
        item->setHidden(!text.isEmpty() && !item->data(Qt::UserRole).toString().contains(text, Qt::CaseInsensitive));
    }
}

}  // namespace storybrush
