// The model manager as a grown-up uses it: models listed with kind, size and whether they can be used; a model
// brought in lands in the models folder (ComfyUI layout respected) only after it passed the load check; a LoRA
// goes to the LoRA folder; a broken or pickle file is refused with the reason and leaves nothing behind; each
// model's own settings reach the prompt panel when it is chosen. The dialog is saved as a screenshot.
#include "app/model_catalog.h"
#include "app/model_folder.h"
#include "app/studio/studio.h"
#include "ui/main_window.h"
#include "ui/model_manager_dialog.h"
#include "ui/prompt_panel.h"
#include "ui/theme.h"

#include "common/fixtures.h"
#include "io/safetensors_writer.h"

#include <QtCore/QDir>
#include <QtCore/QDirIterator>
#include <QtCore/QMimeData>
#include <QtCore/QSettings>
#include <QtCore/QTemporaryDir>
#include <QtCore/QUrl>
#include <QtTest/QtTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QDoubleSpinBox>
#include <QtWidgets/QLabel>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QScrollArea>
#include <QtWidgets/QScrollBar>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QToolButton>
#include <QtWidgets/QTreeWidget>

#include <torch/torch.h>

using namespace storybrush;

namespace {

// Every file under `folder`, relative, sorted: what a failed import must leave unchanged.
QStringList filesUnder(const QString& folder) {
    QStringList files;
    QDirIterator it(folder, QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) files.append(QDir(folder).relativeFilePath(it.next()));
    files.sort();
    return files;
}

}  // namespace

