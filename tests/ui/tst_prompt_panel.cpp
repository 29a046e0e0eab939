// The prompt panel's helpers for people who do not write prompts: styles that add their words visibly, the
// counter that says when a prompt is read in parts, shapes that follow the model, several pictures at once,
// and settings restored from a kept picture. Also the settings form.
#include "ui/prompt_panel.h"
#include "ui/settings_dialog.h"
#include "ui/theme.h"

#include "common/fixtures.h"

#include <QtTest/QtTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QDoubleSpinBox>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPlainTextEdit>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QToolButton>

using namespace storybrush;

class TestPromptPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { applyTheme(*qApp); }

    void aStyleAddsItsWordsVisiblyAndOnlyOneAtATime() {
        PromptPanel panel;
        panel.resize(360, 800);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        panel.setPrompt(QStringLiteral("a bunny in a garden"));
        const auto chips = panel.findChildren<QToolButton*>(QStringLiteral("styleChip"));
        QVERIFY(chips.size() >= 5);
        QCOMPARE(panel.request().prompt, QStringLiteral("a bunny in a garden"));
        QTest::mouseClick(chips.at(0), Qt::LeftButton);  // watercolour
        const QString words = panel.styleWords();
        QVERIFY(words.contains(QStringLiteral("watercolor")));
        QCOMPARE(panel.request().prompt, QStringLiteral("a bunny in a garden, ") + words);
        auto* shown = panel.findChild<QLabel*>(QStringLiteral("styleWords"));
        QVERIFY(shown->isVisible() && shown->text().contains(words));
        QTest::mouseClick(chips.at(1), Qt::LeftButton);  // crayon replaces it
        QVERIFY(!chips.at(0)->isChecked());
        QVERIFY(panel.request().prompt.contains(QStringLiteral("crayon")));
        QVERIFY(!panel.request().prompt.contains(QStringLiteral("watercolor")));
        QTest::mouseClick(chips.at(1), Qt::LeftButton);  // and clicking it again takes it away
        QCOMPARE(panel.request().prompt, QStringLiteral("a bunny in a garden"));
        QVERIFY(!shown->isVisible());
        QTest::mouseClick(chips.at(2), Qt::LeftButton);
        QApplication::processEvents();
        const QString dir = test::testOutputDir() + QStringLiteral("/screenshots");
        QDir().mkpath(dir);
        QVERIFY(panel.grab().toImage().save(dir + QStringLiteral("/prompt_panel_style.png")));
    }

    void cardsBuildAPromptWithoutTyping() {
        PromptPanel panel;
        panel.resize(360, 900);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const auto cards = panel.findChildren<QToolButton*>(QStringLiteral("ideaCard"));
        const auto actions = panel.findChildren<QToolButton*>(QStringLiteral("actionChip"));
        const auto places = panel.findChildren<QToolButton*>(QStringLiteral("placeChip"));
        QVERIFY(cards.size() >= 6 && actions.size() >= 4 && places.size() >= 4);
        QVERIFY(!actions.at(0)->isEnabled());            // nothing to do things yet
        QTest::mouseClick(cards.at(1), Qt::LeftButton);  // penguin, in its usual place
        QCOMPARE(panel.prompt(), QStringLiteral("a happy penguin in the snow"));
        QVERIFY(actions.at(0)->isEnabled());
        QTest::mouseClick(actions.at(1), Qt::LeftButton);  // reading
        QCOMPARE(panel.prompt(), QStringLiteral("a happy penguin reading a book in the snow"));
        QTest::mouseClick(places.at(3), Qt::LeftButton);  // garden
        QCOMPARE(panel.prompt(), QStringLiteral("a happy penguin reading a book in a flower garden"));
        QTest::mouseClick(actions.at(2), Qt::LeftButton);  // a kite instead of the book
        QVERIFY(!actions.at(1)->isChecked());
        QCOMPARE(panel.prompt(), QStringLiteral("a happy penguin flying a kite in a flower garden"));
        QTest::mouseClick(cards.at(0), Qt::LeftButton);  // another animal keeps what was picked
        QCOMPARE(panel.prompt(), QStringLiteral("a cute little rabbit flying a kite in a flower garden"));
        QTest::mouseClick(actions.at(2), Qt::LeftButton);  // and a second tap takes a part away
        QCOMPARE(panel.prompt(), QStringLiteral("a cute little rabbit in a flower garden"));
        QApplication::processEvents();
        const QString dir = test::testOutputDir() + QStringLiteral("/screenshots");
        QDir().mkpath(dir);
        QVERIFY(panel.grab().toImage().save(dir + QStringLiteral("/prompt_panel_cards.png")));
        // Typing takes over: the cards stop rewriting the words.
        auto* edit = panel.findChild<QPlainTextEdit*>(QStringLiteral("promptEdit"));
        edit->moveCursor(QTextCursor::End);
        QTest::keyClicks(edit, QStringLiteral(" with a hat"));
        QVERIFY(!actions.at(0)->isEnabled());
        QTest::mouseClick(places.at(0), Qt::LeftButton);
        QVERIFY(panel.prompt().endsWith(QStringLiteral("with a hat")));
    }

    void counterSaysWhenThePromptIsReadInParts() {
        PromptPanel panel;
        panel.show();
        auto* counter = panel.findChild<QLabel*>(QStringLiteral("promptCounter"));
        QVERIFY(!counter->isVisible());  // no tokenizer given: no counter
        // A stand-in tokenizer: one token per word, 75 to a part.
        panel.setTokenCounter([](const QString& text) {
            const int words = int(text.split(QLatin1Char(' '), Qt::SkipEmptyParts).size());
            return std::make_pair(words, std::max(1, (words + 74) / 75));
        });
        panel.setPrompt(QStringLiteral("a frog on a lily pad"));
        QVERIFY(counter->isVisible());
        QCOMPARE(counter->text(), QStringLiteral("6/75"));
        QStringList many;
        for (int i = 0; i < 80; ++i) many << QStringLiteral("word");
        panel.setPrompt(many.join(QLatin1Char(' ')));
        QVERIFY2(counter->text().startsWith(QStringLiteral("80/150")) &&
                     counter->text().contains(QStringLiteral("2 parts")),
                 qPrintable(counter->text()));
        panel.setPrompt(QString());
        QVERIFY(!counter->isVisible());
    }

    void shapesFollowTheModelAndSeveralPicturesAtOnce() {
        PromptPanel panel;
        panel.setPrompt(QStringLiteral("a kite"));
        auto* shape = panel.findChildren<QComboBox*>().first();
        QCOMPARE(panel.request().aspectRatio, 1.0);
        QCOMPARE(panel.request().width, 0);  // the model decides the pixels
        shape->setCurrentIndex(1);
        QCOMPARE(panel.request().aspectRatio, 1.5);
        shape->setCurrentIndex(2);
        QVERIFY(qAbs(panel.request().aspectRatio - 2.0 / 3.0) < 1e-9);
        QCOMPARE(panel.request().batchSize, 1);
        panel.findChild<QSpinBox*>(QStringLiteral("batchSpin"))->setValue(4);
        QCOMPARE(panel.request().batchSize, 4);
    }

    void aStyleAddOnFromTheModelsFolder() {
        PromptPanel panel;
        panel.setPrompt(QStringLiteral("a bear"));
        auto* choice = panel.findChild<QComboBox*>(QStringLiteral("loraChoice"));
        QVERIFY(!choice->isEnabled());  // none found: nothing to choose
        QVERIFY(panel.request().loras.isEmpty());
        panel.setAvailableLoras({QStringLiteral("/models/loras/crayonStyle.safetensors")});
        QVERIFY(choice->isEnabled());
        choice->setCurrentIndex(1);
        QCOMPARE(choice->currentText(), QStringLiteral("crayonStyle"));
        const auto loras = panel.request().loras;
        QCOMPARE(loras.size(), 1);
        QCOMPARE(loras.at(0).first, QStringLiteral("/models/loras/crayonStyle.safetensors"));
        QCOMPARE(loras.at(0).second, 0.8);
        // Offering the list again keeps the choice.
        panel.setAvailableLoras(
            {QStringLiteral("/models/loras/aaa.safetensors"), QStringLiteral("/models/loras/crayonStyle.safetensors")});
        QCOMPARE(choice->currentText(), QStringLiteral("crayonStyle"));
    }

    void settingsOfAKeptPictureComeBack() {
        PromptPanel panel;
        JobRequest kept;
        kept.prompt = QStringLiteral("a penguin in the snow, watercolor painting");
        kept.negativePrompt = QStringLiteral("blurry");
        kept.steps = 30;
        kept.cfgScale = 6.0;
        kept.sampler = QStringLiteral("euler_a");
        kept.seed = 987654321;
        kept.randomSeed = false;
        kept.width = 768;
        kept.height = 512;
        panel.applySettings(kept);
        const JobRequest restored = panel.request();
        QCOMPARE(restored.prompt, kept.prompt);
        QCOMPARE(restored.negativePrompt, kept.negativePrompt);
        QCOMPARE(restored.steps, 30);
        QCOMPARE(restored.cfgScale, 6.0);
        QCOMPARE(restored.sampler, QStringLiteral("euler_a"));
        QCOMPARE(restored.seed, quint64(987654321));
        QVERIFY(!restored.randomSeed);
        QCOMPARE(restored.aspectRatio, 1.5);  // 768x512 is the wide shape
    }

    void settingsFormRoundTrips() {
        StudioSettings settings;
        settings.modelsFolder = QStringLiteral("/srv/ComfyUI");
        settings.device = QStringLiteral("cpu");
        settings.language = QStringLiteral("zh_CN");
        settings.previewsPerSecond = 2;
        settings.picturesFolder = QStringLiteral("/home/teacher/Pictures/class");
        SettingsDialog dialog(settings);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        StudioSettings back = dialog.settings();
        QCOMPARE(back.modelsFolder, settings.modelsFolder);
        QCOMPARE(back.device, settings.device);
        QCOMPARE(back.language, settings.language);
        QCOMPARE(back.previewsPerSecond, 2.0);
        QCOMPARE(back.picturesFolder, settings.picturesFolder);
        auto* device = dialog.findChild<QComboBox*>(QStringLiteral("deviceChoice"));
        device->setCurrentIndex(device->findData(QStringLiteral("cuda")));
        dialog.findChild<QDoubleSpinBox*>(QStringLiteral("previewRate"))->setValue(0);
        back = dialog.settings();
        QCOMPARE(back.device, QStringLiteral("cuda"));
        QCOMPARE(back.previewsPerSecond, 0.0);
        const QString dir = test::testOutputDir() + QStringLiteral("/screenshots");
        QDir().mkpath(dir);
        QApplication::processEvents();
        QVERIFY(dialog.grab().toImage().save(dir + QStringLiteral("/settings.png")));
    }
};

QTEST_MAIN(TestPromptPanel)
#include "tst_prompt_panel.moc"
