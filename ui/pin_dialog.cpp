// The PIN form.
#include "ui/pin_dialog.h"

#include <QtGui/QRegularExpressionValidator>
#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QVBoxLayout>

namespace storybrush {

PinDialog::PinDialog(Mode mode, const QString& why, QWidget* parent) : QDialog(parent), m_mode(mode) {
    setObjectName(QStringLiteral("pinDialog"));
    setWindowTitle(tr("For grown-ups"));
    auto* layout = new QVBoxLayout(this);
    auto* explain = new QLabel(
        mode == Mode::Choose ? tr("%1: first choose a PIN of 4 to 12 digits. It will be asked for whenever kid mode "
                                  "is turned off or the settings are changed.")
                                   .arg(why)
                             : tr("%1: please enter the grown-ups' PIN.").arg(why),
        this);
    explain->setWordWrap(true);
    layout->addWidget(explain);
    auto* form = new QFormLayout;
    const auto pinField = [this](const QString& name) {
        auto* field = new QLineEdit(this);
        field->setObjectName(name);
        field->setEchoMode(QLineEdit::Password);
        field->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{0,12}")), field));
        field->setInputMethodHints(Qt::ImhDigitsOnly | Qt::ImhHiddenText);
        return field;
    };
    m_pin = pinField(QStringLiteral("pinEdit"));
    form->addRow(tr("PIN"), m_pin);
    if (mode == Mode::Choose) {
        m_repeat = pinField(QStringLiteral("pinRepeat"));
        form->addRow(tr("Once more"), m_repeat);
    }
    layout->addLayout(form);
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("pinProblem"));
    m_problem->setWordWrap(true);
    m_problem->hide();
    layout->addWidget(m_problem);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &PinDialog::tryAccept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

QString PinDialog::pin() const { return m_pin->text(); }

void PinDialog::showProblem(const QString& text) {
    m_problem->setText(text);
    m_problem->setVisible(!text.isEmpty());
}

void PinDialog::tryAccept() {
    if (m_pin->text().size() < 4) {
        showProblem(tr("A PIN has at least 4 digits."));
        return;
    }
    if (m_mode == Mode::Choose && m_repeat->text() != m_pin->text()) {
        showProblem(tr("The two PINs are not the same. Please type it again."));
        m_repeat->clear();
        return;
    }
    accept();
}

}  // namespace storybrush
