// The engine's public API end to end on the tiny SD 1.5 model: progress in order, cancel within a step,
// batch seeds, image-to-image, inpaint and outpaint, and clear errors for bad models.
#include <storybrush/engine.h>

#include "io/checkpoint.h"
#include "io/safetensors_writer.h"

#include <torch/torch.h>

#include "common/fixtures.h"

#include <QtCore/QDirIterator>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace storybrush;

class TestEngineGenerate : public QObject {
    Q_OBJECT

private:
    Engine m_engine;

    GenerationRequest tinyRequest() {
        GenerationRequest request;
        request.model = test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers"));
        request.prompt = "a smiling baby dolphin playing with a ball";
        request.width = 64;
        request.height = 64;
        request.steps = 5;
        request.seed = 321;
        request.sampler = Sampler::Euler;
        return request;
    }

private Q_SLOTS:
    void init() { STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/model_index.json"); }

    void progressArrivesOncePerStepInOrder() {
        auto request = tinyRequest();
        request.previewsPerSecond = 1000.0;  // every step may carry one
        QList<int> steps;
        int previews = 0;
        bool previewsWellFormed = true;
        request.onProgress = [&](const Progress& progress) {
            steps.append(progress.step);
            if (progress.preview) {
                ++previews;
                previewsWellFormed = previewsWellFormed && progress.preview->width == 64 &&
                                     progress.preview->isConsistent();
            }
            return true;
        };
        const auto result = m_engine.generate(request);
        QCOMPARE(steps, (QList<int>{1, 2, 3, 4, 5}));
        QVERIFY(previews >= 1);
        QVERIFY(previewsWellFormed);
        QCOMPARE(result.images.size(), std::size_t(1));
        QCOMPARE(result.images[0].image.width, 64);
        QCOMPARE(result.images[0].image.channels, 3);
        QVERIFY(!result.cancelled);
        QVERIFY(QString::fromStdString(result.images[0].parameters).contains(QStringLiteral("Seed: 321, Size: 64x64")));
    }

    void kidModeAddsGentleNegativesAndRecordsThem() {
        auto request = tinyRequest();
        request.negativePrompt = "rain";
        const auto plain = m_engine.generate(request);
        request.kidMode = true;
        const auto kid = m_engine.generate(request);
        const QString parameters = QString::fromStdString(kid.images[0].parameters);
        QVERIFY2(parameters.contains(QStringLiteral("Negative prompt: rain, nsfw")), qPrintable(parameters));
        QVERIFY(plain.images[0].image.pixels != kid.images[0].image.pixels);  // the defaults reach the model
    }

    void cancelStopsAtTheNextStep() {
        auto request = tinyRequest();
        request.steps = 20;
        request.batchSize = 2;
        int calls = 0;
        request.onProgress = [&](const Progress& progress) {
            ++calls;
            if (progress.step == 2) request.cancel.cancel();
            return true;
        };
        const auto result = m_engine.generate(request);
        QVERIFY(result.cancelled);
        QCOMPARE(calls, 2);
        QVERIFY(result.images.empty());
    }

    void batchPictureEqualsItsSeedAlone() {
        auto request = tinyRequest();
        request.batchSize = 2;
        const auto batch = m_engine.generate(request);
        QCOMPARE(batch.images.size(), std::size_t(2));
        QCOMPARE(batch.images[1].seed, std::uint64_t(322));
        QVERIFY(batch.images[0].image.pixels != batch.images[1].image.pixels);
        auto alone = tinyRequest();
        alone.seed = 322;
        const auto single = m_engine.generate(alone);
        QVERIFY(single.images[0].image.pixels == batch.images[1].image.pixels);  // same seed, same picture
    }

    void imageToImageKeepsTheSize() {
        auto request = tinyRequest();
        request.initImage = Image(72, 64, 3, 200);  // drawn at 72x64: a multiple of 8 is kept
        request.strength = 0.5f;
        const auto result = m_engine.generate(request);
        QCOMPARE(result.images[0].image.width, 72);
        QVERIFY(
            QString::fromStdString(result.images[0].parameters).contains(QStringLiteral("Denoising strength: 0.5")));
    }

    void shapesUseTheModelsOwnNumberOfPixels() {
        auto request = tinyRequest();  // the tiny model is made for 64x64
        request.width = 0;
        request.height = 0;
        request.aspectRatio = 1.5f;
        const auto wide = m_engine.generate(request);
        QCOMPARE(wide.images.at(0).image.width, 96);  // 78x52, kept at least 64 high: 96x64
        QCOMPARE(wide.images.at(0).image.height, 64);
        request.aspectRatio = 9.0f;
        QVERIFY_THROWS_EXCEPTION(Error, m_engine.generate(request));
    }

    void aModelsOwnSafetyCheckerIsASecondOpinion() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-safety-checker/model.safetensors");
        // The tiny model with the tiny CompVis checker beside it, which flags every picture (random weights).
        QTemporaryDir dir;
        const QString model = dir.filePath(QStringLiteral("tiny-with-checker"));
        QDirIterator files(test::fixturePath(QStringLiteral("tiny-sd15-diffusers")), QDir::Files,
                           QDirIterator::Subdirectories);
        while (files.hasNext()) {
            const QString file = files.next();
            const QString target = model + file.mid(test::fixturePath(QStringLiteral("tiny-sd15-diffusers")).size());
            QDir().mkpath(QFileInfo(target).path());
            QVERIFY(QFile::copy(file, target));
        }
        QDir().mkpath(model + QStringLiteral("/safety_checker"));
        for (const char* name : {"model.safetensors", "config.json"}) {
            QVERIFY(QFile::copy(test::fixturePath(QStringLiteral("tiny-safety-checker/") + QLatin1String(name)),
                                model + QStringLiteral("/safety_checker/") + QLatin1String(name)));
        }
        auto request = tinyRequest();
        request.model = model.toStdString();
        const auto checked = m_engine.generate(request);
        QVERIFY(!checked.images.at(0).verdict.allowed);
        QVERIFY(checked.images.at(0).image.empty());  // never leaves the engine
        request.safetyCheck = false;                  // adults only
        QVERIFY(!m_engine.generate(request).images.at(0).image.empty());
    }

