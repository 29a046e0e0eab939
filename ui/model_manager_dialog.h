// The model manager: the models a person has (kind, size, whether they can repaint parts, why one cannot be
// used), bringing one in by dropping its file here, and each model's own starting settings.
#pragma once

#include "ui/job.h"

#include <QtWidgets/QDialog>

#include <functional>

class QComboBox;
class QDragEnterEvent;
class QDropEvent;
class QMimeData;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTreeWidget;

namespace storybrush {

class ModelManagerDialog : public QDialog {
    Q_OBJECT

public:
    explicit ModelManagerDialog(QWidget* parent = nullptr);

    // The list, with `current` (the model drawing now) selected.
    void setModels(const QList<ModelEntry>& models, const QString& current);
    // Reads a model's saved defaults when it is selected.
    void setDefaultsProvider(std::function<ModelDefaults(const QString& path)> provider);
    // A line under the list: what happened to a model brought in (problem: shown as a warning).
    void showMessage(const QString& text, bool problem);
    // One line per model brought in: those that came in, then those that did not (as warnings).
    void showOutcomes(const QStringList& done, const QStringList& problems);
    // While a model is copied and checked: the buttons wait.
    void setBusy(bool busy);

    QString selectedPath() const;
    // Model files and folders in a drop (local files only); what the drop would bring in.
    static QStringList droppedModels(const QMimeData* data);

Q_SIGNALS:
    void useModelRequested(const QString& path);
    void importRequested(const QStringList& paths);
    void defaultsSaved(const QString& path, const ModelDefaults& defaults);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void showSelected();
    void chooseFiles();
    ModelDefaults editedDefaults() const;

    QTreeWidget* m_list = nullptr;
    QLabel* m_details = nullptr;
    QLabel* m_message = nullptr;
    QComboBox* m_size = nullptr;
    QComboBox* m_sampler = nullptr;
    QDoubleSpinBox* m_cfg = nullptr;
    QSpinBox* m_steps = nullptr;
    QPushButton* m_saveDefaults = nullptr;
    QPushButton* m_use = nullptr;
    QPushButton* m_import = nullptr;
    QList<ModelEntry> m_models;
    std::function<ModelDefaults(const QString&)> m_defaults;
};

}  // namespace storybrush
