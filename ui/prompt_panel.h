// The left panel: what to draw (prompt, idea cards), the Advanced fold, and the one big Draw button.
#pragma once

#include "app/job.h"

#include <QtWidgets/QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QDoubleSpinBox;
class QToolButton;
class QCheckBox;

namespace storybrush {

class PromptPanel : public QWidget {
    Q_OBJECT

public:
    explicit PromptPanel(QWidget* parent = nullptr);

    QString prompt() const;
    void setPrompt(const QString& prompt);
    // The settings as a job (prompt, negative prompt, size, steps, CFG, seed, sampler).
    JobRequest request() const;
    // While a job runs the Draw button turns into Stop.
    void setRunning(bool running);
    bool isRunning() const { return m_running; }
    // Kid mode's own "leave out" words, shown under the box so nothing is hidden from the adult.
    void setKidModeNegative(const QString& words);
    // Shows the seed a finished picture used, unless the user keeps their own.
    void showUsedSeed(quint64 seed);

Q_SIGNALS:
    void drawClicked();
    void stopClicked();

private:
    void addIdea(QLayout* layout, const QString& emoji, const QString& label, const QString& promptText);
    void setAdvancedVisible(bool visible);

    QPlainTextEdit* m_prompt = nullptr;
    QPlainTextEdit* m_negative = nullptr;
    QLabel* m_kidNegative = nullptr;
    QToolButton* m_advancedToggle = nullptr;
    QWidget* m_advanced = nullptr;
    QComboBox* m_shape = nullptr;
    QSpinBox* m_steps = nullptr;
    QDoubleSpinBox* m_cfg = nullptr;
    QLineEdit* m_seed = nullptr;
    QCheckBox* m_lockSeed = nullptr;
    QComboBox* m_sampler = nullptr;
    QPushButton* m_drawButton = nullptr;
    bool m_running = false;
};

}  // namespace storybrush
