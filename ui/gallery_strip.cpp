// The gallery strip: newest first, filtered by prompt text as the user types.
#include "ui/gallery_strip.h"

#include <QtGui/QIcon>
#include <QtGui/QPixmap>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QListWidget>
#include <QtWidgets/QVBoxLayout>

namespace storybrush {

namespace {
constexpr int kThumbnail = 104;
constexpr int kPictureRole = Qt::UserRole + 1;
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
    m_list->hide();

    connect(m_search, &QLineEdit::textChanged, this, &GalleryStrip::applyFilter);
    connect(m_list, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        Q_EMIT pictureActivated(item->data(kPictureRole).value<QImage>());
    });
}

void GalleryStrip::addPicture(const QImage& picture, const QString& prompt) {
    if (picture.isNull()) return;
    const QPixmap thumbnail = QPixmap::fromImage(
        picture.scaled(kThumbnail, kThumbnail, Qt::KeepAspectRatio, Qt::SmoothTransformation));
    auto* item = new QListWidgetItem(QIcon(thumbnail), QString());
    item->setToolTip(prompt);
    item->setData(Qt::UserRole, prompt);
    item->setData(kPictureRole, picture);
    m_list->insertItem(0, item);  // newest first
    m_list->show();
    m_emptyHint->hide();
    applyFilter(m_search->text());
}

int GalleryStrip::pictureCount() const { return m_list->count(); }

void GalleryStrip::applyFilter(const QString& text) {
    for (int i = 0; i < m_list->count(); ++i) {
        QListWidgetItem* item = m_list->item(i);
        item->setHidden(!text.isEmpty() && !item->data(Qt::UserRole).toString().contains(text, Qt::CaseInsensitive));
    }
}

}  // namespace storybrush
