// Pixels survive the trip between QImage and the engine's Image, and job fields reach the engine.
#include "app/image_convert.h"

#include <storybrush/error.h>

#include <QtTest/QtTest>

using namespace storybrush;

class TestImageConvert : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void rgbRoundTrip() {
        QImage image(5, 3, QImage::Format_ARGB32);  // odd width: rows have padding in QImage
        for (int y = 0; y < 3; ++y) {
            for (int x = 0; x < 5; ++x) image.setPixel(x, y, qRgba(x * 40, y * 80, 200, 255));
        }
        const Image engineImage = toEngineImage(image);
        QVERIFY(engineImage.isConsistent());
        QCOMPARE(engineImage.channels, 3);
        QCOMPARE(engineImage.pixel(4, 2)[0], std::uint8_t(160));
        QCOMPARE(engineImage.pixel(4, 2)[1], std::uint8_t(160));
        const QImage back = toQImage(engineImage);
        QCOMPARE(back.size(), image.size());
        QCOMPARE(back.pixel(3, 1), image.pixel(3, 1));
    }

    void maskBecomesOneChannel() {
        QImage mask(4, 4, QImage::Format_RGB32);
        mask.fill(Qt::black);
        mask.setPixel(1, 2, qRgb(255, 255, 255));
        const Image engineMask = toEngineMask(mask);
        QCOMPARE(engineMask.channels, 1);
        QCOMPARE(engineMask.pixel(1, 2)[0], std::uint8_t(255));
        QCOMPARE(engineMask.pixel(0, 0)[0], std::uint8_t(0));
    }

    void inconsistentImageGivesNullQImage() {
        Image broken(4, 4, 3);
        broken.pixels.resize(5);
        QVERIFY(toQImage(broken).isNull());
    }

    void requestFieldsReachTheEngine() {
        JobRequest job;
        job.prompt = QStringLiteral("一只穿红色背带裤的小兔子");
        job.steps = 30;
        job.sampler = QStringLiteral("euler_a");
        job.initImage = QImage(64, 64, QImage::Format_RGB32);
        job.initImage.fill(Qt::white);
        job.mask = QImage(64, 64, QImage::Format_Grayscale8);
        job.mask.fill(255);
        const GenerationRequest request = toEngineRequest(job, 77);
        QCOMPARE(QString::fromStdString(request.prompt), job.prompt);  // UTF-8 intact
        QCOMPARE(request.steps, 30);
        QCOMPARE(request.seed, std::uint64_t(77));
        QCOMPARE(request.sampler, Sampler::EulerAncestral);
        QCOMPARE(request.mode(), GenerationMode::Inpaint);
        // The studio's choices: device, preview rate, shape, style add-ons, page extension.
        job.device = QStringLiteral("cpu");
        job.previewsPerSecond = 0;
        job.aspectRatio = 1.5;
        job.loras = {{QStringLiteral("/m/loras/crayon.safetensors"), 0.7}};
        job.outpaintRight = 128;
        const GenerationRequest chosen = toEngineRequest(job, 1);
        QCOMPARE(int(chosen.device), int(DevicePreference::Cpu));
        QCOMPARE(chosen.previewsPerSecond, 0.0);
        QCOMPARE(chosen.aspectRatio, 1.5f);
        QCOMPARE(int(chosen.loras.size()), 1);
        QCOMPARE(QString::fromStdString(chosen.loras[0].path), QStringLiteral("/m/loras/crayon.safetensors"));
        QCOMPARE(chosen.loras[0].weight, 0.7f);
        QCOMPARE(chosen.outpaint.right, 128);
        QCOMPARE(chosen.mode(), GenerationMode::Outpaint);
        job.sampler = QStringLiteral("nope");
        QVERIFY_THROWS_EXCEPTION(Error, toEngineRequest(job, 1));
    }

    void blockedPicturesCarryNoPixels() {
        GenerationResult result;
        GeneratedImage ok;
        ok.image = Image(4, 4, 3, 9);
        GeneratedImage held;
        held.image = Image(4, 4, 3, 9);
        held.verdict.allowed = false;
        held.verdict.childMessage = "Let's try another idea!";
        result.images = {ok, held};
        const JobResult job = toJobResult(result, 5);
        QCOMPARE(job.images.size(), 2);
        QVERIFY(!job.images[0].image.isNull());
        QVERIFY(job.images[1].blocked);
        QVERIFY(job.images[1].image.isNull());
        QCOMPARE(job.childMessage, QStringLiteral("Let's try another idea!"));
    }
};

QTEST_GUILESS_MAIN(TestImageConvert)
#include "tst_image_convert.moc"
