// The gallery keeps what people made: PNGs with A1111 parameters, an index that lists, searches, trashes and
// restores them, and that is rebuilt from the PNGs when it is lost or corrupt. A folder that cannot be written
// gives a message and loses nothing already kept.
#include "app/gallery_store.h"
#include <storybrush/image_io.h>

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtGui/QImageReader>
#include <QtGui/QPainter>
#include <QtTest/QtTest>

using namespace storybrush;

namespace {

QImage picture(QColor colour) {
    QImage image(96, 64, QImage::Format_RGB888);
    image.fill(colour);
    QPainter painter(&image);
    painter.setBrush(Qt::yellow);
    painter.drawEllipse(QPoint(30, 30), 12, 12);
    return image;
}

QString parameters(const QString& prompt, quint64 seed) {
    return prompt +
           QStringLiteral(
               "\nNegative prompt: scary, dark\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: ") +
           QString::number(seed) + QStringLiteral(", Size: 96x64, Model: builtin");
}

}  // namespace

class TestGalleryStore : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void addWritesThePngWithItsParametersAndListsIt() {
        QTemporaryDir dir;
        GalleryStore store(dir.path());
        QVERIFY(store.open());
        QString error;
        const auto record = store.add(picture(Qt::blue), parameters(QStringLiteral("a frog on a meadow"), 42), &error);
        QVERIFY2(record, qPrintable(error));
        QCOMPARE(record->seed, quint64(42));
        QCOMPARE(record->prompt, QStringLiteral("a frog on a meadow"));
        QCOMPARE(record->negativePrompt, QStringLiteral("scary, dark"));
        QCOMPARE(record->model, QStringLiteral("builtin"));
        const auto texts = readPngTextChunks(record->file.toStdString());
        QCOMPARE(QString::fromStdString(texts.at("parameters")), parameters(QStringLiteral("a frog on a meadow"), 42));
        QCOMPARE(QImageReader(record->file).read().size(), QSize(96, 64));
        // Nothing temporary is left beside it.
        QCOMPARE(QDir(store.picturesFolder()).entryList(QDir::Files).size(), 1);
        const auto listed = store.list();
        QCOMPARE(listed.size(), 1);
        QCOMPARE(listed[0].id, record->id);
    }

    void newestFirstSearchFavouriteTrashRestoreEmpty() {
        QTemporaryDir dir;
        GalleryStore store(dir.path());
        QVERIFY(store.open());
        const auto frog = store.add(picture(Qt::green), parameters(QStringLiteral("a frog"), 1));
        QTest::qWait(5);
        const auto cat = store.add(picture(Qt::gray), parameters(QStringLiteral("一只小猫 in 100% wool"), 2));
        QVERIFY(frog && cat);
        QCOMPARE(store.list().at(0).id, cat->id);
        QCOMPARE(store.list(QStringLiteral("FROG")).size(), 1);
        QCOMPARE(store.list(QStringLiteral("小猫")).size(), 1);
        QCOMPARE(store.list(QStringLiteral("100%")).size(), 1);  // % is a character, not a wildcard
        QCOMPARE(store.list(QStringLiteral("0%w")).size(), 0);
        QVERIFY(store.setFavourite(frog->id, true));
        QVERIFY(store.list(QStringLiteral("frog")).at(0).favourite);
        QVERIFY(store.moveToTrash(frog->id));
        QCOMPARE(store.list().size(), 1);
        QCOMPARE(store.list({}, true).size(), 1);
        QVERIFY(store.restore(frog->id));
        QCOMPARE(store.list().size(), 2);
        QVERIFY(store.moveToTrash(frog->id));
        QCOMPARE(store.emptyTrash(), 1);
        QVERIFY(!QFile::exists(frog->file));
        QVERIFY(QFile::exists(cat->file));
        QCOMPARE(store.list().size(), 1);
    }

    void lostIndexIsRebuiltFromThePngs() {
        QTemporaryDir dir;
        {
            GalleryStore store(dir.path());
            QVERIFY(store.open());
            QVERIFY(store.add(picture(Qt::red), parameters(QStringLiteral("a red car in the snow"), 7)));
            QVERIFY(store.add(picture(Qt::cyan), parameters(QStringLiteral("a fish\nin the sea"), 8)));
        }
        QVERIFY(QFile::remove(dir.filePath(QStringLiteral("gallery.sqlite"))));
        QFile::remove(dir.filePath(QStringLiteral("gallery.sqlite-wal")));
        QFile::remove(dir.filePath(QStringLiteral("gallery.sqlite-shm")));
        GalleryStore store(dir.path());
        QVERIFY(store.open());
        const auto records = store.list();
        QCOMPARE(records.size(), 2);
        QStringList prompts{records[0].prompt, records[1].prompt};
        prompts.sort();
        QCOMPARE(prompts, (QStringList{QStringLiteral("a fish\nin the sea"), QStringLiteral("a red car in the snow")}));
        QCOMPARE(store.list(QStringLiteral("car")).at(0).seed, quint64(7));
    }

    void corruptIndexIsSetAsideAndRebuilt() {
        QTemporaryDir dir;
        {
            GalleryStore store(dir.path());
            QVERIFY(store.open());
            QVERIFY(store.add(picture(Qt::magenta), parameters(QStringLiteral("a balloon"), 3)));
        }
        QFile::remove(dir.filePath(QStringLiteral("gallery.sqlite-wal")));
        QFile::remove(dir.filePath(QStringLiteral("gallery.sqlite-shm")));
        QFile index(dir.filePath(QStringLiteral("gallery.sqlite")));
        QVERIFY(index.open(QIODevice::WriteOnly | QIODevice::Truncate));
        index.write(QByteArray(4096, '\x5a'));
        index.close();
        GalleryStore store(dir.path());
        QVERIFY(store.open());
        QCOMPARE(store.list().size(), 1);
        QCOMPARE(store.list().at(0).prompt, QStringLiteral("a balloon"));
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("gallery.sqlite.corrupt"))));
    }

    void unwritableFolderGivesAMessageAndKeepsEarlierPictures() {
        QTemporaryDir dir;
        GalleryStore store(dir.path());
        QVERIFY(store.open());
        const auto kept = store.add(picture(Qt::blue), parameters(QStringLiteral("kept"), 1));
        QVERIFY(kept);
        // A file where the picture folder should be cannot be written into, not even by root (CI runs as root,
        // where permission bits would not stop a write).
        const QString folder = store.picturesFolder();
        QVERIFY(QDir().rename(folder, folder + QStringLiteral(".aside")));
        QFile blocker(folder);
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        QString error;
        QVERIFY(!store.add(picture(Qt::red), parameters(QStringLiteral("lost"), 2), &error));
        QVERIFY2(error.contains(QStringLiteral("Could not save")), qPrintable(error));
        QVERIFY(QFile::remove(folder));
        QVERIFY(QDir().rename(folder + QStringLiteral(".aside"), folder));
        QCOMPARE(store.list().size(), 1);
        QVERIFY(QFile::exists(kept->file));
    }

    void parametersParseAsA1111Writes() {
        const auto record =
            GalleryStore::parseParameters(QStringLiteral("a (cute:1.2) panda\nNegative prompt: blurry\nSteps: 25, "
                                                         "Sampler: Euler a, CFG scale: 7, Seed: 123456789012, "
                                                         "Size: 512x768, Model: my model"));
        QCOMPARE(record.prompt, QStringLiteral("a (cute:1.2) panda"));
        QCOMPARE(record.negativePrompt, QStringLiteral("blurry"));
        QCOMPARE(record.seed, quint64(123456789012ULL));
        QCOMPARE(record.size, QSize(512, 768));
        QCOMPARE(record.model, QStringLiteral("my model"));
        QCOMPARE(record.steps, 25);
        QCOMPARE(record.cfgScale, 7.0);
        QCOMPARE(record.sampler, QStringLiteral("euler_a"));  // A1111's name, back to ours
        QCOMPARE(GalleryStore::parseParameters(QString()).prompt, QString());
        QCOMPARE(GalleryStore::parseParameters(QStringLiteral("x\nSteps: 9, Sampler: Made Up, Seed: 1")).sampler,
                 QString());
    }
};

QTEST_GUILESS_MAIN(TestGalleryStore)
#include "tst_gallery_store.moc"
