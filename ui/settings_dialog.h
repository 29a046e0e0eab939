// Settings a grown-up changes once: where models and pictures live, which processor draws, the language,
// how often step previews come. The app reads and writes them (QSettings); this is only the form.
#pragma once

#include <QtWidgets/QDialog>

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;

namespace storybrush {

struct StudioSettings {
    QString modelsFolder;  // a folder of models, or a ComfyUI/A1111 folder (its checkpoints are found)
    QString device = QStringLiteral("auto");  // auto, cuda, cpu
    QString language;                         // "" follows the system, or en / zh_CN
    double previewsPerSecond = 4.0;           // 0: no previews while drawing
    QString picturesFolder;                   // "" is the user's data folder
};

class SettingsDialog : public QDialog {
    Q_OBJECT

public:
    explicit SettingsDialog(const StudioSettings& settings, QWidget* parent = nullptr);
    StudioSettings settings() const;

Q_SIGNALS:
    void safetyLogRequested();

private:
    QLineEdit* m_models = nullptr;
    QComboBox* m_device = nullptr;
    QComboBox* m_language = nullptr;
    QDoubleSpinBox* m_previews = nullptr;
    QLineEdit* m_pictures = nullptr;
};

}  // namespace storybrush
