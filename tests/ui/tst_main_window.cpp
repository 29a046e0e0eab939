// The studio window: it shows, reacts to the job lifecycle as a person would expect, and each main
// state is saved as a screenshot (test-output/screenshots/) for review.
#include "ui/canvas_view.h"
#include "ui/gallery_strip.h"
#include "ui/language.h"
#include "ui/main_window.h"
#include "ui/model_manager_dialog.h"
#include "ui/progress_strip.h"
#include "ui/prompt_panel.h"
#include "ui/theme.h"

#include "common/fixtures.h"

#include <QtGui/QAction>
#include <QtGui/QPainter>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QGroupBox>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QMenu>
#include <QtWidgets/QPlainTextEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QToolButton>
#include <QtWidgets/QTreeWidget>

using namespace storybrush;

class TestMainWindow : public QObject {
    Q_OBJECT

private:
    static QImage samplePicture() {
        // A stand-in picture: sky, sun and grass, so the screenshot shows how a result sits on the canvas.
        QImage image(512, 512, QImage::Format_RGB32);
        QPainter painter(&image);
        painter.fillRect(image.rect(), QColor(0xA8, 0xD8, 0xF0));
        painter.setBrush(QColor(0x8C, 0xCB, 0x5E));
        painter.setPen(Qt::NoPen);
        painter.drawRect(0, 360, 512, 152);
        painter.setBrush(QColor(0xFF, 0xD1, 0x4A));
        painter.drawEllipse(QPoint(400, 110), 50, 50);
        return image;
    }

    static QString saveScreenshot(QWidget& window, const QString& name) {
        const QString dir = test::testOutputDir() + QStringLiteral("/screenshots");
        QDir().mkpath(dir);
        const QString path = dir + QLatin1Char('/') + name + QStringLiteral(".png");
        QApplication::processEvents();  // let pending layout requests settle before the grab
        const QImage shot = window.grab().toImage();
        if (!shot.save(path)) return {};
        return path;
    }

    static QWidget* findByObjectName(QWidget& root, const QString& name) { return root.findChild<QWidget*>(name); }

private Q_SLOTS:
    void initTestCase() { applyTheme(*qApp); }

