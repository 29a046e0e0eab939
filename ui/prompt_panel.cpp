// The prompt panel: calm by default, with the parameters behind an "Advanced" fold.
#include "ui/prompt_panel.h"

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

namespace storybrush {

namespace {
struct Shape {
    const char* name;
    int width;
    int height;
};
// Sizes as people think of them; 0 x 0 lets the model use its own square size.
const Shape kShapes[] = {{QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Square"), 0, 0},
                         {QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Wide"), 768, 512},
                         {QT_TRANSLATE_NOOP("storybrush::PromptPanel", "Tall"), 512, 768}};
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

    auto* ideasLabel = new QLabel(tr("Or pick an idea:"), this);
    ideasLabel->setObjectName(QStringLiteral("sectionLabel"));
    layout->addWidget(ideasLabel);
    auto* ideas = new QGridLayout;
    ideas->setSpacing(8);
    // Things and places every model knows, the built-in one included (engine/train/data/concepts.tsv), so the
    // first click draws something a child recognises whichever model is chosen.
    addIdea(ideas, QStringLiteral("🐰"), tr("Bunny"), tr("a cute little rabbit on a sunny meadow"));
    addIdea(ideas, QStringLiteral("🐧"), tr("Penguin"), tr("a happy penguin in the snow"));
    addIdea(ideas, QStringLiteral("🐬"), tr("Dolphin"), tr("a smiling dolphin in the blue sea"));
    addIdea(ideas, QStringLiteral("🦒"), tr("Giraffe"), tr("a friendly giraffe on a sunny meadow"));
    addIdea(ideas, QStringLiteral("🐘"), tr("Elephant"), tr("a baby elephant on the grass"));
    addIdea(ideas, QStringLiteral("🎈"), tr("Balloon"), tr("a hot-air balloon in a blue sky with clouds"));
    layout->addLayout(ideas);

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
    for (const auto& shape : kShapes) m_shape->addItem(tr(shape.name), QSize(shape.width, shape.height));
    form->addRow(tr("Shape"), m_shape);
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
    const QStringList samplers = {QStringLiteral("dpmpp2m_karras"), QStringLiteral("dpmpp2m"), QStringLiteral("euler"),
                                  QStringLiteral("euler_a"), QStringLiteral("ddim"), QStringLiteral("lcm"), QStringLiteral("pndm")};
    m_sampler->addItems(samplers);
    form->addRow(tr("Sampler"), m_sampler);
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

void PromptPanel::addIdea(QLayout* layout, const QString& emoji, const QString& label, const QString& promptText) {
    auto* grid = static_cast<QGridLayout*>(layout);
    // A big picture over a short word: a child finds the card before reading it.
    auto* card = new QToolButton(this);
    card->setObjectName(QStringLiteral("ideaCard"));
    card->setAccessibleName(label);
    card->setToolTip(promptText);
    card->setMinimumSize(96, 72);
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
    connect(card, &QToolButton::clicked, this, [this, promptText] { setPrompt(promptText); });
    const int index = grid->count();
    grid->addWidget(card, index / 3, index % 3);
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

JobRequest PromptPanel::request() const {
    JobRequest job;
    job.prompt = prompt();
    job.negativePrompt = m_negative->toPlainText().trimmed();
    const QSize size = m_shape->currentData().toSize();
    job.width = size.width();
    job.height = size.height();
    job.steps = m_steps->value();
    job.cfgScale = m_cfg->value();
    bool seedOk = false;
    const quint64 seed = m_seed->text().trimmed().toULongLong(&seedOk);
    job.randomSeed = !(seedOk && m_lockSeed->isChecked());
    job.seed = seedOk ? seed : 0;
    job.sampler = m_sampler->currentText();
    return job;
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