    void aSeparateVaeReplacesTheModelsOwn() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-ldm.safetensors");
        auto request = tinyRequest();
        request.safetyCheck = false;
        const auto base = m_engine.generate(request).images.at(0).image.pixels;
        // The single file holds the same VAE under LDM names: the same picture.
        request.vaePath = test::fixturePathStd(QStringLiteral("tiny-sd15-ldm.safetensors"));
        QCOMPARE(m_engine.generate(request).images.at(0).image.pixels, base);
        // A VAE file under diffusers names whose last layer is changed: another picture.
        QTemporaryDir dir;
        const auto vae = io::openCheckpoint(test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers"))).vae;
        std::vector<std::pair<std::string, torch::Tensor>> tensors;
        for (const auto& [name, tensor] : vae.tensors) {
            torch::Tensor value = tensor.to(torch::kFloat32).clone();
            if (name == "decoder.conv_out.weight") value = value * 0.5;
            tensors.emplace_back(name, value);
        }
        const std::string changed = dir.filePath(QStringLiteral("other-vae.safetensors")).toStdString();
        io::writeSafetensors(changed, tensors);
        request.vaePath = changed;
        QVERIFY(m_engine.generate(request).images.at(0).image.pixels != base);
        // Back to the model's own VAE.
        request.vaePath.clear();
        QCOMPARE(m_engine.generate(request).images.at(0).image.pixels, base);
        // A file that is no VAE says so.
        request.vaePath = test::fixturePathStd(QStringLiteral("tiny-sd15-inpaint-unet-ldm.safetensors"));
        QVERIFY_THROWS_EXCEPTION(Error, m_engine.generate(request));
    }

