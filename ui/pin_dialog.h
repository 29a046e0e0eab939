// Asking a grown-up for the PIN (or to choose one the first time). Digits only, never shown.
#pragma once

#include <QtWidgets/QDialog>

class QLabel;
class QLineEdit;

namespace storybrush {

class PinDialog : public QDialog {
    Q_OBJECT

public:
    enum class Mode { Choose, Enter };
    // `why`: what the PIN is for ("Turn kid mode off").
    PinDialog(Mode mode, const QString& why, QWidget* parent = nullptr);
    QString pin() const;
    void showProblem(const QString& text);
    void tryAccept();  // OK: checks the form (length, the two entries equal), then accepts

private:

    Mode m_mode;
    QLineEdit* m_pin = nullptr;
    QLineEdit* m_repeat = nullptr;
    QLabel* m_problem = nullptr;
};

}  // namespace storybrush
