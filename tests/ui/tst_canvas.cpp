// Marking what to repaint, as a person does it: brush strokes land on the right pixels at any zoom, the
// eraser takes paint away, undo/redo go stroke by stroke, the page can be made bigger, pictures can be
// dropped in, and the request sent to the engine carries the mask and the extension. Screenshots of
// marking and of the extension frame go to test-output/screenshots.
#include "ui/canvas_tools.h"
#include "ui/canvas_view.h"
#include "ui/language.h"
#include "ui/main_window.h"
#include "ui/mask_layer.h"
#include "ui/prompt_panel.h"
#include "ui/theme.h"

#include "common/fixtures.h"

#include <QtCore/QMimeData>
#include <QtCore/QTemporaryDir>
#include <QtCore/QUrl>
#include <QtGui/QPainter>
#include <QtTest/QSignalSpy>
#include <QtTest/QtTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QLabel>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QSlider>
#include <QtWidgets/QToolButton>

using namespace storybrush;

namespace {

QImage samplePicture(int width = 512, int height = 384) {
    QImage image(width, height, QImage::Format_RGB32);
    QPainter painter(&image);
    painter.fillRect(image.rect(), QColor(0xA8, 0xD8, 0xF0));
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(0x8C, 0xCB, 0x5E));
    painter.drawRect(0, height * 2 / 3, width, height / 3);
    painter.setBrush(QColor(0xFF, 0xD1, 0x4A));
    painter.drawEllipse(QPoint(width * 3 / 4, height / 4), height / 8, height / 8);
    painter.setBrush(QColor(0xF4, 0xF4, 0xF4));
    painter.drawEllipse(QPoint(width / 3, height * 2 / 3), width / 8, height / 6);  // a bunny-ish blob
    return image;
}

int maskAt(const QImage& mask, const QPointF& point) { return qGray(mask.pixel(point.toPoint())); }

QString saveScreenshot(QWidget& window, const QString& name) {
    const QString dir = test::testOutputDir() + QStringLiteral("/screenshots");
    QDir().mkpath(dir);
    const QString path = dir + QLatin1Char('/') + name + QStringLiteral(".png");
    QApplication::processEvents();
    return window.grab().toImage().save(path) ? path : QString();
}

void stroke(QWidget* widget, const QList<QPoint>& points) {
    QTest::mousePress(widget, Qt::LeftButton, Qt::NoModifier, points.first());
    for (const QPoint& point : points.mid(1)) QTest::mouseMove(widget, point);
    QTest::mouseRelease(widget, Qt::LeftButton, Qt::NoModifier, points.last());
}

}  // namespace

