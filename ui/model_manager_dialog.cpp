// The model manager dialog.
#include "ui/model_manager_dialog.h"

#include "ui/prompt_panel.h"

#include <QtCore/QFileInfo>
#include <QtCore/QMimeData>
#include <QtCore/QUrl>
#include <QtGui/QDragEnterEvent>
#include <QtGui/QDropEvent>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QDoubleSpinBox>
#include <QtWidgets/QFileDialog>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QGroupBox>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QTreeWidget>
#include <QtWidgets/QVBoxLayout>

namespace storybrush {

namespace {

enum Column { NameColumn, KindColumn, SizeColumn, RepaintColumn, ReadyColumn };

QString sizeText(qint64 bytes) {
    if (bytes <= 0) return QStringLiteral("—");
    if (bytes >= 1000LL * 1000 * 1000) return QObject::tr("%1 GB").arg(bytes / 1e9, 0, 'f', 1);
    return QObject::tr("%1 MB").arg(bytes / 1e6, 0, 'f', 0);
}

}  // namespace

ModelManagerDialog::ModelManagerDialog(QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("modelManager"));
    setWindowTitle(tr("Picture models"));
    setAcceptDrops(true);
    resize(760, 560);
    auto* layout = new QVBoxLayout(this);

    auto* hint = new QLabel(tr("The models Storybrush can draw with. To bring in a model, drop its .safetensors file "
                               "(or diffusers folder) here: it is copied into your models folder and checked first."),
                            this);
    hint->setWordWrap(true);
    hint->setObjectName(QStringLiteral("modelManagerHint"));
    layout->addWidget(hint);

    m_list = new QTreeWidget(this);
    m_list->setObjectName(QStringLiteral("modelList"));
    m_list->setRootIsDecorated(false);
    m_list->setAlternatingRowColors(true);
    m_list->setHeaderLabels({tr("Model"), tr("Kind"), tr("Size on disk"), tr("Repaints parts"), tr("Ready")});
    m_list->header()->setSectionResizeMode(NameColumn, QHeaderView::Stretch);
    for (int column = KindColumn; column <= ReadyColumn; ++column)
        m_list->header()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    layout->addWidget(m_list, 1);

    m_details = new QLabel(this);
    m_details->setObjectName(QStringLiteral("modelDetails"));
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_details);

    auto* defaultsBox = new QGroupBox(tr("This model's own starting settings"), this);
    auto* form = new QFormLayout(defaultsBox);
    m_size = new QComboBox(defaultsBox);
    m_size->setObjectName(QStringLiteral("defaultSize"));
    form->addRow(tr("Picture size"), m_size);
    m_sampler = new QComboBox(defaultsBox);
    m_sampler->setObjectName(QStringLiteral("defaultSampler"));
    m_sampler->addItem(tr("Leave as it is"), QString());
    for (const QString& name : PromptPanel::samplerNames()) m_sampler->addItem(name, name);
    form->addRow(tr("Sampler"), m_sampler);
    m_cfg = new QDoubleSpinBox(defaultsBox);
    m_cfg->setObjectName(QStringLiteral("defaultCfg"));
    m_cfg->setRange(0.0, 30.0);
    m_cfg->setSingleStep(0.5);
    m_cfg->setSpecialValueText(tr("Leave as it is"));
    form->addRow(tr("Guidance"), m_cfg);
    m_steps = new QSpinBox(defaultsBox);
    m_steps->setObjectName(QStringLiteral("defaultSteps"));
    m_steps->setRange(0, 150);
    m_steps->setSpecialValueText(tr("Leave as it is"));
    form->addRow(tr("Steps"), m_steps);
    m_saveDefaults = new QPushButton(tr("Keep these for this model"), defaultsBox);
    m_saveDefaults->setObjectName(QStringLiteral("saveDefaults"));
    form->addRow(QString(), m_saveDefaults);
    layout->addWidget(defaultsBox);

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("modelMessage"));
    m_message->setWordWrap(true);
    m_message->hide();
    layout->addWidget(m_message);

    auto* buttons = new QDialogButtonBox(this);
    m_import = buttons->addButton(tr("Bring in a model…"), QDialogButtonBox::ActionRole);
    m_import->setObjectName(QStringLiteral("importModel"));
    m_use = buttons->addButton(tr("Draw with this model"), QDialogButtonBox::AcceptRole);
    m_use->setObjectName(QStringLiteral("useModel"));
    m_use->setDefault(true);
    buttons->addButton(QDialogButtonBox::Close);
    layout->addWidget(buttons);

    connect(m_list, &QTreeWidget::currentItemChanged, this, [this] { showSelected(); });
    connect(m_list, &QTreeWidget::itemDoubleClicked, this, [this] {
        if (m_use->isEnabled()) m_use->click();
    });
    connect(m_import, &QPushButton::clicked, this, [this] { chooseFiles(); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_use, &QPushButton::clicked, this, [this] {
        if (selectedPath().isEmpty()) return;
        Q_EMIT useModelRequested(selectedPath());
        accept();
    });
    connect(m_saveDefaults, &QPushButton::clicked, this, [this] {
        if (selectedPath().isEmpty()) return;
        Q_EMIT defaultsSaved(selectedPath(), editedDefaults());
        showMessage(tr("Kept. They apply each time this model is chosen."), false);
    });
    showSelected();
}

