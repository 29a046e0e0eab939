// BinDialog (see bin_dialog.h). Emptying asks once more: it is the only step in the studio that deletes files.
#include "ui/bin_dialog.h"

#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QLabel>
#include <QtWidgets/QListWidget>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QVBoxLayout>

namespace storybrush {

namespace {
constexpr int kFileRole = Qt::UserRole + 1;
}  // namespace

BinDialog::BinDialog(const QList<BinnedPicture>& pictures, QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("binDialog"));
    setWindowTitle(tr("The bin"));
    auto* layout = new QVBoxLayout(this);
    auto* hint =
        new QLabel(tr("Pictures you moved to the bin. Put one back, or empty the bin to delete them for good."), this);
    hint->setWordWrap(true);
    layout->addWidget(hint);
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("binList"));
    m_list->setViewMode(QListView::IconMode);
    m_list->setIconSize(QSize(104, 104));
    m_list->setResizeMode(QListView::Adjust);
    m_list->setMovement(QListView::Static);
    m_list->setSpacing(6);
    for (const auto& picture : pictures) {
        auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(picture.thumbnail.scaled(
                                             104, 104, Qt::KeepAspectRatio, Qt::SmoothTransformation))),
                                         QString());
        item->setToolTip(picture.prompt);
        item->setData(kFileRole, picture.file);
        m_list->addItem(item);
    }
    layout->addWidget(m_list, 1);
    auto* buttons = new QDialogButtonBox(this);
    m_restore = buttons->addButton(tr("Put back"), QDialogButtonBox::ActionRole);
    m_empty = buttons->addButton(tr("Empty the bin"), QDialogButtonBox::DestructiveRole);
    buttons->addButton(QDialogButtonBox::Close);
    layout->addWidget(buttons);
    connect(m_restore, &QPushButton::clicked, this, &BinDialog::restoreSelected);
    connect(m_empty, &QPushButton::clicked, this, [this] {
        if (QMessageBox::question(this, tr("Empty the bin"), tr("Delete these pictures for good?")) == QMessageBox::Yes)
            emptyBin();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_list, &QListWidget::itemSelectionChanged, this, &BinDialog::updateButtons);
    resize(560, 420);
    updateButtons();
}

int BinDialog::pictureCount() const { return m_list->count(); }

void BinDialog::select(int row) { m_list->setCurrentRow(row); }

void BinDialog::restoreSelected() {
    const auto selected = m_list->selectedItems();
    for (QListWidgetItem* item : selected) {
        const QString file = item->data(kFileRole).toString();
        delete m_list->takeItem(m_list->row(item));
        Q_EMIT restoreRequested(file);
    }
    updateButtons();
}

void BinDialog::emptyBin() {
    m_list->clear();
    Q_EMIT emptyRequested();
    updateButtons();
}

void BinDialog::updateButtons() {
    m_restore->setEnabled(!m_list->selectedItems().isEmpty());
    m_empty->setEnabled(m_list->count() > 0);
}

}  // namespace storybrush
