// The left panel: what to draw (prompt, idea cards), the Advanced fold, and the one big Draw button.
#pragma once

#include "ui/job.h"

#include <QtWidgets/QWidget>

#include <functional>
#include <utility>

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

    QString prompt() const;  // what the person typed
    void setPrompt(const QString& prompt);
    QString styleWords() const;  // what the chosen style adds ("" for none)
    // Restores a picture's settings (gallery "use these settings again"): words, steps, guidance, sampler,
    // seed (kept, so the same picture comes again) and the closest shape.
    void applySettings(const JobRequest& settings);
    // A model's own starting point (model manager): size, sampler, guidance, steps; empty fields are left alone.
    // The size stays until another model's defaults replace it (0: the model's own size).
    void applyModelDefaults(const ModelDefaults& defaults);
    // The sampler names offered, in the order shown (docs/cli.md spelling).
    static QStringList samplerNames();
    // Counts what the model reads: (tokens, pieces of 75). Set by the app, which has the tokenizer.
    using TokenCounter = std::function<std::pair<int, int>(const QString&)>;
    void setTokenCounter(TokenCounter counter);
    // Style add-ons (LoRA files) to offer in the Advanced fold; "None" is always there.
    void setAvailableLoras(const QStringList& files);
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
    void addIdea(QLayout* layout, const QString& emoji, const QString& label, const QString& subject,
                 const QString& place);
    void pickPart(bool place, QToolButton* chosen);
    QString composedPrompt() const;
    void composePrompt();
    void forgetParts();
    void setAdvancedVisible(bool visible);
    void chooseStyle(QToolButton* chosen);
    QString fullPrompt() const;
    void updateCounter();

    QPlainTextEdit* m_prompt = nullptr;
    QPlainTextEdit* m_negative = nullptr;
    QLabel* m_kidNegative = nullptr;
    QToolButton* m_advancedToggle = nullptr;
    QWidget* m_advanced = nullptr;
    QComboBox* m_shape = nullptr;
    QSpinBox* m_batch = nullptr;
    QComboBox* m_lora = nullptr;
    QDoubleSpinBox* m_loraWeight = nullptr;
    QLabel* m_counter = nullptr;
    QLabel* m_styleWords = nullptr;
    QList<QToolButton*> m_styleChips;
    // The card builder: who (an idea card), doing what, where (its card's usual place unless one is picked).
    QString m_subject;
    QString m_defaultPlace;
    QList<QToolButton*> m_actionChips;
    QList<QToolButton*> m_placeChips;
    QToolButton* m_actionChip = nullptr;
    QToolButton* m_placeChip = nullptr;
    bool m_composing = false;
    TokenCounter m_tokenCounter;
    QSpinBox* m_steps = nullptr;
    QDoubleSpinBox* m_cfg = nullptr;
    QLineEdit* m_seed = nullptr;
    QCheckBox* m_lockSeed = nullptr;
    QComboBox* m_sampler = nullptr;
    int m_side = 0;  // from the model's defaults; 0: the model's own size
    QPushButton* m_drawButton = nullptr;
    bool m_running = false;
};

}  // namespace storybrush
