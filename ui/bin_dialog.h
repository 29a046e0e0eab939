// The bin: pictures moved out of the gallery wait here until they are put back or the bin is emptied, so a
// slip of a child's finger never loses a picture.
#pragma once

#include <QtGui/QImage>
#include <QtWidgets/QDialog>

class QListWidget;
class QPushButton;

namespace storybrush {

struct BinnedPicture {
    QImage thumbnail;
    QString prompt;
    QString file;
};

class BinDialog : public QDialog {
    Q_OBJECT

public:
    explicit BinDialog(const QList<BinnedPicture>& pictures, QWidget* parent = nullptr);

    int pictureCount() const;
    // What the buttons do; public so tests can do the same.
    void restoreSelected();
    void emptyBin();
    void select(int row);

Q_SIGNALS:
    void restoreRequested(const QString& file);
    void emptyRequested();

private:
    void updateButtons();

    QListWidget* m_list = nullptr;
    QPushButton* m_restore = nullptr;
    QPushButton* m_empty = nullptr;
};

}  // namespace storybrush
