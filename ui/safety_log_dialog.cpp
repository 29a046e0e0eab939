// The log list with its Clear button.
#include "ui/safety_log_dialog.h"

#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QLabel>
#include <QtWidgets/QListWidget>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QVBoxLayout>

namespace storybrush {

SafetyLogDialog::SafetyLogDialog(const QStringList& lines, QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("safetyLogDialog"));
    setWindowTitle(tr("What the kid-safe check held back"));
    auto* layout = new QVBoxLayout(this);
    auto* explain = new QLabel(tr("Only the time and the kind of content are kept: no words and no pictures."), this);
    explain->setWordWrap(true);
    layout->addWidget(explain);
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("safetyLogList"));
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) m_list->addItem(*it);  // newest first
    if (lines.isEmpty()) m_list->addItem(tr("Nothing has been held back."));
    layout->addWidget(m_list, 1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto* clear = buttons->addButton(tr("Clear the log"), QDialogButtonBox::ResetRole);
    clear->setObjectName(QStringLiteral("clearLogButton"));
    clear->setEnabled(!lines.isEmpty());
    connect(clear, &QPushButton::clicked, this, [this, clear] {
        Q_EMIT clearRequested();
        m_list->clear();
        m_list->addItem(tr("Nothing has been held back."));
        clear->setEnabled(false);
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(480, 360);
}

int SafetyLogDialog::lineCount() const { return m_list->count(); }

}  // namespace storybrush
