// The status line: what is happening now (step, time left, Stop) and where pictures are computed.
#pragma once

#include <QtWidgets/QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace storybrush {

class ProgressStrip : public QWidget {
    Q_OBJECT

public:
    explicit ProgressStrip(QWidget* parent = nullptr);

    void startJob();
    // secondsLeft < 0: unknown yet.
    // layersArrived/layersTotal: the running step's model layers streamed in so far (small cards), shown as
    // movement within the step; 0 of 0 when the model stays on the card.
    void setProgress(int imageIndex, int batchSize, int step, int totalSteps, double secondsLeft, int layersArrived = 0,
                     int layersTotal = 0);
    void finishJob(const QString& summary);
    void setDeviceText(const QString& text);

    QString statusText() const;
    int value() const;
    int maximum() const;

Q_SIGNALS:
    void stopClicked();

private:
    QLabel* m_status = nullptr;
    QProgressBar* m_bar = nullptr;
    QPushButton* m_stop = nullptr;
    QLabel* m_device = nullptr;
};

}  // namespace storybrush
