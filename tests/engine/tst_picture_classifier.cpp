// The picture filter against its reference: nsfwjs run by TensorFlow.js (node) on the same pictures must give
// the same five probabilities to 1e-4. Also the verdict's thresholds and a damaged model file.
#include "safety/compvis_checker.h"
#include "safety/picture_classifier.h"

#include "model_test_support.h"

#include "imaging/image_ops.h"
#include "imaging/png_io.h"

#include "common/fixtures.h"

#include <storybrush/error.h>

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <random>

using namespace storybrush;

namespace {

// Pictures with what a classifier reacts to: smooth colour, hard shapes, skin-like tones, noise, odd sizes.
std::vector<std::pair<QString, Image>> testPictures() {
    std::vector<std::pair<QString, Image>> pictures;
    Image gradient(224, 224, 3);
    for (int y = 0; y < 224; ++y) {
        for (int x = 0; x < 224; ++x) {
            std::uint8_t* p = gradient.pixel(x, y);
            p[0] = std::uint8_t(x), p[1] = std::uint8_t(y), p[2] = 128;
        }
    }
    pictures.emplace_back(QStringLiteral("gradient.png"), gradient);
    Image skin(300, 200, 3);
    for (int y = 0; y < 200; ++y) {
        for (int x = 0; x < 300; ++x) {
            std::uint8_t* p = skin.pixel(x, y);
            const bool blob = (x - 150) * (x - 150) / 2 + (y - 100) * (y - 100) < 4000;
            p[0] = blob ? 224 : 40, p[1] = blob ? 172 : 90, p[2] = blob ? 150 : 160;
        }
    }
    pictures.emplace_back(QStringLiteral("skin-blob-300x200.png"), skin);
    Image noise(160, 256, 3);
    std::mt19937 random(3);
    for (auto& v : noise.pixels) v = std::uint8_t(random() & 0xff);
    pictures.emplace_back(QStringLiteral("noise-160x256.png"), noise);
    Image stripes(224, 224, 3);
    for (int y = 0; y < 224; ++y) {
        for (int x = 0; x < 224; ++x) {
            std::uint8_t* p = stripes.pixel(x, y);
            const bool on = ((x / 16) + (y / 16)) % 2;
            p[0] = on ? 250 : 20, p[1] = on ? 220 : 60, p[2] = on ? 40 : 200;
        }
    }
    pictures.emplace_back(QStringLiteral("checks.png"), stripes);
    return pictures;
}

}  // namespace

class TestPictureClassifier : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<safety::PictureClassifier> m_classifier;

