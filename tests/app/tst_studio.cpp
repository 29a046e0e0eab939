// The whole studio as a person meets it: the real window, the real engine thread and the built-in model. Type a
// prompt, press Draw, and a picture arrives on the canvas and in the gallery; the screenshot is saved for review.
#include "app/engine_thread.h"
#include "app/gallery_store.h"
#include "app/real_engine_backend.h"
#include "app/studio/studio.h"
#include "ui/bin_dialog.h"
#include "ui/canvas_tools.h"
#include "ui/canvas_view.h"
#include "ui/gallery_strip.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/theme.h"

#include "common/fixtures.h"
#include <storybrush/models.h>

#include <QtCore/QDir>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QListWidget>
#include <QtWidgets/QPushButton>

using namespace storybrush;

class TestStudio : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        if (builtinModelFolder().empty()) QSKIP("the built-in model (resources/models/builtin) is not installed");
        applyTheme(*qApp);
    }

    void drawingWithTheBuiltinModelShowsThePicture() {
        QTemporaryDir pictures;
        GalleryStore store(pictures.path());
        QVERIFY(store.open());
        EngineThread engineThread(std::make_unique<RealEngineBackend>());
        MainWindow window;
        connectStudio(window, *engineThread.worker(), &store);
        window.setModel(QStringLiteral("builtin"));
        window.resize(1280, 800);
        window.show();

        window.promptPanel()->setPrompt(QStringLiteral("a hot-air balloon in the sky"));
        auto* drawButton = window.findChild<QPushButton*>(QStringLiteral("primaryButton"));
        QVERIFY(drawButton);
        QTest::mouseClick(drawButton, Qt::LeftButton);
        // Finished when the one button reads Draw again.
        QTRY_VERIFY_WITH_TIMEOUT(drawButton->text() != QStringLiteral("Stop"), 120000);
        QTRY_VERIFY_WITH_TIMEOUT(!window.canvas()->picture().isNull(), 5000);
        QCOMPARE(window.canvas()->picture().size(), QSize(256, 256));
        QVERIFY(!window.canvas()->isShowingEmptyState());
        auto* gallery = window.findChild<QListWidget*>(QStringLiteral("galleryList"));
        QVERIFY(gallery);
        QCOMPARE(gallery->count(), 1);

        // Kept: the picture is in the store, and a studio opened later starts with it in its gallery.
        QTRY_COMPARE_WITH_TIMEOUT(store.list().size(), 1, 5000);
        QCOMPARE(store.list().at(0).prompt, QStringLiteral("a hot-air balloon in the sky"));
        QCOMPARE(window.gallery()->pictureFile(0), store.list().at(0).file);
        window.gallery()->setFavourite(0, true);
        QVERIFY(store.list().at(0).favourite);
        {
            MainWindow later;
            connectStudio(later, *engineThread.worker(), &store);
            QTRY_COMPARE(later.findChild<QListWidget*>(QStringLiteral("galleryList"))->count(),
                         1);  // arrives a moment later
            QCOMPARE(later.gallery()->pictureFile(0), store.list().at(0).file);
            QVERIFY(later.gallery()->isFavourite(0));
            QCOMPARE(later.gallery()->pictureAt(0).size(), QSize(256, 256));  // read from its file when needed
        }
        // The thumbnail's menu: save a copy (with its settings), use the words again, move to the bin.
        const QString copy = pictures.filePath(QStringLiteral("copy.png"));
        QVERIFY(window.gallery()->savePictureCopy(0, copy));
        QCOMPARE(QImage(copy).size(), QSize(256, 256));
        // "Use these settings again" brings back every setting of that picture, its seed kept.
        JobRequest other;
        other.prompt = QStringLiteral("something else");
        other.steps = 7;
        other.cfgScale = 3.0;
        other.sampler = QStringLiteral("euler");
        window.promptPanel()->applySettings(other);
        window.gallery()->reusePrompt(0);
        QCOMPARE(window.promptPanel()->prompt(), QStringLiteral("a hot-air balloon in the sky"));
        const JobRequest reused = window.promptPanel()->request();
        QCOMPARE(reused.steps, 25);
        QCOMPARE(reused.cfgScale, 7.5);
        QCOMPARE(reused.sampler, QStringLiteral("dpmpp2m_karras"));
        QVERIFY(!reused.randomSeed);
        QCOMPARE(reused.seed, store.list().at(0).seed);

        const QString dir = test::testOutputDir() + QStringLiteral("/screenshots");
        QDir().mkpath(dir);
        QApplication::processEvents();
        QVERIFY(window.grab().toImage().save(dir + QStringLiteral("/studio_builtin.png")));

        window.gallery()->trashPicture(0);
        QCOMPARE(window.gallery()->pictureCount(), 0);
        QCOMPARE(store.list().size(), 0);
        QCOMPARE(store.list({}, true).size(), 1);

        // The bin puts it back; emptying deletes only what is in the bin.
        QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("binButton")), Qt::LeftButton);
        auto* bin = window.findChild<BinDialog*>();
        QVERIFY(bin);
        QCOMPARE(bin->pictureCount(), 1);
        bin->select(0);
        QApplication::processEvents();
        QVERIFY(bin->grab().toImage().save(dir + QStringLiteral("/bin.png")));
        bin->restoreSelected();
        QCOMPARE(store.list().size(), 1);
        QCOMPARE(window.gallery()->pictureCount(), 1);
        QVERIFY(window.gallery()->isFavourite(0));
        bin->close();
        const QString file = store.list().at(0).file;
        window.gallery()->trashPicture(0);
        showBin(window, store);
        QTRY_VERIFY(window.findChildren<BinDialog*>().size() == 1);
        window.findChild<BinDialog*>()->emptyBin();
        QCOMPARE(store.list({}, true).size(), 0);
        QVERIFY(!QFile::exists(file));
    }

    void repaintingAPartAndExtendingThePage() {
        QTemporaryDir pictures;
        GalleryStore store(pictures.path());
        QVERIFY(store.open());
        EngineThread engineThread(std::make_unique<RealEngineBackend>());
        MainWindow window;
        connectStudio(window, *engineThread.worker(), &store);
        window.setModel(QStringLiteral("builtin"));
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        // A page to work on: sky over grass.
        QImage page(256, 256, QImage::Format_RGB32);
        page.fill(QColor(0xA8, 0xD8, 0xF0));
        for (int y = 170; y < 256; ++y) {
            for (int x = 0; x < 256; ++x) page.setPixel(x, y, qRgb(0x8C, 0xCB, 0x5E));
        }
        window.canvas()->setPicture(page);
        window.canvas()->setTool(CanvasTool::Brush);
        window.canvas()->setBrushSize(40);
        const QPoint at = window.canvas()->pictureToWidget({128, 150}).toPoint();
        QTest::mousePress(window.canvas(), Qt::LeftButton, Qt::NoModifier, at);
        QTest::mouseMove(window.canvas(), at + QPoint(20, 0));
        QTest::mouseRelease(window.canvas(), Qt::LeftButton, Qt::NoModifier, at + QPoint(20, 0));
        window.canvas()->extend(Qt::RightEdge, 64);
        window.promptPanel()->setPrompt(QStringLiteral("a frog on the grass"));
        auto* drawButton = window.findChild<QPushButton*>(QStringLiteral("primaryButton"));
        QTest::mouseClick(drawButton, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(drawButton->text() != QStringLiteral("Stop"), 120000);
        QTRY_COMPARE_WITH_TIMEOUT(window.canvas()->picture().size(), QSize(320, 256), 5000);
        const QImage result = window.canvas()->picture();
        // Far from the marks and the new strip, the page is exactly as it was.
        QCOMPARE(result.pixel(10, 10), page.pixel(10, 10));
        QCOMPARE(result.pixel(20, 240), page.pixel(20, 240));
        QVERIFY(!window.canvas()->hasRepaintWork());
        QTRY_COMPARE_WITH_TIMEOUT(store.list().size(), 1, 5000);
        QCOMPARE(store.list().at(0).size, QSize(320, 256));
    }
};

QTEST_MAIN(TestStudio)
#include "tst_studio.moc"
