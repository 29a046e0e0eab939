// PNG files: pixels and the UTF-8 "parameters" chunk survive a round trip; failures name the file and
// leave nothing half-written.
#include "imaging/png_io.h"

#include <storybrush/error.h>

#include <QtCore/QDir>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace storybrush;

class TestPngIo : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTripKeepsPixelsAndText() {
        QTemporaryDir dir;
        Image image(5, 3, 3);
        for (std::size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<std::uint8_t>(i * 7);
        const std::string path = dir.filePath(QStringLiteral("bunny.png")).toStdString();
        const std::string parameters = "一只穿红色背带裤的小兔子\nSteps: 25, Sampler: Euler a, Seed: 42";
        imaging::writePng(path, image, {{"parameters", parameters}});
        const Image back = imaging::readPng(path);
        QCOMPARE(back.width, 5);
        QCOMPARE(back.channels, 3);
        QVERIFY(back.pixels == image.pixels);
        QCOMPARE(imaging::readPngText(path).at("parameters"), parameters);
        QVERIFY(!QFile::exists(QString::fromStdString(path + ".part")));
    }

    void greyAndAlphaPicturesRead() {
        QTemporaryDir dir;
        for (int channels : {1, 4}) {
            Image image(4, 4, channels, 99);
            const std::string path = dir.filePath(QStringLiteral("c%1.png").arg(channels)).toStdString();
            imaging::writePng(path, image);
            QCOMPARE(imaging::readPng(path).channels, channels);
        }
    }

    void missingFolderNamesTheFile() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("no/such/folder/x.png")).toStdString();
        try {
            imaging::writePng(path, Image(2, 2, 3));
            QFAIL("writing into a missing folder must fail");
        } catch (const Error& error) {
            QCOMPARE(error.kind(), ErrorKind::Io);
            QVERIFY(QString::fromUtf8(error.what()).contains(QString::fromStdString(path)));
        }
    }

    void notAPngIsRefused() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("photo.png"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("\xff\xd8\xff\xe0 JPEG really");
        file.close();
        QVERIFY_THROWS_EXCEPTION(Error, imaging::readPng(path.toStdString()));
        // A PNG cut short: libpng's error comes back as an Error, not a crash.
        const std::string good = dir.filePath(QStringLiteral("good.png")).toStdString();
        imaging::writePng(good, Image(64, 64, 3, 1));
        QFile cut(QString::fromStdString(good));
        QVERIFY(cut.open(QIODevice::ReadWrite));
        cut.resize(cut.size() / 2);
        cut.close();
        QVERIFY_THROWS_EXCEPTION(Error, imaging::readPng(good));
    }
};

QTEST_GUILESS_MAIN(TestPngIo)
#include "tst_png_io.moc"