class TestModelManager : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sdxl-diffusers/model_index.json");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-ldm.safetensors");
        applyTheme(*qApp);
    }

    void describesKindAndSizeOrWhyNot() {
        const ModelEntry xl = describeModel(test::fixturePath(QStringLiteral("tiny-sdxl-diffusers")));
        QVERIFY2(xl.problem.isEmpty(), qPrintable(xl.problem));
        QCOMPARE(xl.kind, QStringLiteral("SDXL"));
        QCOMPARE(xl.name, QStringLiteral("tiny-sdxl-diffusers"));
        QCOMPARE(xl.nativeSize, 64);
        QVERIFY(xl.bytes > 1000000);
        // The tiny single file does not fit SD 1.5's own config: listed, with the reason.
        const ModelEntry broken = describeModel(test::fixturePath(QStringLiteral("tiny-sd15-ldm.safetensors")));
        QVERIFY(!broken.problem.isEmpty());
        QVERIFY2(broken.problem.contains(QStringLiteral("groups")), qPrintable(broken.problem));
    }

    void bringsInAModelOnlyAfterItLoads() {
        QTemporaryDir root;
        QVERIFY(QDir(root.path()).mkpath(QStringLiteral("models/checkpoints")));  // a ComfyUI folder
        const QString checkpoints = root.filePath(QStringLiteral("models/checkpoints"));

        auto outcome = importModel(test::fixturePath(QStringLiteral("tiny-sdxl-diffusers")), root.path());
        QVERIFY2(outcome.ok, qPrintable(outcome.message));
        QCOMPARE(outcome.path, checkpoints + QStringLiteral("/tiny-sdxl-diffusers"));
        QVERIFY(findModels(root.path()).contains(outcome.path));
        QCOMPARE(describeModel(outcome.path).kind, QStringLiteral("SDXL"));
        // The same again gets its own name, never overwriting.
        outcome = importModel(test::fixturePath(QStringLiteral("tiny-sdxl-diffusers")), root.path());
        QVERIFY2(outcome.ok, qPrintable(outcome.message));
        QCOMPARE(outcome.path, checkpoints + QStringLiteral("/tiny-sdxl-diffusers (2)"));

        // A file that fails the load check: the reason, and nothing left behind (no copy, no half-copied file).
        const QStringList before = filesUnder(root.path());
        outcome = importModel(test::fixturePath(QStringLiteral("tiny-sd15-ldm.safetensors")), root.path());
        QVERIFY(!outcome.ok);
        QVERIFY2(outcome.message.contains(QStringLiteral("was not brought in")) &&
                     outcome.message.contains(QStringLiteral("groups")),
                 qPrintable(outcome.message));
        QCOMPARE(filesUnder(root.path()), before);

        // A pickle file is refused with how to convert it; an unrelated file is refused by its kind.
        QTemporaryDir elsewhere;
        const QString ckpt = elsewhere.filePath(QStringLiteral("v1-5.ckpt"));
        QFile(ckpt).open(QIODevice::WriteOnly);
        outcome = importModel(ckpt, root.path());
        QVERIFY(!outcome.ok && outcome.message.contains(QStringLiteral("pickle")));
        const QString text = elsewhere.filePath(QStringLiteral("notes.txt"));
        QFile(text).open(QIODevice::WriteOnly);
        outcome = importModel(text, root.path());
        QVERIFY(!outcome.ok && outcome.message.contains(QStringLiteral(".safetensors")));
        QCOMPARE(filesUnder(root.path()), before);
    }

    void aLoraGoesToTheLoraFolder() {
        QTemporaryDir root, elsewhere;
        const QString lora = elsewhere.filePath(QStringLiteral("crayon-style.safetensors"));
        io::writeSafetensors(lora.toStdString(),
                             {{"lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight", torch::zeros({2, 8})},
                              {"lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight", torch::zeros({8, 2})}});
        const auto outcome = importModel(lora, root.path());
        QVERIFY2(outcome.ok && outcome.lora, qPrintable(outcome.message));
        QCOMPARE(outcome.path, root.filePath(QStringLiteral("loras/crayon-style.safetensors")));
        QVERIFY(findLoras(root.path()).contains(outcome.path));
        QVERIFY(findModels(root.path()).isEmpty());
    }

    // Chosen without settings of its own, a model starts from its family's guidance and steps, never from the
    // model chosen before it (Qwen-Image's true CFG at SD's 7.5 burns the picture).
    void eachModelStartsFromItsFamilysGuidance() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/config.json");
        QTemporaryDir root, settingsDir;
        QSettings settings(settingsDir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
        MainWindow window;
        ModelManagerHooks hooks;
        hooks.settings = &settings;
        hooks.modelsFolder = [&root] { return root.path(); };
        connectModelManager(window, hooks);
        window.setModel(test::fixturePath(QStringLiteral("tiny-qwenimage")));
        QCOMPARE(window.promptPanel()->request().cfgScale, 4.0);
        QCOMPARE(window.promptPanel()->request().steps, 30);
        // Its sampler is its own: the list says so instead of offering choices that change nothing.
        QVERIFY(!window.promptPanel()->findChild<QComboBox*>(QStringLiteral("samplerChoice"))->isEnabled());
        window.resize(1100, 760);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.findChild<QToolButton*>(QStringLiteral("advancedToggle"))->click();
        QTest::qWait(100);  // the advanced section lays itself out
        auto* scroll = window.promptPanel()->findChild<QScrollArea*>(QStringLiteral("promptScroll"));
        scroll->verticalScrollBar()->setValue(scroll->verticalScrollBar()->maximum());  // down to the sampler
        QApplication::processEvents();
        const QString dir = test::testOutputDir() + QStringLiteral("/screenshots");
        QDir().mkpath(dir);
        QVERIFY(window.promptPanel()->grab().toImage().save(dir + QStringLiteral("/prompt_panel_qwenimage.png")));
        window.setModel(test::fixturePath(QStringLiteral("tiny-sdxl-diffusers")));
        QCOMPARE(window.promptPanel()->request().cfgScale, JobRequest().cfgScale);
        QCOMPARE(window.promptPanel()->request().steps, JobRequest().steps);
        QVERIFY(window.promptPanel()->findChild<QComboBox*>(QStringLiteral("samplerChoice"))->isEnabled());
        // What a grown-up saved for the model comes first.
        ModelDefaults own;
        own.cfgScale = 3.0;
        writeModelDefaults(settings, test::fixturePath(QStringLiteral("tiny-qwenimage")), own);
        window.setModel(test::fixturePath(QStringLiteral("tiny-qwenimage")));
        QCOMPARE(window.promptPanel()->request().cfgScale, 3.0);
        QCOMPARE(window.promptPanel()->request().steps, 30);
    }

    void theDialogBringsInADroppedModelAndKeepsItsDefaults() {
        QTemporaryDir root;
        QTemporaryDir settingsDir;
        QSettings settings(settingsDir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
        MainWindow window;
        window.setKidMode(false);
        int changes = 0;
        ModelManagerHooks hooks;
        hooks.settings = &settings;
        hooks.modelsFolder = [&root] { return root.path(); };
        hooks.modelsChanged = [&changes] { ++changes; };
        connectModelManager(window, hooks);
        window.resize(1100, 760);
        window.show();

        Q_EMIT window.manageModelsRequested();
        ModelManagerDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = window.findChild<ModelManagerDialog*>()) != nullptr);
        auto* list = dialog->findChild<QTreeWidget*>(QStringLiteral("modelList"));
        QVERIFY(list);
        const int listedBefore = list->topLevelItemCount();

        // A drop of two files: one model that loads, one that does not.
        QMimeData drop;
        drop.setUrls({QUrl::fromLocalFile(test::fixturePath(QStringLiteral("tiny-sdxl-diffusers"))),
                      QUrl::fromLocalFile(test::fixturePath(QStringLiteral("tiny-sd15-ldm.safetensors")))});
        const QStringList dropped = ModelManagerDialog::droppedModels(&drop);
        QCOMPARE(dropped.size(), 2);
        Q_EMIT dialog->importRequested(dropped);
        auto* message = dialog->findChild<QLabel*>(QStringLiteral("modelMessage"));
        QTRY_VERIFY_WITH_TIMEOUT(message->text().contains(QStringLiteral("is in your models now")), 60000);
        QVERIFY2(message->text().contains(QStringLiteral("was not brought in")), qPrintable(message->text()));
        QCOMPARE(changes, 1);
        QCOMPARE(list->topLevelItemCount(), listedBefore + 1);
        QCOMPARE(dialog->selectedPath(), root.filePath(QStringLiteral("tiny-sdxl-diffusers")));
        QCOMPARE(list->currentItem()->text(1), QStringLiteral("SDXL"));

        // Its own settings: kept, then applied when it is chosen.
        dialog->findChild<QComboBox*>(QStringLiteral("defaultSampler"))->setCurrentText(QStringLiteral("euler_a"));
        dialog->findChild<QDoubleSpinBox*>(QStringLiteral("defaultCfg"))->setValue(5.0);
        dialog->findChild<QSpinBox*>(QStringLiteral("defaultSteps"))->setValue(30);
        auto* size = dialog->findChild<QComboBox*>(QStringLiteral("defaultSize"));
        size->setCurrentIndex(size->findData(512));
        const QString dir = test::testOutputDir() + QStringLiteral("/screenshots");
        QDir().mkpath(dir);
        QVERIFY(dialog->grab().toImage().save(dir + QStringLiteral("/model_manager.png")));
        QTest::mouseClick(dialog->findChild<QPushButton*>(QStringLiteral("saveDefaults")), Qt::LeftButton);
        QTest::mouseClick(dialog->findChild<QPushButton*>(QStringLiteral("useModel")), Qt::LeftButton);
        QCOMPARE(window.model(), root.filePath(QStringLiteral("tiny-sdxl-diffusers")));
        const JobRequest job = window.promptPanel()->request();
        QCOMPARE(job.sampler, QStringLiteral("euler_a"));
        QCOMPARE(job.cfgScale, 5.0);
        QCOMPARE(job.steps, 30);
        QCOMPARE(job.width, 512);
        QCOMPARE(readModelDefaults(settings, window.model()).sampler, QStringLiteral("euler_a"));
    }
};

QTEST_MAIN(TestModelManager)
#include "tst_model_manager.moc"
