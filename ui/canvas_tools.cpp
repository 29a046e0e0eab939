// The canvas bar: tools, brush size and softness, undo/redo, the extension menu and the zoom readout.
#include "ui/canvas_tools.h"

#include <QtGui/QAction>
#include <QtGui/QKeySequence>
#include <QtWidgets/QButtonGroup>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMenu>
#include <QtWidgets/QSlider>
#include <QtWidgets/QToolButton>

namespace storybrush {

namespace {
constexpr int kExtendStep = 128;  // pixels added per click: half of what most models see at once

QToolButton* toolButton(const QString& text, const QString& tip, QWidget* parent, bool checkable = false) {
    auto* button = new QToolButton(parent);
    button->setText(text);
    button->setToolTip(tip);
    button->setAccessibleName(text);
    button->setCheckable(checkable);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    return button;
}

QSlider* slider(int min, int max, int value, const QString& name, QWidget* parent) {
    auto* s = new QSlider(Qt::Horizontal, parent);
    s->setRange(min, max);
    s->setValue(value);
    s->setAccessibleName(name);
    s->setToolTip(name);
    s->setFixedWidth(88);
    return s;
}
}  // namespace

CanvasTools::CanvasTools(CanvasView* canvas, QWidget* parent) : QWidget(parent), m_canvas(canvas) {
    setObjectName(QStringLiteral("canvasTools"));
    // Two rows so every word fits at 1024 px: the brush on top, the page and the view below.
    auto* rows = new QVBoxLayout(this);
    rows->setContentsMargins(16, 4, 16, 8);
    rows->setSpacing(4);
    auto* top = new QHBoxLayout;
    top->setSpacing(8);
    auto* layout = new QHBoxLayout;
    layout->setSpacing(8);
    rows->addLayout(top);
    rows->addLayout(layout);

    m_start = toolButton(tr("Change a part"), tr("Paint over the part to draw again (B)"), this);
    m_start->setObjectName(QStringLiteral("startMarking"));
    m_bigger = toolButton(tr("Make the page bigger"), tr("Add room on a side; the new part is drawn to match"), this);
    m_bigger->setObjectName(QStringLiteral("extendButton"));
    m_bigger->setPopupMode(QToolButton::InstantPopup);
    auto* extendMenu = new QMenu(m_bigger);
    const auto addExtend = [&](const QString& text, std::initializer_list<Qt::Edge> edges) {
        QAction* action = extendMenu->addAction(text, this, [this, edges] {
            for (const Qt::Edge edge : edges) m_canvas->extend(edge, kExtendStep);
        });
        return action;
    };
    addExtend(tr("Wider on the left"), {Qt::LeftEdge});
    addExtend(tr("Wider on the right"), {Qt::RightEdge});
    addExtend(tr("Wider on both sides (a two-page spread)"), {Qt::LeftEdge, Qt::RightEdge});
    addExtend(tr("Taller at the top"), {Qt::TopEdge});
    addExtend(tr("Taller at the bottom"), {Qt::BottomEdge});
    extendMenu->addSeparator();
    extendMenu->addAction(tr("Keep the page as it is"), this, [this] { m_canvas->setMargins({}); });
    m_bigger->setMenu(extendMenu);

    m_brushTools = new QWidget(this);
    m_brushTools->setObjectName(QStringLiteral("brushTools"));
    auto* brush = new QHBoxLayout(m_brushTools);
    brush->setContentsMargins(0, 0, 0, 0);
    brush->setSpacing(6);
    m_look = toolButton(tr("Look"), tr("Move and zoom the picture without painting"), m_brushTools, true);
    m_mark = toolButton(tr("Brush"), tr("Paint over what should change (B)"), m_brushTools, true);
    m_mark->setObjectName(QStringLiteral("brushButton"));
    m_erase = toolButton(tr("Eraser"), tr("Take paint away (E)"), m_brushTools, true);
    m_erase->setObjectName(QStringLiteral("eraserButton"));
    auto* group = new QButtonGroup(this);
    for (auto* b : {m_look, m_mark, m_erase}) group->addButton(b);
    m_size = slider(2, 400, 48, tr("Brush size ([ and ])"), m_brushTools);
    m_size->setObjectName(QStringLiteral("brushSize"));
    m_softness = slider(0, 100, 50, tr("Brush softness"), m_brushTools);
    m_undo = toolButton(tr("Undo"), tr("Undo the last stroke (Ctrl+Z)"), m_brushTools);
    m_redo = toolButton(tr("Redo"), tr("Redo (Ctrl+Shift+Z)"), m_brushTools);
    auto* more = toolButton(tr("More"), tr("Clear, mark everything, swap"), m_brushTools);
    more->setPopupMode(QToolButton::InstantPopup);
    auto* moreMenu = new QMenu(more);
    moreMenu->addAction(tr("Clear the paint"), m_canvas, &CanvasView::clearMask);
    moreMenu->addAction(tr("Paint everything"), m_canvas, &CanvasView::fillMask);
    moreMenu->addAction(tr("Swap painted and unpainted"), m_canvas, &CanvasView::invertMask);
    more->setMenu(moreMenu);
    m_strength = slider(10, 100, 100, tr("How much to change: a little (left) or all of it (right)"), this);
    m_strength->setObjectName(QStringLiteral("changeAmount"));
    auto* sizeLabel = new QLabel(tr("Size"), m_brushTools);
    auto* softLabel = new QLabel(tr("Soft"), m_brushTools);
    m_changeLabel = new QLabel(tr("How much to change"), this);
    auto* changeLabel = m_changeLabel;
    for (auto* label : {sizeLabel, softLabel, changeLabel}) label->setObjectName(QStringLiteral("toolLabel"));
    brush->addWidget(m_look);
    brush->addWidget(m_mark);
    brush->addWidget(m_erase);
    brush->addSpacing(6);
    brush->addWidget(sizeLabel);
    brush->addWidget(m_size);
    brush->addWidget(softLabel);
    brush->addWidget(m_softness);
    brush->addSpacing(6);
    brush->addWidget(m_undo);
    brush->addWidget(m_redo);
    brush->addWidget(more);
    brush->addStretch(1);

    m_zoom = new QLabel(this);
    m_zoom->setObjectName(QStringLiteral("zoomLabel"));
    auto* fit = toolButton(tr("Fit"), tr("Show the whole picture (Ctrl+0)"), this);

    top->addWidget(m_start);
    top->addWidget(m_brushTools, 1);
    layout->addWidget(m_bigger);
    layout->addSpacing(8);
    layout->addWidget(changeLabel);
    layout->addWidget(m_strength);
    layout->addStretch(1);
    layout->addWidget(m_zoom);
    layout->addWidget(fit);

    // Shortcuts work anywhere in the window, as in painting programs.
    const auto shortcut = [this](const QKeySequence& keys, auto&& slot) {
        auto* action = new QAction(this);
        action->setShortcut(keys);
        action->setShortcutContext(Qt::WindowShortcut);
        connect(action, &QAction::triggered, this, slot);
        addAction(action);
    };
    shortcut(QKeySequence(Qt::Key_B), [this] { m_canvas->setTool(CanvasTool::Brush); });
    shortcut(QKeySequence(Qt::Key_E), [this] { m_canvas->setTool(CanvasTool::Eraser); });
    shortcut(QKeySequence::Undo, [this] { m_canvas->undo(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), [this] { m_canvas->redo(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_Y), [this] { m_canvas->redo(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_0), [this] { m_canvas->fitToView(); });
    shortcut(QKeySequence(Qt::CTRL | Qt::Key_1), [this] {
        m_canvas->zoomAt(1.0 / m_canvas->zoom(), QPointF(m_canvas->width() / 2.0, m_canvas->height() / 2.0));
    });

    connect(m_start, &QToolButton::clicked, this, [this] { m_canvas->setTool(CanvasTool::Brush); });
    connect(m_look, &QToolButton::clicked, this, [this] { m_canvas->setTool(CanvasTool::Look); });
    connect(m_mark, &QToolButton::clicked, this, [this] { m_canvas->setTool(CanvasTool::Brush); });
    connect(m_erase, &QToolButton::clicked, this, [this] { m_canvas->setTool(CanvasTool::Eraser); });
    connect(m_size, &QSlider::valueChanged, m_canvas, &CanvasView::setBrushSize);
    connect(m_softness, &QSlider::valueChanged, m_canvas, &CanvasView::setBrushSoftness);
    connect(m_undo, &QToolButton::clicked, m_canvas, &CanvasView::undo);
    connect(m_redo, &QToolButton::clicked, m_canvas, &CanvasView::redo);
    connect(fit, &QToolButton::clicked, m_canvas, &CanvasView::fitToView);
    connect(m_canvas, &CanvasView::toolChanged, this, &CanvasTools::refresh);
    connect(m_canvas, &CanvasView::maskChanged, this, &CanvasTools::refresh);
    connect(m_canvas, &CanvasView::marginsChanged, this, &CanvasTools::refresh);
    connect(m_canvas, &CanvasView::viewChanged, this, &CanvasTools::refresh);
    m_canvas->setBrushSize(m_size->value());
    m_canvas->setBrushSoftness(m_softness->value());
    refresh();
}

double CanvasTools::strength() const { return m_strength->value() / 100.0; }

bool CanvasTools::brushToolsShown() const { return m_brushTools->isVisibleTo(this); }

void CanvasTools::refresh() {
    const bool picture = !m_canvas->picture().isNull();
    setVisible(picture);
    const bool marking = m_canvas->tool() != CanvasTool::Look || !m_canvas->mask().isNull();
    m_brushTools->setVisible(marking || m_canvas->margins().any());
    m_start->setVisible(!m_brushTools->isVisibleTo(this));
    m_changeLabel->setVisible(m_canvas->hasRepaintWork());
    m_strength->setVisible(m_canvas->hasRepaintWork());
    m_look->setChecked(m_canvas->tool() == CanvasTool::Look);
    m_mark->setChecked(m_canvas->tool() == CanvasTool::Brush);
    m_erase->setChecked(m_canvas->tool() == CanvasTool::Eraser);
    m_undo->setEnabled(m_canvas->maskLayer().canUndo());
    m_redo->setEnabled(m_canvas->maskLayer().canRedo());
    if (m_size->value() != m_canvas->brushSize()) {
        const QSignalBlocker block(m_size);
        m_size->setValue(m_canvas->brushSize());
    }
    const CanvasMargins margins = m_canvas->margins();
    m_bigger->setText(margins.any()
                          ? tr("Page: +%1 px").arg(margins.left + margins.right + margins.top + margins.bottom)
                          : tr("Make the page bigger"));
    m_zoom->setText(tr("%1 %").arg(qRound(m_canvas->zoom() * 100)));
}

}  // namespace storybrush
