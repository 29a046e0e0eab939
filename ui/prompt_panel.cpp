// The prompt panel: calm by default, with the parameters behind an "Advanced" fold.
#include "ui/prompt_panel.h"

#include <QtCore/QFileInfo>
#include <QtGui/QKeySequence>
#include <QtGui/QShortcut>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QDoubleSpinBox>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QGridLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPlainTextEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QScrollArea>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QToolButton>
#include <QtWidgets/QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace storybrush {

namespace {
struct Shape {
    const char* name;
    double aspectRatio;  // width : height, at the model's own number of pixels
};
// Shapes as people think of them; every model draws them at the size it was made for.
const Shape kShapes[] = {{QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Square"), 1.0},
                         {QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Wide (3:2)"), 1.5},
                         {QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Tall (2:3)"), 2.0 / 3.0},
                         {QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Picture-book spread (2:1)"), 2.0}};

struct Style {
    const char* name;
    const char* words;  // added to the prompt, in the words models were trained on (shown to the person)
};
const Style kStyles[] = {
    {QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Watercolour"), "watercolor painting, soft washes, paper texture"},
    {QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Crayon"), "crayon drawing, waxy strokes, naive children's art"},
    {QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Soft pastel"), "soft pastel colors, chalk pastel drawing"},
    {QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Flat cartoon"),
     "flat cartoon illustration, clean outlines, bright colors"},
    {QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Paper cut"), "paper cut-out collage, layered colored paper"},
    {QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Coloured pencil"), "colored pencil drawing, gentle shading"},
};
}  // namespace

PromptPanel::PromptPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("promptPanel"));
    // Everything but the Draw button scrolls, so the Advanced fold never squeezes its fields on a small
    // screen and the one big button stays in the same place.
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 16);
    outer->setSpacing(8);
    auto* scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("promptScroll"));
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* content = new QWidget(scroll);
    content->setObjectName(QStringLiteral("promptPanelContent"));
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(16, 16, 16, 8);
    layout->setSpacing(12);

    auto* heading = new QLabel(tr("What shall we draw?"), this);
    heading->setObjectName(QStringLiteral("panelHeading"));
    layout->addWidget(heading);

    m_prompt = new QPlainTextEdit(this);
    m_prompt->setObjectName(QStringLiteral("promptEdit"));
    m_prompt->setPlaceholderText(tr("A smiling baby dolphin playing with a ball"));
    m_prompt->setTabChangesFocus(true);
    m_prompt->setMinimumHeight(110);
    m_prompt->setMaximumHeight(160);
    layout->addWidget(m_prompt);
    m_counter = new QLabel(this);
    m_counter->setObjectName(QStringLiteral("promptCounter"));
    m_counter->setAlignment(Qt::AlignRight);
    m_counter->hide();
    layout->addWidget(m_counter);
    connect(m_prompt, &QPlainTextEdit::textChanged, this, &PromptPanel::updateCounter);

    auto* ideasLabel = new QLabel(tr("Or pick an idea:"), this);
    ideasLabel->setObjectName(QStringLiteral("sectionLabel"));
    layout->addWidget(ideasLabel);
    auto* ideas = new QGridLayout;
    ideas->setSpacing(8);
    // Things and places every model knows, the built-in one included (engine/train/data/concepts.tsv), so the
    // first click draws something a child recognises whichever model is chosen.
    addIdea(ideas, QStringLiteral("🐰"), tr("Bunny"), tr("a cute little rabbit"), tr("on a sunny meadow"));
    addIdea(ideas, QStringLiteral("🐧"), tr("Penguin"), tr("a happy penguin"), tr("in the snow"));
    addIdea(ideas, QStringLiteral("🐬"), tr("Dolphin"), tr("a smiling dolphin"), tr("in the blue sea"));
    addIdea(ideas, QStringLiteral("🦒"), tr("Giraffe"), tr("a friendly giraffe"), tr("on a sunny meadow"));
    addIdea(ideas, QStringLiteral("🐘"), tr("Elephant"), tr("a baby elephant"), tr("on the grass"));
    addIdea(ideas, QStringLiteral("🎈"), tr("Balloon"), tr("a hot-air balloon"), tr("in a blue sky with clouds"));
    layout->addLayout(ideas);

    // Then what it does and where, one tap each: a child builds a whole prompt without typing.
    const auto chipRow = [this, layout](const QString& title, const QList<QPair<QString, QString>>& chips, bool place) {
        auto* label = new QLabel(title, this);
        label->setObjectName(QStringLiteral("sectionLabel"));
        layout->addWidget(label);
        auto* grid = new QGridLayout;
        grid->setSpacing(6);
        int index = 0;
        for (const auto& [text, words] : chips) {
            auto* chip = new QToolButton(this);
            chip->setObjectName(place ? QStringLiteral("placeChip") : QStringLiteral("actionChip"));
            chip->setText(text);
            chip->setCheckable(true);
            chip->setEnabled(false);  // until something to draw is picked
            chip->setToolTip(tr("Pick an animal or thing above first"));
            chip->setProperty("words", words);
            chip->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
            connect(chip, &QToolButton::toggled, this, [this, chip, place](bool on) {
                if (!on && (place ? m_placeChip : m_actionChip) != chip) return;
                pickPart(place, on ? chip : nullptr);
            });
            grid->addWidget(chip, index / 2, index % 2);
            (place ? m_placeChips : m_actionChips).append(chip);
            ++index;
        }
        layout->addLayout(grid);
    };
    chipRow(tr("Doing what?"),
            {{tr("🎾 Playing"), tr("playing with a ball")},
             {tr("📖 Reading"), tr("reading a book")},
             {tr("🪁 Flying a kite"), tr("flying a kite")},
             {tr("🧺 Picnic"), tr("having a picnic")},
             {tr("😴 Sleeping"), tr("sleeping peacefully")},
             {tr("💃 Dancing"), tr("dancing happily")}},
            false);
    chipRow(tr("Where?"),
            {{tr("🌼 Meadow"), tr("on a sunny meadow")},
             {tr("🌊 Sea"), tr("in the blue sea")},
             {tr("❄️ Snow"), tr("in the snow")},
             {tr("🌸 Garden"), tr("in a flower garden")},
             {tr("☁️ Sky"), tr("in a blue sky with clouds")},
             {tr("🌙 Night"), tr("under a starry night sky")}},
            true);
    // Picture-book styles: one at a time; what a style adds is shown, never hidden in the request.
    auto* stylesLabel = new QLabel(tr("Style:"), this);
    stylesLabel->setObjectName(QStringLiteral("sectionLabel"));
    layout->addWidget(stylesLabel);
    auto* styles = new QGridLayout;
    styles->setSpacing(6);
    int styleIndex = 0;
    for (const Style& style : kStyles) {
        auto* chip = new QToolButton(this);
        chip->setObjectName(QStringLiteral("styleChip"));
        chip->setText(tr(style.name));
        chip->setCheckable(true);
        chip->setToolTip(QString::fromLatin1(style.words));
        chip->setProperty("styleWords", QString::fromLatin1(style.words));
        chip->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        connect(chip, &QToolButton::toggled, this, [this, chip](bool on) { chooseStyle(on ? chip : nullptr); });
        styles->addWidget(chip, styleIndex / 2, styleIndex % 2);
        m_styleChips.append(chip);
        ++styleIndex;
    }
    layout->addLayout(styles);
    m_styleWords = new QLabel(this);
    m_styleWords->setObjectName(QStringLiteral("styleWords"));
    m_styleWords->setWordWrap(true);
    m_styleWords->hide();
    layout->addWidget(m_styleWords);
    connect(m_prompt, &QPlainTextEdit::textChanged, this, [this] {
        // Typing takes over from the cards: they no longer rewrite the words.
        if (!m_composing && !m_subject.isEmpty() && prompt() != composedPrompt()) forgetParts();
    });

    m_advancedToggle = new QToolButton(this);
    m_advancedToggle->setObjectName(QStringLiteral("advancedToggle"));
    m_advancedToggle->setText(tr("Advanced"));
    m_advancedToggle->setCheckable(true);
    m_advancedToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_advancedToggle->setArrowType(Qt::RightArrow);
    layout->addWidget(m_advancedToggle);

    m_advanced = new QWidget(this);
    auto* form = new QFormLayout(m_advanced);
    form->setContentsMargins(0, 0, 0, 0);
    form->setSpacing(8);
    m_negative = new QPlainTextEdit(m_advanced);
    m_negative->setObjectName(QStringLiteral("negativeEdit"));
    m_negative->setPlaceholderText(tr("Things to leave out"));
    m_negative->setMaximumHeight(56);
    form->addRow(tr("Leave out"), m_negative);
    m_kidNegative = new QLabel(m_advanced);
    m_kidNegative->setObjectName(QStringLiteral("kidNegative"));
    m_kidNegative->setWordWrap(true);
    m_kidNegative->hide();
    form->addRow(QString(), m_kidNegative);
    m_shape = new QComboBox(m_advanced);
    for (const auto& shape : kShapes) m_shape->addItem(tr(shape.name), shape.aspectRatio);
    form->addRow(tr("Shape"), m_shape);
    m_batch = new QSpinBox(m_advanced);
    m_batch->setObjectName(QStringLiteral("batchSpin"));
    m_batch->setRange(1, 8);
    m_batch->setValue(1);
    form->addRow(tr("Pictures at once"), m_batch);
    m_steps = new QSpinBox(m_advanced);
    m_steps->setRange(1, 150);
    m_steps->setValue(25);
    form->addRow(tr("Steps"), m_steps);
    m_cfg = new QDoubleSpinBox(m_advanced);
    m_cfg->setRange(0.0, 30.0);
    m_cfg->setSingleStep(0.5);
    m_cfg->setValue(7.5);
    form->addRow(tr("Follow the words"), m_cfg);
    auto* seedRow = new QHBoxLayout;
    m_seed = new QLineEdit(m_advanced);
    m_seed->setObjectName(QStringLiteral("seedEdit"));
    m_seed->setPlaceholderText(tr("random"));
    m_seed->setInputMask(QString());
    m_lockSeed = new QCheckBox(tr("Keep"), m_advanced);
    m_lockSeed->setToolTip(tr("Keep this seed to draw the same picture again"));
    seedRow->addWidget(m_seed, 1);
    seedRow->addWidget(m_lockSeed);
    form->addRow(tr("Seed"), seedRow);
    m_sampler = new QComboBox(m_advanced);
    m_sampler->setObjectName(QStringLiteral("samplerChoice"));
    m_sampler->addItems(samplerNames());
    form->addRow(tr("Sampler"), m_sampler);
    auto* loraRow = new QHBoxLayout;
    m_lora = new QComboBox(m_advanced);
    m_lora->setObjectName(QStringLiteral("loraChoice"));
    m_lora->setToolTip(tr("A style add-on (LoRA) from the models folder, merged into the model while drawing"));
    m_loraWeight = new QDoubleSpinBox(m_advanced);
    m_loraWeight->setObjectName(QStringLiteral("loraWeight"));
    m_loraWeight->setRange(0.1, 1.5);
    m_loraWeight->setSingleStep(0.1);
    m_loraWeight->setValue(0.8);
    loraRow->addWidget(m_lora, 1);
    loraRow->addWidget(m_loraWeight);
    form->addRow(tr("Style add-on"), loraRow);
    setAvailableLoras({});
    // The lists fit the panel's width rather than their longest entry (a sampler or add-on name would otherwise
    // push the whole panel wider than its column when Advanced opens).
    for (QComboBox* box : {m_shape, m_sampler, m_lora}) {
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->setMinimumContentsLength(6);
    }
    layout->addWidget(m_advanced);
    setAdvancedVisible(false);
    connect(m_advancedToggle, &QToolButton::toggled, this, &PromptPanel::setAdvancedVisible);

    layout->addStretch(1);
    scroll->setWidget(content);
    outer->addWidget(scroll, 1);

    m_drawButton = new QPushButton(tr("Draw it!"), this);
    m_drawButton->setObjectName(QStringLiteral("primaryButton"));
    m_drawButton->setMinimumHeight(56);
    m_drawButton->setToolTip(tr("Ctrl+Enter"));
    auto* buttonRow = new QHBoxLayout;
    buttonRow->setContentsMargins(16, 0, 16, 0);
    buttonRow->addWidget(m_drawButton);
    outer->addLayout(buttonRow);
    connect(m_drawButton, &QPushButton::clicked, this, [this] {
        if (m_running) {
            Q_EMIT stopClicked();
        } else {
            Q_EMIT drawClicked();
        }
    });
    auto* drawShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    drawShortcut->setContext(Qt::WindowShortcut);
    connect(drawShortcut, &QShortcut::activated, this, [this] {
        if (!m_running) Q_EMIT drawClicked();
    });
    auto* stopShortcut = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    stopShortcut->setContext(Qt::WindowShortcut);
    connect(stopShortcut, &QShortcut::activated, this, [this] {
        if (m_running) Q_EMIT stopClicked();
    });
}

void PromptPanel::addIdea(QLayout* layout, const QString& emoji, const QString& label, const QString& subject,
                          const QString& place) {
    auto* grid = static_cast<QGridLayout*>(layout);
    // A big picture over a short word: a child finds the card before reading it.
    auto* card = new QToolButton(this);
    card->setObjectName(QStringLiteral("ideaCard"));
    card->setAccessibleName(label);
    card->setToolTip(subject + QLatin1Char(' ') + place);
    card->setMinimumSize(80, 72);
    card->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    auto* cardLayout = new QVBoxLayout(card);
    cardLayout->setContentsMargins(4, 6, 4, 6);
    cardLayout->setSpacing(2);
    auto* picture = new QLabel(emoji, card);
    picture->setObjectName(QStringLiteral("ideaEmoji"));
    auto* word = new QLabel(label, card);
    for (QLabel* part : {picture, word}) {
        part->setAlignment(Qt::AlignCenter);
        part->setAttribute(Qt::WA_TransparentForMouseEvents);
        cardLayout->addWidget(part);
    }
    connect(card, &QToolButton::clicked, this, [this, subject, place] {
        m_subject = subject;
        m_defaultPlace = place;
        for (QToolButton* chip : m_actionChips + m_placeChips) chip->setEnabled(true), chip->setToolTip(QString());
        composePrompt();
    });
    const int index = grid->count();
    grid->addWidget(card, index / 3, index % 3);
}

void PromptPanel::pickPart(bool place, QToolButton* chosen) {
    QToolButton*& current = place ? m_placeChip : m_actionChip;
    if (current && current != chosen) {
        const QSignalBlocker block(current);
        current->setChecked(false);
    }
    current = chosen;
    composePrompt();
}

QString PromptPanel::composedPrompt() const {
    const QString action = m_actionChip ? m_actionChip->property("words").toString() : QString();
    const QString place = m_placeChip ? m_placeChip->property("words").toString() : m_defaultPlace;
    // Word order is the language's: English "a penguin reading a book in the snow", Chinese "在雪地里，一只…在看书".
    //: %1 is who (a happy penguin), %2 what it does (reading a book, may be empty), %3 where (in the snow)
    QString text = tr("%1 %2 %3").arg(m_subject, action, place);
    return text.simplified();
}

void PromptPanel::composePrompt() {
    if (m_subject.isEmpty()) return;
    m_composing = true;
    setPrompt(composedPrompt());
    m_composing = false;
}

void PromptPanel::forgetParts() {
    m_subject.clear();
    for (QToolButton* chip : m_actionChips + m_placeChips) {
        const QSignalBlocker block(chip);
        chip->setChecked(false);
        chip->setEnabled(false);
        chip->setToolTip(tr("Pick an animal or thing above first"));
    }
    m_actionChip = m_placeChip = nullptr;
}

void PromptPanel::setAdvancedVisible(bool visible) {
    m_advanced->setVisible(visible);
    m_advancedToggle->setArrowType(visible ? Qt::DownArrow : Qt::RightArrow);
}

QString PromptPanel::prompt() const { return m_prompt->toPlainText().trimmed(); }

void PromptPanel::setPrompt(const QString& prompt) {
    m_prompt->setPlainText(prompt);
    m_prompt->setFocus();
}

QString PromptPanel::styleWords() const {
    for (const QToolButton* chip : m_styleChips) {
        if (chip->isChecked()) return chip->property("styleWords").toString();
    }
    return {};
}

void PromptPanel::chooseStyle(QToolButton* chosen) {
    for (QToolButton* chip : m_styleChips) {
        if (chip != chosen && chip->isChecked()) {
            const QSignalBlocker block(chip);
            chip->setChecked(false);
        }
    }
    const QString words = styleWords();
    m_styleWords->setText(tr("The style adds: %1").arg(words));
    m_styleWords->setVisible(!words.isEmpty());
    updateCounter();
}

QString PromptPanel::fullPrompt() const {
    const QString words = styleWords();
    const QString text = prompt();
    if (words.isEmpty() || text.isEmpty()) return text;
    return text + QStringLiteral(", ") + words;
}

void PromptPanel::setTokenCounter(TokenCounter counter) {
    m_tokenCounter = std::move(counter);
    updateCounter();
}

void PromptPanel::updateCounter() {
    if (!m_tokenCounter || prompt().isEmpty()) {
        m_counter->hide();
        return;
    }
    // As A1111's counter: 75 tokens fit in one piece; longer prompts are drawn as several pieces joined.
    const auto [tokens, pieces] = m_tokenCounter(fullPrompt());
    const int limit = 75 * std::max(1, pieces);
    m_counter->setText(pieces > 1 ? tr("%1/%2 · long: read in %3 parts").arg(tokens).arg(limit).arg(pieces)
                                  : tr("%1/%2").arg(tokens).arg(limit));
    m_counter->setToolTip(tr("Word pieces the model reads. Up to 75 are read together; a longer text is read in parts, "
                             "and words far apart matter less to each other."));
    m_counter->setProperty("long", pieces > 1);
    m_counter->style()->unpolish(m_counter);
    m_counter->style()->polish(m_counter);
    m_counter->show();
}

void PromptPanel::applySettings(const JobRequest& settings) {
    // The words without a style's addition: the picture's text already holds whatever style was used.
    for (QToolButton* chip : m_styleChips) chip->setChecked(false);
    setPrompt(settings.prompt);
    m_negative->setPlainText(settings.negativePrompt);
    if (settings.steps > 0) m_steps->setValue(settings.steps);
    if (settings.cfgScale > 0) m_cfg->setValue(settings.cfgScale);
    const int sampler = m_sampler->findText(settings.sampler);
    if (sampler >= 0) m_sampler->setCurrentIndex(sampler);
    if (!settings.randomSeed) {
        m_seed->setText(QString::number(settings.seed));
        m_lockSeed->setChecked(true);  // the same seed again: the same picture
    }
    if (settings.width > 0 && settings.height > 0) {
        // The closest of the shapes offered.
        const double ratio = double(settings.width) / settings.height;
        int best = 0;
        for (int i = 1; i < m_shape->count(); ++i) {
            if (std::abs(std::log(m_shape->itemData(i).toDouble() / ratio)) <
                std::abs(std::log(m_shape->itemData(best).toDouble() / ratio))) {
                best = i;
            }
        }
        m_shape->setCurrentIndex(best);
    }
}

QStringList PromptPanel::samplerNames() {
    return {
        QStringLiteral("dpmpp2m_karras"), QStringLiteral("dpmpp2m"), QStringLiteral("euler"), QStringLiteral("euler_a"),
        QStringLiteral("ddim"),           QStringLiteral("lcm"),     QStringLiteral("pndm")};
}

void PromptPanel::applyModelDefaults(const ModelDefaults& defaults) {
    m_side = std::max(0, defaults.side);
    if (defaults.steps > 0) m_steps->setValue(defaults.steps);
    if (defaults.cfgScale > 0) m_cfg->setValue(defaults.cfgScale);
    if (const int sampler = m_sampler->findText(defaults.sampler); sampler >= 0) m_sampler->setCurrentIndex(sampler);
    m_sampler->setEnabled(!defaults.ownSampler);
    m_sampler->setToolTip(defaults.ownSampler ? tr("This model always draws with its own sampler.") : QString());
}

JobRequest PromptPanel::request() const {
    JobRequest job;
    job.prompt = fullPrompt();
    job.negativePrompt = m_negative->toPlainText().trimmed();
    job.width = 0;
    job.height = 0;
    job.aspectRatio = m_shape->currentData().toDouble();
    if (m_side > 0) {
        // The model's default size in the chosen shape: the same number of pixels, sides on multiples of 8.
        const double root = std::sqrt(job.aspectRatio);
        job.width = std::max(64, int(std::lround(m_side * root / 8.0)) * 8);
        job.height = std::max(64, int(std::lround(m_side / root / 8.0)) * 8);
    }
    job.batchSize = m_batch->value();
    job.steps = m_steps->value();
    job.cfgScale = m_cfg->value();
    bool seedOk = false;
    const quint64 seed = m_seed->text().trimmed().toULongLong(&seedOk);
    job.randomSeed = !(seedOk && m_lockSeed->isChecked());
    job.seed = seedOk ? seed : 0;
    job.sampler = m_sampler->currentText();
    if (const QString lora = m_lora->currentData().toString(); !lora.isEmpty())
        job.loras.append({lora, m_loraWeight->value()});
    return job;
}

void PromptPanel::setAvailableLoras(const QStringList& files) {
    const QString current = m_lora->currentData().toString();
    m_lora->clear();
    m_lora->addItem(tr("None"), QString());
    for (const QString& file : files) m_lora->addItem(QFileInfo(file).completeBaseName(), file);
    m_lora->setCurrentIndex(qMax(0, m_lora->findData(current)));
    m_lora->setEnabled(!files.isEmpty());
    m_loraWeight->setEnabled(!files.isEmpty());
}

void PromptPanel::setKidModeNegative(const QString& words) {
    m_kidNegative->setText(tr("Kid mode also leaves out: %1").arg(words));
    m_kidNegative->setVisible(!words.isEmpty());
}

void PromptPanel::showUsedSeed(quint64 seed) {
    if (!m_lockSeed->isChecked()) m_seed->setText(QString::number(seed));
}

void PromptPanel::setRunning(bool running) {
    m_running = running;
    m_drawButton->setText(running ? tr("Stop") : tr("Draw it!"));
    m_drawButton->setToolTip(running ? tr("Esc") : tr("Ctrl+Enter"));
    m_drawButton->setProperty("running", running);
    m_drawButton->style()->unpolish(m_drawButton);
    m_drawButton->style()->polish(m_drawButton);
}

}  // namespace storybrush
