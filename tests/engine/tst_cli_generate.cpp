// storybrush-cli generate as a script uses it: a PNG with its settings, repainting and extending a picture
// from files, and the documented exit codes.
#include "imaging/image_ops.h"
#include "imaging/png_io.h"

#include "common/fixtures.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace storybrush;

class TestCliGenerate : public QObject {
    Q_OBJECT

private:
    static int runCli(const QStringList& arguments, QString* err = nullptr, QString* out = nullptr) {
        QProcess process;
        process.start(QStringLiteral(STORYBRUSH_CLI_PATH), arguments);
        if (!process.waitForFinished(120000)) return -1;
        if (err) *err = QString::fromUtf8(process.readAllStandardError());
        if (out) *out = QString::fromUtf8(process.readAllStandardOutput());
        return process.exitCode();
    }

private Q_SLOTS:
    void writesAPngWithItsParameters() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/model_index.json");
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("frog.png"));
        QString err;
        const int code = runCli({QStringLiteral("generate"), QStringLiteral("--model"),
                                 test::fixturePath(QStringLiteral("tiny-sd15-diffusers")), QStringLiteral("--prompt"),
                                 QStringLiteral("a happy frog"), QStringLiteral("--width"), QStringLiteral("64"),
                                 QStringLiteral("--height"), QStringLiteral("64"), QStringLiteral("--steps"),
                                 QStringLiteral("3"), QStringLiteral("--seed"), QStringLiteral("99"),
                                 QStringLiteral("--batch"), QStringLiteral("2"), QStringLiteral("-o"), out},
                                &err);
        QVERIFY2(code == 0, qPrintable(err));
        const QString second = dir.filePath(QStringLiteral("frog-1.png"));
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("frog-0.png"))));
        const auto text = imaging::readPngText(second.toStdString());
        const QString parameters = QString::fromStdString(text.at("parameters"));
        QVERIFY2(parameters.startsWith(QStringLiteral("a happy frog\n")), qPrintable(parameters));
        QVERIFY(parameters.contains(QStringLiteral("Seed: 100")));
        QVERIFY(parameters.contains(QStringLiteral("Sampler: DPM++ 2M Karras")));
        QCOMPARE(imaging::readPng(second.toStdString()).width, 64);
    }

    void drawsAndInspectsQwenImage() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/config.json");
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("bunny.png"));
        const QString model = test::fixturePath(QStringLiteral("tiny-qwenimage"));
        QString err, text;
        int code =
            runCli({QStringLiteral("generate"), QStringLiteral("--model"), model, QStringLiteral("--prompt"),
                    QStringLiteral("一只穿红色背带裤的小兔子"), QStringLiteral("--width"), QStringLiteral("64"),
                    QStringLiteral("--height"), QStringLiteral("80"), QStringLiteral("--steps"), QStringLiteral("3"),
                    QStringLiteral("--cfg"), QStringLiteral("4"), QStringLiteral("-o"), out},
                   &err);
        QVERIFY2(code == 0, qPrintable(err));
        const auto picture = imaging::readPng(out.toStdString());
        QCOMPARE(picture.width, 64);
        QCOMPARE(picture.height, 80);
        const QString parameters = QString::fromStdString(imaging::readPngText(out.toStdString()).at("parameters"));
        QVERIFY2(parameters.contains(QStringLiteral("Sampler: Euler")) &&
                     parameters.contains(QStringLiteral("CFG scale: 4")),
                 qPrintable(parameters));
        code = runCli({QStringLiteral("inspect"), QStringLiteral("--json"), model}, &err, &text);
        QVERIFY2(code == 0, qPrintable(err));
        QVERIFY2(text.contains(QStringLiteral("\"family\":\"qwenimage\"")), qPrintable(text));
    }

    void repaintsAndExtendsPicturesFromFiles() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/model_index.json");
        QTemporaryDir dir;
        Image picture(80, 64, 3);
        for (int y = 0; y < 64; ++y) {
            for (int x = 0; x < 80; ++x) {
                std::uint8_t* p = picture.pixel(x, y);
                p[0] = std::uint8_t(3 * x), p[1] = std::uint8_t(4 * y), p[2] = 90;
            }
        }
        const std::string picturePath = dir.filePath(QStringLiteral("page.jpg")).toStdString();
        imaging::writeImage(picturePath, picture);
        Image strokes(80, 64, 4, 0);  // painted on a transparent layer, as a drawing program saves a mask
        for (int y = 10; y < 30; ++y) {
            for (int x = 40; x < 70; ++x) strokes.pixel(x, y)[3] = 255;
        }
        const QString maskPath = dir.filePath(QStringLiteral("mask.png"));
        imaging::writePng(maskPath.toStdString(), strokes);
        const QStringList common{QStringLiteral("generate"),
                                 QStringLiteral("--model"),
                                 test::fixturePath(QStringLiteral("tiny-sd15-diffusers")),
                                 QStringLiteral("--prompt"),
                                 QStringLiteral("a red hat"),
                                 QStringLiteral("--steps"),
                                 QStringLiteral("3"),
                                 QStringLiteral("--seed"),
                                 QStringLiteral("5"),
                                 QStringLiteral("--init"),
                                 QString::fromStdString(picturePath)};
        const Image original = imaging::readImage(picturePath);  // as JPEG gave it back

        const QString repainted = dir.filePath(QStringLiteral("hat.png"));
        QString err;
        int code = runCli(common + QStringList{QStringLiteral("--mask"), maskPath, QStringLiteral("--mask-blur"),
                                               QStringLiteral("2"), QStringLiteral("--only-masked"),
                                               QStringLiteral("--padding"), QStringLiteral("8"),
                                               QStringLiteral("--color-match"), QStringLiteral("-o"), repainted},
                          &err);
        QVERIFY2(code == 0, qPrintable(err));
        const Image hat = imaging::readPng(repainted.toStdString());
        QCOMPARE(hat.width, 80);
        QCOMPARE(std::memcmp(hat.pixel(5, 50), original.pixel(5, 50), 3), 0);  // far from the mask: untouched
        QVERIFY(std::memcmp(hat.pixel(55, 20), original.pixel(55, 20), 3) != 0);

        const QString extended = dir.filePath(QStringLiteral("wider.png"));
        code = runCli(common + QStringList{QStringLiteral("--outpaint"), QStringLiteral("0,8,32,0"),
                                           QStringLiteral("--outpaint-fill"), QStringLiteral("edge"),
                                           QStringLiteral("-o"), extended},
                      &err);
        QVERIFY2(code == 0, qPrintable(err));
        const Image wider = imaging::readPng(extended.toStdString());
        QCOMPARE(wider.width, 112);
        QCOMPARE(wider.height, 72);
        QCOMPARE(std::memcmp(wider.pixel(5, 8 + 30), original.pixel(5, 30), 3), 0);

        // Bad repaint requests: a clear message and no file.
        const QString none = dir.filePath(QStringLiteral("none.png"));
        QCOMPARE(runCli(common + QStringList{QStringLiteral("--outpaint"), QStringLiteral("10,20"),
                                             QStringLiteral("-o"), none},
                        &err),
                 2);
        QVERIFY(err.contains(QStringLiteral("LEFT,TOP,RIGHT,BOTTOM")));
        imaging::writePng(maskPath.toStdString(), Image(80, 64, 1));
        QCOMPARE(runCli(common + QStringList{QStringLiteral("--mask"), maskPath, QStringLiteral("-o"), none}, &err), 1);
        QVERIFY2(err.contains(QStringLiteral("empty")), qPrintable(err));
        imaging::writePng(maskPath.toStdString(), Image(160, 128, 1, 255));
        QCOMPARE(runCli(common + QStringList{QStringLiteral("--mask"), maskPath, QStringLiteral("-o"), none}, &err), 1);
        QVERIFY2(err.contains(QStringLiteral("160x128")), qPrintable(err));
        QCOMPARE(runCli({QStringLiteral("generate"), QStringLiteral("--prompt"), QStringLiteral("a cat"),
                         QStringLiteral("--mask"), maskPath, QStringLiteral("-o"), none},
                        &err),
                 2);
        QVERIFY(!QFile::exists(none));
    }

    void exitCodesSayWhatWentWrong() {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("x.png"));
        QString err;
        QCOMPARE(runCli({QStringLiteral("generate"), QStringLiteral("--prompt"), QStringLiteral("a cat"),
                         QStringLiteral("--bogus"), QStringLiteral("-o"), out},
                        &err),
                 2);
        QVERIFY(err.contains(QStringLiteral("--bogus")));
        QCOMPARE(runCli({QStringLiteral("generate"), QStringLiteral("--prompt"), QStringLiteral("a cat"),
                         QStringLiteral("--steps"), QStringLiteral("zero"), QStringLiteral("-o"), out}),
                 2);
        QCOMPARE(runCli({QStringLiteral("generate"), QStringLiteral("--model"),
                         dir.filePath(QStringLiteral("missing.safetensors")), QStringLiteral("--prompt"),
                         QStringLiteral("a cat"), QStringLiteral("-o"), out},
                        &err),
                 1);
        QVERIFY(err.contains(QStringLiteral("missing.safetensors")));
        QVERIFY(!QFile::exists(out));
    }

    void benchPrintsOneJsonLineWithItsFigures() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/model_index.json");
        QString out, err;
        QElapsedTimer wall;
        wall.start();
        const int code =
            runCli({QStringLiteral("bench"), QStringLiteral("--model"),
                    test::fixturePath(QStringLiteral("tiny-sd15-diffusers")), QStringLiteral("--size"),
                    QStringLiteral("64"), QStringLiteral("--steps"), QStringLiteral("3"), QStringLiteral("--runs"),
                    QStringLiteral("1"), QStringLiteral("--batch"), QStringLiteral("2"), QStringLiteral("--previews"),
                    QStringLiteral("1000"), QStringLiteral("--device"), QStringLiteral("cpu")},
                   &err, &out);
        QVERIFY2(code == 0, qPrintable(err));
        const QStringList lines = out.trimmed().split(QLatin1Char('\n'));
        const QJsonObject line = QJsonDocument::fromJson(lines.last().toUtf8()).object();
        for (const char* key :
             {"model", "device", "dtype", "size", "steps", "batch", "text_ms", "unet_step_ms", "vae_ms", "total_s",
              "per_picture_s", "it_per_s", "peak_alloc_gib", "peak_device_gib", "cold_start_s", "levers"})
            QVERIFY2(line.contains(QLatin1String(key)), key);
        QCOMPARE(line.value(QStringLiteral("batch")).toInt(), 2);
        QCOMPARE(line.value(QStringLiteral("size")).toString(), QStringLiteral("64x64"));
        QVERIFY(line.value(QStringLiteral("finite")).toBool());
        QVERIFY(line.value(QStringLiteral("unet_step_ms")).toDouble() > 0);
        QVERIFY(qAbs(line.value(QStringLiteral("per_picture_s")).toDouble() * 2 -
                     line.value(QStringLiteral("total_s")).toDouble()) < 1e-9);
        // The wait from launch to the first picture, in parts: the process's own start lies inside this call, and the
        // first run's parts (text, step 1, the other steps, one decode) fit inside that run.
        const double startup = line.value(QStringLiteral("startup_s")).toDouble(-1.0);
        QVERIFY2(startup >= 0.0 && startup * 1000.0 < static_cast<double>(wall.elapsed()),
                 qPrintable(QString::number(startup)));
        const double firstRunMs = line.value(QStringLiteral("first_run_s")).toDouble() * 1000.0;
        const double firstParts = line.value(QStringLiteral("first_text_ms")).toDouble() +
                                  line.value(QStringLiteral("first_step_ms")).toDouble() +
                                  line.value(QStringLiteral("first_other_steps_ms")).toDouble() +
                                  line.value(QStringLiteral("first_vae_ms")).toDouble();
        QVERIFY(line.value(QStringLiteral("first_step_ms")).toDouble() > 0.0);
        QVERIFY2(firstParts > 0.0 && firstParts <= firstRunMs + 1e-6,
                 qPrintable(QStringLiteral("%1 of %2 ms").arg(firstParts).arg(firstRunMs)));
        // At 1000 previews a second every step but each picture's last shows one: 2 per picture, 2 pictures.
        QCOMPARE(line.value(QStringLiteral("previews_per_run")).toInt(), 4);
        QCOMPARE(line.value(QStringLiteral("preview_decoder")).toString(), QStringLiteral("projection"));
        // Writing weights is for random models only.
        QCOMPARE(runCli({QStringLiteral("bench"), QStringLiteral("--model"),
                         test::fixturePath(QStringLiteral("tiny-sd15-diffusers")), QStringLiteral("--write"),
                         QStringLiteral("/tmp/never")},
                        &err),
                 2);
    }
};

QTEST_GUILESS_MAIN(TestCliGenerate)
#include "tst_cli_generate.moc"