private Q_SLOTS:
    void initTestCase() {
        const std::string path = safety::PictureClassifier::defaultPath();
        QVERIFY2(!path.empty(), "resources/safety/classifier/nsfwjs-mobilenet-v2.safetensors is missing");
        m_classifier = safety::PictureClassifier::load(path);
    }

    void probabilitiesAreAProperDistribution() {
        const auto scores = m_classifier->classify(testPictures().front().second);
        float sum = 0;
        for (const float p : scores) {
            QVERIFY(p >= 0.0f && p <= 1.0f);
            sum += p;
        }
        QVERIFY(std::abs(sum - 1.0f) < 1e-4f);
    }

    void matchesNsfwjsInTensorFlowJs() {
        const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
        const QString reference = QStringLiteral(STORYBRUSH_REFERENCE_DIR "/nsfwjs");
        if (node.isEmpty() || !QFileInfo::exists(reference + QStringLiteral("/node_modules/nsfwjs/package.json"))) {
            QSKIP("the reference needs node and `npm ci` in tests/reference/nsfwjs (packaging/setup.sh does both)");
        }
        QTemporaryDir dir;
        QStringList files;
        const auto pictures = testPictures();
        for (const auto& [name, picture] : pictures) {
            files << dir.filePath(name);
            imaging::writePng(files.last().toStdString(), picture);
        }
        QProcess process;
        process.setWorkingDirectory(reference);
        process.start(node, QStringList{QStringLiteral("classify.js")} + files);
        QVERIFY(process.waitForFinished(300000));
        QCOMPARE(process.exitCode(), 0);
        const QList<QByteArray> lines = process.readAllStandardOutput().split('\n');
        int compared = 0;
        for (const QByteArray& line : lines) {
            const QJsonObject result = QJsonDocument::fromJson(line).object();
            if (result.isEmpty()) continue;
            const int index = int(files.indexOf(result.value(QStringLiteral("file")).toString()));
            QVERIFY(index >= 0);
            const auto ours = m_classifier->classify(pictures[std::size_t(index)].second);
            const QJsonArray theirs = result.value(QStringLiteral("probabilities")).toArray();
            QCOMPARE(theirs.size(), 5);
            for (int c = 0; c < 5; ++c) {
                const double difference = std::abs(double(ours[std::size_t(c)]) - theirs.at(c).toDouble());
                QVERIFY2(difference <= 1e-4, qPrintable(QStringLiteral("%1 class %2: ours %3, nsfwjs %4")
                                                            .arg(files[index])
                                                            .arg(c)
                                                            .arg(ours[std::size_t(c)])
                                                            .arg(theirs.at(c).toDouble())));
            }
            ++compared;
        }
        QCOMPARE(compared, int(pictures.size()));
    }

    void clipartIsNotFlagged() {
        const QDir clipart(QStringLiteral(STORYBRUSH_REFERENCE_DIR "/../data/safety/clipart"));
        const auto files = clipart.entryList({QStringLiteral("*.png")}, QDir::Files);
        QVERIFY2(files.size() >= 4, "tests/data/safety/clipart is missing");
        for (const QString& name : files) {
            const Image picture = imaging::toRgb(imaging::readImage(clipart.filePath(name).toStdString()));
            const auto scores = m_classifier->classify(picture);
            const auto verdict = safety::judgePicture(scores);
            QVERIFY2(verdict.allowed,
                     qPrintable(name + QStringLiteral(": ") + QString::fromStdString(verdict.matchedTerm)));
        }
    }

    void shippedWeightsAreTheConvertedPackage() {
        // The committed file is exactly what the converter makes of the pinned npm package: nothing was edited.
        const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
        const QString reference = QStringLiteral(STORYBRUSH_REFERENCE_DIR "/nsfwjs");
        if (node.isEmpty() || !QFileInfo::exists(reference + QStringLiteral("/node_modules/nsfwjs/package.json"))) {
            QSKIP("the converter needs node and `npm ci` in tests/reference/nsfwjs (packaging/setup.sh does both)");
        }
        QTemporaryDir dir;
        const QString converted = dir.filePath(QStringLiteral("converted.safetensors"));
        QProcess process;
        process.setWorkingDirectory(reference);
        process.start(node, {QStringLiteral("convert.js"), converted});
        QVERIFY(process.waitForFinished(120000));
        QCOMPARE(process.exitCode(), 0);
        QFile fresh(converted), shipped(QString::fromStdString(safety::PictureClassifier::defaultPath()));
        QVERIFY(fresh.open(QIODevice::ReadOnly) && shipped.open(QIODevice::ReadOnly));
        QVERIFY(fresh.readAll() == shipped.readAll());
    }

    void verdictThresholds() {
        QVERIFY(safety::judgePicture({0.9f, 0.02f, 0.07f, 0.005f, 0.005f}).allowed);  // a drawing
        QVERIFY(safety::judgePicture({0.3f, 0.05f, 0.2f, 0.05f, 0.4f}).allowed);      // cartoon swimwear stays
        const auto explicitPicture = safety::judgePicture({0.1f, 0.4f, 0.1f, 0.35f, 0.05f});
        QVERIFY(!explicitPicture.allowed);
        QCOMPARE(int(explicitPicture.category), int(SafetyCategory::Sexual));
        QVERIFY(!explicitPicture.childMessage.empty());
        QVERIFY(!safety::judgePicture({0.05f, 0.0f, 0.2f, 0.0f, 0.75f}).allowed);  // suggestive alone
        QVERIFY(safety::judgePicture({0.0f, 0.0f, 0.31f, 0.67f, 0.02f}).allowed);  // the built-in model's worst blob
        QVERIFY(!safety::judgePicture({0.0f, 0.0f, 0.15f, 0.6f, 0.25f}).allowed);  // together
    }

    void compVisCheckerMatchesTheReference() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-safety-checker/model.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-safety-checker-ref.safetensors");
        const auto reference =
            test::readReference(test::fixturePathStd(QStringLiteral("tiny-safety-checker-ref.safetensors")));
        const auto checker =
            safety::CompVisSafetyChecker::load(test::fixturePathStd(QStringLiteral("tiny-safety-checker")));
        const auto results = checker->check(reference.at("clip_input"));
        QCOMPARE(int(results.size()), int(reference.at("clip_input").size(0)));
        for (std::size_t i = 0; i < results.size(); ++i) {
            const auto row = static_cast<std::int64_t>(i);
            QVERIFY(test::maxAbsDiff(results[i].imageEmbeds, reference.at("image_embeds")[row]) <= 1e-4);
            QVERIFY(test::maxAbsDiff(torch::tensor(results[i].cosDist), reference.at("cos_dist")[row]) <= 1e-4);
            QVERIFY(test::maxAbsDiff(torch::tensor(results[i].specialCosDist), reference.at("special_cos_dist")[row]) <=
                    1e-4);
            QCOMPARE(results[i].hasNsfw, reference.at("has_nsfw")[row].item<float>() > 0.5f);
        }
        // A picture goes through CLIP's preprocessing and gives a verdict too.
        Image picture(300, 200, 3, 120);
        QCOMPARE(checker->check(picture).cosDist.size(), std::size_t(17));
        // Only safetensors: a folder whose checker is a pickle has none to run.
        QTemporaryDir dir;
        QDir().mkpath(dir.filePath(QStringLiteral("safety_checker")));
        QFile pickle(dir.filePath(QStringLiteral("safety_checker/pytorch_model.bin")));
        QVERIFY(pickle.open(QIODevice::WriteOnly));
        pickle.close();
        QVERIFY(safety::CompVisSafetyChecker::findIn(dir.path().toStdString()).empty());
    }

    void damagedModelFileIsRefused() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("broken.safetensors"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":1}        ", 24);
        file.close();
        QVERIFY_THROWS_EXCEPTION(Error, safety::PictureClassifier::load(path.toStdString()));
    }
};

QTEST_GUILESS_MAIN(TestPictureClassifier)
#include "tst_picture_classifier.moc"
