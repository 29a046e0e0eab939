// The status line under everything: calm when idle, precise while drawing.
#include "ui/progress_strip.h"

#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QProgressBar>
#include <QtWidgets/QPushButton>

#include <cmath>

namespace storybrush {

ProgressStrip::ProgressStrip(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("progressStrip"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(12, 4, 12, 4);
    layout->setSpacing(12);
    m_status = new QLabel(tr("Ready"), this);
    m_status->setObjectName(QStringLiteral("statusText"));
    m_bar = new QProgressBar(this);
    m_bar->setObjectName(QStringLiteral("progressBar"));
    m_bar->setTextVisible(false);
    m_bar->setFixedWidth(220);
    m_bar->setFixedHeight(10);
    m_bar->hide();
    m_stop = new QPushButton(tr("Stop"), this);
    m_stop->setObjectName(QStringLiteral("stopButton"));
    m_stop->hide();
    m_device = new QLabel(this);
    m_device->setObjectName(QStringLiteral("deviceText"));
    layout->addWidget(m_status);
    layout->addWidget(m_bar);
    layout->addWidget(m_stop);
    layout->addStretch(1);
    layout->addWidget(m_device);
    connect(m_stop, &QPushButton::clicked, this, &ProgressStrip::stopClicked);
}

void ProgressStrip::startJob() {
    m_status->setText(tr("Getting ready to draw…"));
    m_bar->setRange(0, 0);  // busy until the first step reports
    m_bar->show();
    m_stop->show();
}

void ProgressStrip::setProgress(int imageIndex, int batchSize, int step, int totalSteps, double secondsLeft,
                                int layersArrived, int layersTotal) {
    const int total = qMax(1, totalSteps * qMax(1, batchSize));
    const int within = qMax(1, layersTotal);  // a step is split into its streamed layers
    m_bar->setRange(0, total * within);
    m_bar->setValue(
        qBound(0, (imageIndex * totalSteps + step) * within + (layersTotal > 0 ? layersArrived : 0), total * within));
    QString text =
        batchSize > 1
            ? tr("Picture %1 of %2 · step %3 of %4").arg(imageIndex + 1).arg(batchSize).arg(step).arg(totalSteps)
            : tr("Step %1 of %2").arg(step).arg(totalSteps);
    if (layersTotal > 0)
        text += QStringLiteral(" · ") + tr("model layers %1 of %2").arg(layersArrived).arg(layersTotal);
    if (secondsLeft >= 0.0) {
        const int seconds = static_cast<int>(std::ceil(secondsLeft));
        const int minutes = (seconds + 59) / 60;
        QString left;
        if (seconds <= 1) {
            left = tr("about 1 second left");
        } else if (seconds < 60) {
            left = tr("about %1 seconds left").arg(seconds);
        } else {
            left = minutes == 1 ? tr("about 1 minute left") : tr("about %1 minutes left").arg(minutes);
        }
        text += QStringLiteral(" · ") + left;
    }
    m_status->setText(text);
}

void ProgressStrip::finishJob(const QString& summary) {
    m_status->setText(summary);
    m_bar->hide();
    m_stop->hide();
}

void ProgressStrip::setDeviceText(const QString& text) { m_device->setText(text); }

QString ProgressStrip::statusText() const { return m_status->text(); }
int ProgressStrip::value() const { return m_bar->value(); }
int ProgressStrip::maximum() const { return m_bar->maximum(); }

}  // namespace storybrush