class TestCanvas : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { applyTheme(*qApp); }

    void hardBrushPaintsAGaplessLine() {
        MaskLayer layer;
        layer.reset(QSize(200, 100));
        QVERIFY(layer.isEmpty());
        layer.setBrush(10, 1.0);
        layer.beginStroke({20, 50}, false);
        layer.continueStroke({180, 50});  // one fast movement: dabs are spaced along it
        layer.endStroke();
        for (int x = 20; x <= 180; ++x) QCOMPARE(qGray(layer.mask().pixel(x, 50)), 255);
        QCOMPARE(qGray(layer.mask().pixel(100, 40)), 0);  // beyond the radius
        QCOMPARE(qGray(layer.mask().pixel(10, 50)), 0);
        QVERIFY(!layer.isEmpty());
    }

    void softBrushFadesAndNeverBuildsUp() {
        MaskLayer layer;
        layer.reset(QSize(100, 100));
        layer.setBrush(40, 0.0);
        layer.beginStroke({50, 50}, false);
        for (int i = 0; i < 20; ++i) layer.continueStroke({50.0 + (i % 2), 50});  // scrubbing on one spot
        layer.endStroke();
        const int centre = qGray(layer.mask().pixel(50, 50));
        const int edge = qGray(layer.mask().pixel(50 + 15, 50));
        QVERIFY(centre >= 250);
        QVERIFY2(edge > 0 && edge < 128, qPrintable(QString::number(edge)));
    }

    void eraserUndoAndRedoGoStrokeByStroke() {
        MaskLayer layer;
        layer.reset(QSize(120, 120));
        layer.setBrush(20, 1.0);
        layer.beginStroke({30, 30}, false);
        layer.continueStroke({90, 30});
        layer.endStroke();
        const QImage painted = layer.mask().copy();
        layer.beginStroke({60, 30}, true);
        layer.endStroke();
        QCOMPARE(qGray(layer.mask().pixel(60, 30)), 0);
        QCOMPARE(qGray(layer.mask().pixel(35, 30)), 255);
        QVERIFY(layer.canUndo());
        layer.undo();
        QCOMPARE(layer.mask(), painted);
        layer.undo();
        QVERIFY(layer.isEmpty());
        QVERIFY(!layer.canUndo());
        layer.redo();
        QCOMPARE(layer.mask(), painted);
        // A new edit after undo drops what could be redone.
        layer.invert();
        QVERIFY(!layer.canRedo());
        QCOMPARE(qGray(layer.mask().pixel(35, 30)), 0);
        QCOMPARE(qGray(layer.mask().pixel(5, 100)), 255);
        layer.fill();
        QCOMPARE(qGray(layer.mask().pixel(35, 30)), 255);
        layer.clear();
        QVERIFY(layer.isEmpty());
        layer.undo();
        QCOMPARE(qGray(layer.mask().pixel(0, 0)), 255);
    }

    void brushLandsOnTheRightPixelsAtAnyZoom() {
        CanvasView canvas;
        canvas.resize(800, 600);
        canvas.show();
        QVERIFY(QTest::qWaitForWindowExposed(&canvas));
        canvas.setPicture(samplePicture());
        canvas.setTool(CanvasTool::Brush);
        canvas.setBrushSize(8);
        canvas.setBrushSoftness(0);
        QSignalSpy changed(&canvas, &CanvasView::maskChanged);

        const QPoint a = canvas.pictureToWidget({100, 100}).toPoint();
        const QPoint b = canvas.pictureToWidget({200, 100}).toPoint();
        stroke(&canvas, {a, b});
        QVERIFY(changed.count() >= 1);
        QVERIFY(canvas.hasRepaintWork());
        QCOMPARE(maskAt(canvas.mask(), canvas.widgetToPicture(a)), 255);
        QCOMPARE(maskAt(canvas.mask(), canvas.widgetToPicture((a + b) / 2)), 255);
        QCOMPARE(maskAt(canvas.mask(), {150, 140}), 0);

        // Zoom in three notches about a point: the picture pixel under the pointer stays under it.
        const QPointF pointer(300, 250);
        const QPointF before = canvas.widgetToPicture(pointer);
        const double zoom = canvas.zoom();
        QWheelEvent wheel(pointer, canvas.mapToGlobal(pointer), QPoint(), QPoint(0, 360), Qt::NoButton, Qt::NoModifier,
                          Qt::NoScrollPhase, false);
        QApplication::sendEvent(&canvas, &wheel);
        QVERIFY(qAbs(canvas.zoom() - zoom * 1.25 * 1.25 * 1.25) < 1e-6);
        const QPointF after = canvas.widgetToPicture(pointer);
        QVERIFY(qAbs(after.x() - before.x()) < 1e-6 && qAbs(after.y() - before.y()) < 1e-6);

        // Painting after the zoom hits the picture pixel under the pointer.
        const QPointF target = canvas.widgetToPicture(pointer);
        QCOMPARE(maskAt(canvas.mask(), target), 0);
        stroke(&canvas, {pointer.toPoint()});
        QCOMPARE(maskAt(canvas.mask(), target), 255);

        // The eraser takes it away again; undo brings it back.
        canvas.setTool(CanvasTool::Eraser);
        stroke(&canvas, {pointer.toPoint()});
        QCOMPARE(maskAt(canvas.mask(), target), 0);
        canvas.undo();
        QCOMPARE(maskAt(canvas.mask(), target), 255);

        // In Look mode a drag moves the picture and paints nothing.
        canvas.setTool(CanvasTool::Look);
        const QImage painted = canvas.mask();
        const QPointF origin = canvas.pictureToWidget({0, 0});
        stroke(&canvas, {QPoint(400, 300), QPoint(450, 320)});
        QCOMPARE(canvas.mask(), painted);
        QCOMPARE(canvas.pictureToWidget({0, 0}), origin + QPointF(50, 20));

        // A new picture starts clean.
        canvas.setPicture(samplePicture(256, 256));
        QVERIFY(canvas.mask().isNull());
        QVERIFY(!canvas.hasRepaintWork());
    }

    void toolsAppearWhenMarkingStarts() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        CanvasTools* tools = window.canvasTools();
        QVERIFY(!tools->isVisible());  // no picture yet: a calm screen
        window.canvas()->setPicture(samplePicture());
        QVERIFY(tools->isVisible());
        QVERIFY(!tools->brushToolsShown());
        QTest::keyClick(&window, Qt::Key_B);
        QCOMPARE(window.canvas()->tool(), CanvasTool::Brush);
        QVERIFY(tools->brushToolsShown());
        QTest::keyClick(&window, Qt::Key_E);
        QCOMPARE(window.canvas()->tool(), CanvasTool::Eraser);
        // [ and ] change the brush size, and the slider follows.
        window.canvas()->setFocus();
        const int size = window.canvas()->brushSize();
        QTest::keyClick(window.canvas(), Qt::Key_BracketRight);
        QVERIFY(window.canvas()->brushSize() > size);
        QCOMPARE(tools->sizeSlider()->value(), window.canvas()->brushSize());
        // Ctrl+Z / Ctrl+Shift+Z reach the mask from anywhere in the window.
        window.canvas()->setTool(CanvasTool::Brush);
        const QPoint at = window.canvas()->pictureToWidget({256, 192}).toPoint();
        stroke(window.canvas(), {at, at + QPoint(30, 0)});
        QVERIFY(!window.canvas()->mask().isNull());
        QTest::keyClick(&window, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(window.canvas()->mask().isNull());
        QTest::keyClick(&window, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(!window.canvas()->mask().isNull());
    }

    void repaintRequestCarriesTheMaskAndTheExtension() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy requests(&window, &MainWindow::drawRequested);
        window.canvas()->setPicture(samplePicture());
        window.promptPanel()->setPrompt(QStringLiteral("a bunny wearing a straw hat"));
        window.canvas()->setTool(CanvasTool::Brush);
        window.canvas()->setBrushSize(60);
        const QPoint a = window.canvas()->pictureToWidget({150, 230}).toPoint();
        stroke(window.canvas(), {a, a + QPoint(40, 10), a + QPoint(70, -10)});
        window.canvas()->extend(Qt::RightEdge, 128);
        window.canvas()->extend(Qt::LeftEdge, 128);
        QCOMPARE(window.canvas()->margins(), (CanvasMargins{128, 0, 128, 0}));
        QVERIFY(!saveScreenshot(window, QStringLiteral("canvas_marking_and_extending")).isEmpty());

        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("primaryButton")), Qt::LeftButton);
        QCOMPARE(requests.count(), 1);
        const auto request = requests.at(0).at(0).value<JobRequest>();
        QCOMPARE(request.initImage.size(), QSize(512, 384));
        QCOMPARE(request.mask.size(), QSize(512, 384));
        QCOMPARE(qGray(request.mask.pixel(150, 230)), 255);
        QCOMPARE(qGray(request.mask.pixel(450, 50)), 0);
        QCOMPARE(request.outpaintLeft, 128);
        QCOMPARE(request.outpaintRight, 128);
        QCOMPARE(request.strength, 1.0);

        // The finished picture replaces the page, clean, ready for the next idea.
        JobResult result;
        JobImage image;
        image.image = samplePicture(768, 384);
        result.images.append(image);
        window.jobFinished(1, result);
        QCOMPARE(window.canvas()->picture().size(), QSize(768, 384));
        QVERIFY(!window.canvas()->hasRepaintWork());
        // Without marks the next drawing is a new picture.
        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("primaryButton")), Qt::LeftButton);
        QVERIFY(requests.last().at(0).value<JobRequest>().initImage.isNull());
    }

    void picturesCanBeDroppedIn() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("page.png"));
        QVERIFY(samplePicture(300, 200).save(path));
        CanvasView canvas;
        canvas.resize(640, 480);
        canvas.show();
        QVERIFY(QTest::qWaitForWindowExposed(&canvas));
        QSignalSpy dropped(&canvas, &CanvasView::pictureDropped);
        QMimeData data;
        data.setUrls({QUrl::fromLocalFile(path)});
        QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&canvas, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&canvas, &drop);
        QCOMPARE(dropped.count(), 1);
        QCOMPARE(canvas.picture().size(), QSize(300, 200));
        // A file that is not a picture is not taken.
        const QString text = dir.filePath(QStringLiteral("notes.txt"));
        QFile file(text);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("hello");
        file.close();
        QMimeData other;
        other.setUrls({QUrl::fromLocalFile(text)});
        QDragEnterEvent refuse(QPoint(100, 100), Qt::CopyAction, &other, Qt::LeftButton, Qt::NoModifier);
        refuse.setAccepted(false);
        QApplication::sendEvent(&canvas, &refuse);
        QVERIFY(!refuse.isAccepted());
    }

    void chineseToolsAreAllTranslated() {
        QCOMPARE(installLanguage(*qApp, QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
        {
            MainWindow window;
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.canvas()->setPicture(samplePicture());
            window.canvas()->setTool(CanvasTool::Brush);
            window.canvas()->extend(Qt::BottomEdge, 128);
            const QPoint at = window.canvas()->pictureToWidget({300, 200}).toPoint();
            stroke(window.canvas(), {at, at + QPoint(60, 20)});
            const QRegularExpression english(QStringLiteral("[A-Za-z]{2,}"));
            for (auto* button : window.canvasTools()->findChildren<QAbstractButton*>()) {
                if (button->isVisibleTo(window.canvasTools())) {
                    QVERIFY2(!english.match(button->text()).hasMatch(), qPrintable(button->text()));
                }
            }
            for (auto* label : window.canvasTools()->findChildren<QLabel*>()) {
                if (label->isVisibleTo(window.canvasTools())) {
                    QVERIFY2(!english.match(label->text()).hasMatch(), qPrintable(label->text()));
                }
            }
            QVERIFY(!saveScreenshot(window, QStringLiteral("canvas_marking_chinese")).isEmpty());
        }
        QCOMPARE(installLanguage(*qApp, QStringLiteral("en")), QStringLiteral("en"));
    }

    void bigPicturesStayResponsive() {
        // A 4K page: one stroke across it touches only the brush's squares (this checks it completes and is right,
        // the speed is for the person to feel).
        MaskLayer layer;
        layer.reset(QSize(3840, 2160));
        layer.setBrush(120, 0.5);
        layer.beginStroke({100, 1000}, false);
        for (int x = 100; x <= 3700; x += 37) layer.continueStroke({double(x), 1000 + (x % 200)});
        layer.endStroke();
        QCOMPARE(qGray(layer.mask().pixel(1998, 1000 + (1998 % 200))), 255);
        layer.undo();
        QVERIFY(layer.isEmpty());
    }
};

QTEST_MAIN(TestCanvas)
#include "tst_canvas.moc"
