// The settings form.
#include "ui/settings_dialog.h"

#include <QtWidgets/QComboBox>
#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QDoubleSpinBox>
#include <QtWidgets/QFileDialog>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QVBoxLayout>

namespace storybrush {

namespace {
QWidget* folderRow(QLineEdit* edit, const QString& placeholder, const QString& title, QWidget* parent) {
    auto* row = new QWidget(parent);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    edit->setPlaceholderText(placeholder);
    auto* browse = new QPushButton(QObject::tr("Choose…"), row);
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    QObject::connect(browse, &QPushButton::clicked, row, [edit, title, row] {
        const QString folder = QFileDialog::getExistingDirectory(row, title, edit->text());
        if (!folder.isEmpty()) edit->setText(folder);
    });
    return row;
}
}  // namespace

SettingsDialog::SettingsDialog(const StudioSettings& settings, QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Settings"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    form->setSpacing(10);

    m_models = new QLineEdit(settings.modelsFolder, this);
    m_models->setObjectName(QStringLiteral("modelsFolder"));
    form->addRow(tr("Models folder"),
                 folderRow(m_models, tr("A folder with .safetensors models, or a ComfyUI or A1111 folder"),
                           tr("Choose the models folder"), this));
    m_device = new QComboBox(this);
    m_device->setObjectName(QStringLiteral("deviceChoice"));
    m_device->addItem(tr("Automatic (the graphics card when there is one)"), QStringLiteral("auto"));
    m_device->addItem(tr("Graphics card (NVIDIA)"), QStringLiteral("cuda"));
    m_device->addItem(tr("Processor only"), QStringLiteral("cpu"));
    m_device->setCurrentIndex(qMax(0, m_device->findData(settings.device)));
    form->addRow(tr("Draw with"), m_device);

    m_language = new QComboBox(this);
    m_language->setObjectName(QStringLiteral("languageChoice"));
    m_language->addItem(tr("As the system"), QString());
    m_language->addItem(QStringLiteral("English"), QStringLiteral("en"));
    m_language->addItem(QStringLiteral("中文（简体）"), QStringLiteral("zh_CN"));
    m_language->setCurrentIndex(qMax(0, m_language->findData(settings.language)));
    form->addRow(tr("Language"), m_language);

    m_previews = new QDoubleSpinBox(this);
    m_previews->setObjectName(QStringLiteral("previewRate"));
    m_previews->setRange(0.0, 10.0);
    m_previews->setDecimals(0);
    m_previews->setSuffix(tr(" per second"));
    m_previews->setSpecialValueText(tr("No previews"));
    m_previews->setValue(settings.previewsPerSecond);
    form->addRow(tr("Previews while drawing"), m_previews);

    m_pictures = new QLineEdit(settings.picturesFolder, this);
    m_pictures->setObjectName(QStringLiteral("picturesFolder"));
    form->addRow(tr("Keep pictures in"), folderRow(m_pictures, tr("The usual place in your home folder"),
                                                   tr("Choose where pictures are kept"), this));
    layout->addLayout(form);
    auto* note = new QLabel(tr("A new language or pictures folder is used from the next start."), this);
    note->setObjectName(QStringLiteral("hint"));
    note->setWordWrap(true);
    layout->addWidget(note);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    auto* log = buttons->addButton(tr("What was held back…"), QDialogButtonBox::ActionRole);
    log->setObjectName(QStringLiteral("safetyLogButton"));
    connect(log, &QPushButton::clicked, this, &SettingsDialog::safetyLogRequested);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(560, sizeHint().height());
}

StudioSettings SettingsDialog::settings() const {
    StudioSettings settings;
    settings.modelsFolder = m_models->text().trimmed();
    settings.device = m_device->currentData().toString();
    settings.language = m_language->currentData().toString();
    settings.previewsPerSecond = m_previews->value();
    settings.picturesFolder = m_pictures->text().trimmed();
    return settings;
}

}  // namespace storybrush
