// The held-back log for grown-ups: when, what kind and which category, never the words or the picture.
#pragma once

#include <QtCore/QStringList>
#include <QtWidgets/QDialog>

class QListWidget;

namespace storybrush {

class SafetyLogDialog : public QDialog {
    Q_OBJECT

public:
    // lines: one readable line per entry, oldest first (the app formats them).
    explicit SafetyLogDialog(const QStringList& lines, QWidget* parent = nullptr);
    int lineCount() const;

Q_SIGNALS:
    void clearRequested();

private:
    QListWidget* m_list = nullptr;
};

}  // namespace storybrush