    void showsTheCalmEmptyState() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.canvas()->isShowingEmptyState());
        QCOMPARE(window.gallery()->pictureCount(), 0);
        QCOMPARE(window.progressStrip()->statusText(), QStringLiteral("Ready"));
        auto* advanced = findByObjectName(window, QStringLiteral("negativeEdit"));
        QVERIFY(advanced && !advanced->isVisible());  // parameters stay folded away
        window.promptPanel()->setKidModeNegative(QStringLiteral("scary things"));
        auto* toggle = window.findChild<QToolButton*>(QStringLiteral("advancedToggle"));
        QTest::mouseClick(toggle, Qt::LeftButton);
        auto* kidWords = window.findChild<QLabel*>(QStringLiteral("kidNegative"));
        QVERIFY(kidWords && kidWords->isVisible() && kidWords->text().contains(QStringLiteral("scary things")));
        QVERIFY(!saveScreenshot(window, QStringLiteral("main_window_advanced")).isEmpty());
        QTest::mouseClick(toggle, Qt::LeftButton);
        QVERIFY(!saveScreenshot(window, QStringLiteral("main_window_empty")).isEmpty());
    }

    void ideaCardFillsThePromptAndDrawSendsIt() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy draw(&window, &MainWindow::drawRequested);
        const auto cards = window.findChildren<QToolButton*>(QStringLiteral("ideaCard"));
        QVERIFY(cards.size() >= 3);
        QTest::mouseClick(cards.at(1), Qt::LeftButton);
        QVERIFY(window.promptPanel()->prompt().contains(QStringLiteral("penguin")));
        auto* drawButton = window.findChild<QPushButton*>(QStringLiteral("primaryButton"));
        QVERIFY(drawButton);
        QTest::mouseClick(drawButton, Qt::LeftButton);
        QCOMPARE(draw.count(), 1);
        const auto request = draw.at(0).at(0).value<JobRequest>();
        QVERIFY(request.prompt.contains(QStringLiteral("penguin")));
        QVERIFY(request.kidMode);
        QCOMPARE(drawButton->text(), QStringLiteral("Stop"));  // the one button becomes Stop while drawing
        QSignalSpy stop(&window, &MainWindow::stopRequested);
        QTest::mouseClick(drawButton, Qt::LeftButton);
        QCOMPARE(stop.count(), 1);
    }

    void chosenModelGoesIntoTheRequest() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy changed(&window, &MainWindow::modelChanged);
        window.setModel(QStringLiteral("/models/checkpoints/cartoonBook_v2.safetensors"));
        QCOMPARE(changed.count(), 1);
        auto* button = window.findChild<QToolButton*>(QStringLiteral("modelLabel"));
        QVERIFY(button->text().contains(QStringLiteral("cartoonBook_v2")));
        QSignalSpy draw(&window, &MainWindow::drawRequested);
        window.promptPanel()->setPrompt(QStringLiteral("a kite"));
        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("primaryButton")), Qt::LeftButton);
        QCOMPARE(draw.at(0).at(0).value<JobRequest>().model,
                 QStringLiteral("/models/checkpoints/cartoonBook_v2.safetensors"));
        window.setModel(QString());
        QCOMPARE(window.model(), QStringLiteral("builtin"));

        // Models an installer brought along are offered by name, and choosing one uses it.
        window.setInstalledModels({QStringLiteral("/opt/storybrush/share/storybrush/models/schoolBook.safetensors")});
        window.setInstalledModels(
            {QStringLiteral("/opt/storybrush/share/storybrush/models/schoolBook.safetensors")});  // no duplicates
        QAction* offered = nullptr;
        int named = 0;
        for (QAction* action : button->menu()->actions()) {
            if (action->text() == QStringLiteral("schoolBook")) offered = action, ++named;
        }
        QVERIFY(offered);
        QCOMPARE(named, 1);
        offered->trigger();
        QCOMPARE(window.model(), QStringLiteral("/opt/storybrush/share/storybrush/models/schoolBook.safetensors"));
    }

    void exampleCardOnTheCanvasFillsThePrompt() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const auto examples = window.canvas()->findChildren<QPushButton*>(QStringLiteral("exampleCard"));
        QCOMPARE(examples.size(), 3);
        QTest::mouseClick(examples.at(0), Qt::LeftButton);
        QCOMPARE(window.promptPanel()->prompt(), examples.at(0)->property("prompt").toString());
        QVERIFY(!window.promptPanel()->prompt().isEmpty());
    }

    void emptyPromptAsksKindlyInsteadOfDrawing() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy draw(&window, &MainWindow::drawRequested);
        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("primaryButton")), Qt::LeftButton);
        QCOMPARE(draw.count(), 0);
        QVERIFY(window.canvas()->message().contains(QStringLiteral("what to draw")));
    }

    void progressAndPreviewWhileDrawingThenTheResult() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.promptPanel()->setPrompt(QStringLiteral("a smiling baby dolphin playing with a ball"));
        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("primaryButton")), Qt::LeftButton);
        window.jobStarted(1);
        JobProgress progress;
        progress.step = 12;
        progress.totalSteps = 25;
        progress.secondsLeft = 3.2;
        progress.preview = samplePicture();
        window.jobProgress(1, progress);
        QCOMPARE(window.progressStrip()->value(), 12);
        QCOMPARE(window.progressStrip()->maximum(), 25);
        QVERIFY(window.progressStrip()->statusText().contains(QStringLiteral("Step 12 of 25")));
        QVERIFY(window.progressStrip()->statusText().contains(QStringLiteral("4 seconds left")));
        QVERIFY(!window.canvas()->isShowingEmptyState());
        QVERIFY(!saveScreenshot(window, QStringLiteral("main_window_generating")).isEmpty());
        // On a small card the model's layers stream in during each step: the bar moves within the step.
        progress.layersArrived = 30;
        progress.layersTotal = 60;
        progress.preview = QImage();
        window.jobProgress(1, progress);
        QCOMPARE(window.progressStrip()->maximum(), 25 * 60);
        QCOMPARE(window.progressStrip()->value(), 12 * 60 + 30);
        QVERIFY2(window.progressStrip()->statusText().contains(QStringLiteral("model layers 30 of 60")),
                 qPrintable(window.progressStrip()->statusText()));
        QVERIFY(!saveScreenshot(window, QStringLiteral("main_window_streaming_layers")).isEmpty());
        progress.layersArrived = progress.layersTotal = 0;

        JobResult result;
        JobImage image;
        image.image = samplePicture();
        image.seed = 4242;
        result.images.append(image);
        result.seconds = 2.4;
        window.jobFinished(1, result);
        QCOMPARE(window.gallery()->pictureCount(), 1);
        QCOMPARE(window.canvas()->picture().size(), QSize(512, 512));
        QVERIFY(window.progressStrip()->statusText().contains(QStringLiteral("2.4")));
        QCOMPARE(window.findChild<QPushButton*>(QStringLiteral("primaryButton"))->text(), QStringLiteral("Draw it!"));
        QCOMPARE(window.promptPanel()->request().seed, quint64(4242));
        QVERIFY(!saveScreenshot(window, QStringLiteral("main_window_result")).isEmpty());
    }

    void kidModePreviewIsSoftened() {
        CanvasView canvas;
        canvas.resize(400, 400);
        QImage sharp(64, 64, QImage::Format_RGB32);
        for (int y = 0; y < 64; ++y) {
            for (int x = 0; x < 64; ++x)
                sharp.setPixel(x, y, ((x / 2 + y / 2) % 2) ? qRgb(255, 255, 255) : qRgb(0, 0, 0));
        }
        canvas.setPreview(sharp, true);
        const QImage shown = canvas.grab().toImage();
        // A fine checkerboard blurred to grey: no pixel in the middle of the page is near black or white.
        const QRgb centre = shown.pixel(shown.width() / 2, shown.height() / 2);
        QVERIFY2(qGray(centre) > 40 && qGray(centre) < 215, qPrintable(QString::number(qGray(centre))));
    }

    void failureShowsTheMessageAndReadiesTheButton() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.promptPanel()->setPrompt(QStringLiteral("一只穿红色背带裤的小兔子"));
        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("primaryButton")), Qt::LeftButton);
        window.jobStarted(7);
        window.jobFailed(7, QStringLiteral("The model dreamy.safetensors is damaged: its header ends past the file."));
        QVERIFY(window.canvas()->message().contains(QStringLiteral("dreamy.safetensors")));
        QCOMPARE(window.findChild<QPushButton*>(QStringLiteral("primaryButton"))->text(), QStringLiteral("Draw it!"));
        QVERIFY(!saveScreenshot(window, QStringLiteral("main_window_error")).isEmpty());
    }

    void speaksChineseWhenAskedTo() {
        QCOMPARE(installLanguage(*qApp, QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
        {
            MainWindow window;
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            QCOMPARE(window.findChild<QPushButton*>(QStringLiteral("primaryButton"))->text(), QStringLiteral("画吧！"));
            const auto cards = window.findChildren<QToolButton*>(QStringLiteral("ideaCard"));
            QTest::mouseClick(cards.at(0), Qt::LeftButton);
            QVERIFY(window.promptPanel()->prompt().contains(QStringLiteral("兔子")));
            QVERIFY(!saveScreenshot(window, QStringLiteral("main_window_chinese")).isEmpty());
        }
        QCOMPARE(installLanguage(*qApp, QStringLiteral("en")), QStringLiteral("en"));
        MainWindow english;
        QCOMPARE(english.findChild<QPushButton*>(QStringLiteral("primaryButton"))->text(), QStringLiteral("Draw it!"));
    }

    void chineseWindowHasNoEnglishLeft() {
        QCOMPARE(installLanguage(*qApp, QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
        QStringList english;
        {
            MainWindow window;
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.canvas()->setPicture(samplePicture());  // the canvas tools show
            window.canvas()->setTool(CanvasTool::Brush);
            window.findChild<QToolButton*>(QStringLiteral("advancedToggle"))->click();
            window.findChildren<QToolButton*>(QStringLiteral("ideaCard")).at(0)->click();
            QApplication::processEvents();
            // Words the person reads: labels, buttons, placeholders, tooltips. Allowed: the product's name and
            // the model keywords a style adds (models read English; they are shown so nothing is hidden).
            const QRegularExpression word(QStringLiteral("[A-Za-z]{2,}"));
            const auto check = [&](const QString& where, const QString& text) {
                QString rest = text;
                rest.remove(QStringLiteral("Storybrush"))
                    .remove(QStringLiteral("Ctrl"))
                    .remove(QStringLiteral("Shift"))
                    .remove(QStringLiteral("Esc"))
                    .remove(QStringLiteral("Enter"))
                    .remove(QStringLiteral("NVIDIA"))
                    .remove(QStringLiteral("ComfyUI"))
                    .remove(QStringLiteral("A1111"))
                    .remove(QStringLiteral("safetensors"))
                    .remove(QStringLiteral("LoRA"));
                if (word.match(rest).hasMatch()) english << where + QStringLiteral(": ") + text;
            };
            for (QWidget* widget : window.findChildren<QWidget*>()) {
                if (!widget->isVisibleTo(&window) || widget->objectName() == QStringLiteral("styleWords")) continue;
                const QString name =
                    QString::fromLatin1(widget->metaObject()->className()) + QLatin1Char('#') + widget->objectName();
                if (auto* label = qobject_cast<QLabel*>(widget)) check(name, label->text());
                if (auto* button = qobject_cast<QAbstractButton*>(widget)) check(name, button->text());
                if (auto* edit = qobject_cast<QPlainTextEdit*>(widget)) check(name, edit->placeholderText());
                if (auto* line = qobject_cast<QLineEdit*>(widget)) check(name, line->placeholderText());
                if (widget->objectName() != QStringLiteral("styleChip"))
                    check(name + QStringLiteral(" tooltip"), widget->toolTip());
            }
            QVERIFY(!saveScreenshot(window, QStringLiteral("main_window_chinese_full")).isEmpty());
        }
        QCOMPARE(installLanguage(*qApp, QStringLiteral("en")), QStringLiteral("en"));
        QVERIFY2(english.isEmpty(), qPrintable(english.join(QLatin1Char('\n'))));
    }

    void chineseModelManagerHasNoEnglishLeft() {
        QCOMPARE(installLanguage(*qApp, QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
        QStringList english;
        {
            ModelManagerDialog dialog;
            ModelEntry xl{QStringLiteral("/models/cartoon-xl.safetensors"),
                          QStringLiteral("cartoon-xl"),
                          QStringLiteral("SDXL"),
                          6'900'000'000,
                          false,
                          1024,
                          QString()};
            ModelEntry broken{QStringLiteral("/models/old.safetensors"),
                              QStringLiteral("old"),
                              QString(),
                              2'000'000'000,
                              false,
                              0,
                              QStringLiteral("model /models/old.safetensors: the file is cut short")};
            dialog.setModels({xl, broken}, xl.path);
            dialog.showOutcomes({QCoreApplication::translate("storybrush::ModelCatalog", "%1 is in your models now.")
                                     .arg(QStringLiteral("cartoon-xl.safetensors"))},
                                {});
            dialog.show();
            QVERIFY(QTest::qWaitForWindowExposed(&dialog));
            const QRegularExpression word(QStringLiteral("[A-Za-z]{2,}"));
            const auto check = [&](const QString& where, QString text) {
                text.remove(QStringLiteral("Storybrush"))
                    .remove(QStringLiteral("GB"))
                    .remove(QStringLiteral("MB"))
                    .remove(QStringLiteral("SDXL"))
                    .remove(QStringLiteral("safetensors"))
                    .remove(QStringLiteral("diffusers"))
                    .remove(QStringLiteral("cartoon"))
                    .remove(QStringLiteral("xl"))
                    .remove(QStringLiteral("span"))
                    .remove(QStringLiteral("style"))
                    .remove(QStringLiteral("color"));
                if (word.match(text).hasMatch()) english << where + QStringLiteral(": ") + text;
            };
            for (QWidget* widget : dialog.findChildren<QWidget*>()) {
                if (!widget->isVisibleTo(&dialog)) continue;
                const QString name =
                    QString::fromLatin1(widget->metaObject()->className()) + QLatin1Char('#') + widget->objectName();
                if (auto* label = qobject_cast<QLabel*>(widget)) check(name, label->text());
                if (auto* button = qobject_cast<QAbstractButton*>(widget)) check(name, button->text());
                if (auto* box = qobject_cast<QGroupBox*>(widget)) check(name, box->title());
                if (auto* combo = qobject_cast<QComboBox*>(widget);
                    combo && combo->objectName() != QStringLiteral("defaultSampler"))
                    check(name, combo->currentText());  // sampler names are docs/cli.md's, the same in every language
            }
            auto* list = dialog.findChild<QTreeWidget*>(QStringLiteral("modelList"));
            for (int column = 0; column < list->columnCount(); ++column) {
                check(QStringLiteral("header"), list->headerItem()->text(column));
                check(QStringLiteral("row"), list->topLevelItem(0)->text(column));
            }
            QVERIFY(!saveScreenshot(dialog, QStringLiteral("model_manager_chinese")).isEmpty());
        }
        QCOMPARE(installLanguage(*qApp, QStringLiteral("en")), QStringLiteral("en"));
        QVERIFY2(english.isEmpty(), qPrintable(english.join(QLatin1Char('\n'))));
    }

    void blockedPromptGetsAKindMessage() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.promptPanel()->setPrompt(QStringLiteral("something not for children"));
        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("primaryButton")), Qt::LeftButton);
        JobResult result;
        result.promptBlocked = true;
        result.blockedCategory = QStringLiteral("violence");
        window.jobFinished(5, result);
        QVERIFY(window.canvas()->message().startsWith(QStringLiteral("Let's try another idea!")));
        QCOMPARE(window.gallery()->pictureCount(), 0);
        QCOMPARE(window.findChild<QPushButton*>(QStringLiteral("primaryButton"))->text(), QStringLiteral("Draw it!"));
        QVERIFY(!saveScreenshot(window, QStringLiteral("main_window_blocked_prompt")).isEmpty());
    }

    void heldBackPictureIsNeverShown() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.promptPanel()->setPrompt(QStringLiteral("a dragon"));
        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("primaryButton")), Qt::LeftButton);
        JobResult result;
        JobImage held;
        held.blocked = true;
        result.images.append(held);
        result.childMessage = QStringLiteral("Let's try another idea!");
        window.jobFinished(3, result);
        QCOMPARE(window.gallery()->pictureCount(), 0);
        QVERIFY(window.canvas()->picture().isNull());
        QCOMPARE(window.canvas()->message(), QStringLiteral("Let's try another idea!"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