    void tinyDecoderBesideTheModelDrawsThePreviews() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-taesd-diffusers/config.json");
        QTemporaryDir dir;
        const QString model = dir.filePath(QStringLiteral("tiny-with-taesd"));
        const QString source = test::fixturePath(QStringLiteral("tiny-sd15-diffusers"));
        QDirIterator files(source, QDir::Files, QDirIterator::Subdirectories);
        while (files.hasNext()) {
            const QString file = files.next();
            QDir().mkpath(QFileInfo(model + file.mid(source.size())).path());
            QVERIFY(QFile::copy(file, model + file.mid(source.size())));
        }
        QDir().mkpath(model + QStringLiteral("/vae_approx"));
        for (const char* name : {"config.json", "diffusion_pytorch_model.safetensors"}) {
            QVERIFY(QFile::copy(test::fixturePath(QStringLiteral("tiny-taesd-diffusers/") + QLatin1String(name)),
                                model + QStringLiteral("/vae_approx/") + QLatin1String(name)));
        }
        auto request = tinyRequest();
        request.model = model.toStdString();
        request.previewsPerSecond = 1000;  // every step
        QSize previewSize;
        request.onProgress = [&](const Progress& progress) {
            if (progress.preview) previewSize = QSize(progress.preview->width, progress.preview->height);
            return true;
        };
        m_engine.generate(request);
        QCOMPARE(previewSize, QSize(64, 64));  // the picture's own size: decoded, not the 8x8 latent projection
    }

    void pickleModelIsRefusedWithHowToConvert() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("dreamy.ckpt"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("PK\x03\x04 not really");
        file.close();
        auto request = tinyRequest();
        request.model = path.toStdString();
        try {
            m_engine.generate(request);
            QFAIL("a pickle file must be refused");
        } catch (const Error& error) {
            QCOMPARE(error.kind(), ErrorKind::ModelFile);
            const QString message = QString::fromUtf8(error.what());
            QVERIFY2(message.contains(path) && message.contains(QStringLiteral("safetensors")), qPrintable(message));
        }
    }

    void folderThatIsNotAModelIsRefused() {
        QTemporaryDir dir;
        auto request = tinyRequest();
        request.model = dir.path().toStdString();
        QVERIFY_THROWS_EXCEPTION(Error, m_engine.generate(request));
        // ...and the engine still works afterwards.
        QCOMPARE(m_engine.generate(tinyRequest()).images.size(), std::size_t(1));
    }

    void repaintKeepsEveryPixelOutsideTheMask() {
        auto request = tinyRequest();
        Image picture(90, 70, 3);
        for (int y = 0; y < 70; ++y) {
            for (int x = 0; x < 90; ++x) {
                std::uint8_t* p = picture.pixel(x, y);
                p[0] = std::uint8_t(x * 2), p[1] = std::uint8_t(y * 3), p[2] = std::uint8_t((x ^ y) & 0xff);
            }
        }
        Image mask(90, 70, 1);
        for (int y = 20; y < 40; ++y) {
            for (int x = 30; x < 60; ++x) *mask.pixel(x, y) = 255;
        }
        request.initImage = picture;
        request.mask = mask;
        request.strength = 1.0f;
        request.maskOptions.blurPixels = 3;
        for (const bool onlyMasked : {false, true}) {
            request.maskOptions.onlyMasked = onlyMasked;
            const auto result = m_engine.generate(request);
            const Image& out = result.images.at(0).image;
            QCOMPARE(out.width, 90);
            QCOMPARE(out.height, 70);
            int changedInside = 0;
            for (int y = 0; y < 70; ++y) {
                for (int x = 0; x < 90; ++x) {
                    const bool nearMask = x >= 30 - 3 && x < 60 + 3 && y >= 20 - 3 && y < 40 + 3;
                    const bool same = std::memcmp(out.pixel(x, y), picture.pixel(x, y), 3) == 0;
                    if (!nearMask) QVERIFY2(same, qPrintable(QStringLiteral("(%1, %2) changed").arg(x).arg(y)));
                    if (*mask.pixel(x, y) && !same) ++changedInside;
                }
            }
            QVERIFY(changedInside > 500);
        }
    }

    void outpaintExtendsTheCanvas() {
        auto request = tinyRequest();
        request.initImage = Image(64, 64, 3, 120);
        request.outpaint.right = 32;
        request.outpaint.bottom = 8;
        request.outpaint.fill = OutpaintFill::EdgeExtend;
        const auto result = m_engine.generate(request);
        const Image& out = result.images.at(0).image;
        QCOMPARE(out.width, 96);
        QCOMPARE(out.height, 72);
        QCOMPARE(int(out.pixel(10, 10)[0]), 120);  // far from the new area: the old picture exactly
        QVERIFY(QString::fromStdString(result.images[0].parameters).contains(QStringLiteral("Size: 96x72")));
    }

    void inpaintingModelDrawsWholePicturesToo() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-inpaint-diffusers/model_index.json");
        auto request = tinyRequest();
        request.model = test::fixturePathStd(QStringLiteral("tiny-sd15-inpaint-diffusers"));
        QCOMPARE(m_engine.generate(request).images.at(0).image.width, 64);
        request.initImage = Image(64, 64, 3, 10);
        request.mask = Image(64, 64, 1);
        try {
            m_engine.generate(request);
            QFAIL("an empty mask must be refused");
        } catch (const Error& error) {
            QCOMPARE(error.kind(), ErrorKind::InvalidRequest);
        }
    }
};

QTEST_GUILESS_MAIN(TestEngineGenerate)
#include "tst_engine_generate.moc"