void ModelManagerDialog::setModels(const QList<ModelEntry>& models, const QString& current) {
    m_models = models;
    m_list->clear();
    QTreeWidgetItem* selected = nullptr;
    for (const ModelEntry& model : models) {
        auto* item = new QTreeWidgetItem(m_list);
        item->setText(NameColumn, model.name);
        item->setToolTip(NameColumn, model.path);
        item->setData(NameColumn, Qt::UserRole, model.path);
        item->setText(KindColumn, model.kind.isEmpty() ? tr("Unknown") : model.kind);
        item->setText(SizeColumn, sizeText(model.bytes));
        item->setText(RepaintColumn,
                      model.problem.isEmpty() ? (model.inpainting ? tr("Yes, made for it") : tr("Yes")) : QString());
        item->setText(ReadyColumn, model.problem.isEmpty() ? tr("Ready") : tr("Cannot be used"));
        if (!model.problem.isEmpty()) {
            item->setToolTip(ReadyColumn, model.problem);
            for (int column = NameColumn; column <= ReadyColumn; ++column)
                item->setForeground(column, QColor(0xa3, 0x3b, 0x2b));
        }
        if (model.path == current) selected = item;
    }
    m_list->setCurrentItem(selected ? selected : m_list->topLevelItem(0));
    showSelected();
}

void ModelManagerDialog::setDefaultsProvider(std::function<ModelDefaults(const QString&)> provider) {
    m_defaults = std::move(provider);
    showSelected();
}

void ModelManagerDialog::showMessage(const QString& text, bool problem) {
    m_message->setTextFormat(Qt::PlainText);
    m_message->setText(text);
    m_message->setProperty("problem", problem);
    m_message->setStyleSheet(problem ? QStringLiteral("color: #a33b2b;") : QStringLiteral("color: #2e6b3a;"));
    m_message->setVisible(!text.isEmpty());
}

void ModelManagerDialog::showOutcomes(const QStringList& done, const QStringList& problems) {
    QStringList lines;
    for (const QString& line : done)
        lines.append(QStringLiteral("<span style=\"color:#2e6b3a\">%1</span>").arg(line.toHtmlEscaped()));
    for (const QString& line : problems)
        lines.append(QStringLiteral("<span style=\"color:#a33b2b\">%1</span>").arg(line.toHtmlEscaped()));
    m_message->setStyleSheet(QString());
    m_message->setProperty("problem", !problems.isEmpty());
    m_message->setTextFormat(Qt::RichText);
    m_message->setText(lines.join(QStringLiteral("<br>")));
    m_message->setVisible(!lines.isEmpty());
}

void ModelManagerDialog::setBusy(bool busy) {
    m_import->setEnabled(!busy);
    setAcceptDrops(!busy);
    if (busy) showMessage(tr("Bringing the model in and checking it…"), false);
    showSelected();
}

QString ModelManagerDialog::selectedPath() const {
    const QTreeWidgetItem* item = m_list->currentItem();
    return item ? item->data(NameColumn, Qt::UserRole).toString() : QString();
}

QStringList ModelManagerDialog::droppedModels(const QMimeData* data) {
    QStringList paths;
    if (!data || !data->hasUrls()) return paths;
    for (const QUrl& url : data->urls()) {
        if (url.isLocalFile()) paths.append(url.toLocalFile());
    }
    return paths;
}

void ModelManagerDialog::dragEnterEvent(QDragEnterEvent* event) {
    if (!droppedModels(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void ModelManagerDialog::dropEvent(QDropEvent* event) {
    const QStringList paths = droppedModels(event->mimeData());
    if (paths.isEmpty()) return;
    event->acceptProposedAction();
    Q_EMIT importRequested(paths);
}

void ModelManagerDialog::chooseFiles() {
    const QStringList files =
        QFileDialog::getOpenFileNames(this, tr("Bring in a model"), QString(), tr("Safe model files (*.safetensors)"));
    if (!files.isEmpty()) Q_EMIT importRequested(files);
}

ModelDefaults ModelManagerDialog::editedDefaults() const {
    ModelDefaults defaults;
    defaults.side = m_size->currentData().toInt();
    defaults.sampler = m_sampler->currentData().toString();
    defaults.cfgScale = m_cfg->value();
    defaults.steps = m_steps->value();
    return defaults;
}

void ModelManagerDialog::showSelected() {
    const QString path = selectedPath();
    const ModelEntry* model = nullptr;
    for (const ModelEntry& entry : m_models) {
        if (entry.path == path) model = &entry;
    }
    const bool usable = model && model->problem.isEmpty();
    m_use->setEnabled(usable);
    m_saveDefaults->setEnabled(usable);
    m_size->setEnabled(usable);
    m_sampler->setEnabled(usable);
    m_cfg->setEnabled(usable);
    m_steps->setEnabled(usable);
    if (!model) {
        m_details->setText(m_models.isEmpty() ? tr("No models yet: drop a model file here.") : QString());
        return;
    }
    if (!model->problem.isEmpty()) {
        m_details->setText(tr("%1 cannot be used: %2").arg(model->name, model->problem));
        return;
    }
    QString details = tr("%1 draws %2×%2 pictures.").arg(model->kind).arg(model->nativeSize);
    if (model->inpainting) details += QLatin1Char(' ') + tr("It was made for repainting parts of a picture.");
    m_details->setText(details);

    const ModelDefaults defaults = m_defaults ? m_defaults(path) : ModelDefaults{};
    m_size->clear();
    m_size->addItem(tr("Its own size (%1 px)").arg(model->nativeSize), 0);
    for (const int side : {512, 768, 1024}) {
        if (side != model->nativeSize) m_size->addItem(tr("%1 px").arg(side), side);
    }
    m_size->setCurrentIndex(qMax(0, m_size->findData(defaults.side)));
    m_sampler->setCurrentIndex(qMax(0, m_sampler->findData(defaults.sampler)));
    m_cfg->setValue(defaults.cfgScale);
    m_steps->setValue(defaults.steps);
}

}  // namespace storybrush
