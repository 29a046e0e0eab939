// storybrush-cli generate as a script uses it: a PNG with its settings, and the documented exit codes.
#include "imaging/png_io.h"

#include "common/fixtures.h"

#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace storybrush;

class TestCliGenerate : public QObject {
    Q_OBJECT

private:
    static int runCli(const QStringList& arguments, QString* err = nullptr) {
        QProcess process;
        process.start(QStringLiteral(STORYBRUSH_CLI_PATH), arguments);
        if (!process.waitForFinished(120000)) return -1;
        if (err) *err = QString::fromUtf8(process.readAllStandardError());
        return process.exitCode();
    }

private Q_SLOTS:
    void writesAPngWithItsParameters() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/model_index.json");
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("frog.png"));
        QString err;
        const int code = runCli({QStringLiteral("generate"), QStringLiteral("--model"), test::fixturePath(QStringLiteral("tiny-sd15-diffusers")),
                                 QStringLiteral("--prompt"), QStringLiteral("a happy frog"), QStringLiteral("--width"), QStringLiteral("64"),
                                 QStringLiteral("--height"), QStringLiteral("64"), QStringLiteral("--steps"), QStringLiteral("3"),
                                 QStringLiteral("--seed"), QStringLiteral("99"), QStringLiteral("--batch"), QStringLiteral("2"),
                                 QStringLiteral("-o"), out},
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

    void exitCodesSayWhatWentWrong() {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("x.png"));
        QString err;
        QCOMPARE(runCli({QStringLiteral("generate"), QStringLiteral("--prompt"), QStringLiteral("a cat"), QStringLiteral("--bogus"), QStringLiteral("-o"), out}, &err), 2);
        QVERIFY(err.contains(QStringLiteral("--bogus")));
        QCOMPARE(runCli({QStringLiteral("generate"), QStringLiteral("--prompt"), QStringLiteral("a cat"), QStringLiteral("--steps"), QStringLiteral("zero"), QStringLiteral("-o"), out}), 2);
        QCOMPARE(runCli({QStringLiteral("generate"), QStringLiteral("--model"), dir.filePath(QStringLiteral("missing.safetensors")),
                         QStringLiteral("--prompt"), QStringLiteral("a cat"), QStringLiteral("-o"), out}, &err), 1);
        QVERIFY(err.contains(QStringLiteral("missing.safetensors")));
        QVERIFY(!QFile::exists(out));
    }
};

QTEST_GUILESS_MAIN(TestCliGenerate)
#include "tst_cli_generate.moc"
