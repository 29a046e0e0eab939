// AutoencoderKL against diffusers' outputs for the tiny SD 1.5 VAE: raw decode and the encoder's
// latent distribution.
#include "common/fixtures.h"
#include "model_test_support.h"
#include "models/autoencoder_kl.h"
#include "models/autoencoder_tiny.h"

#include <storybrush/error.h>

#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>
#include <torch/torch.h>

#include <algorithm>

using namespace storybrush;

namespace {

constexpr double kTolerance = 1e-4;  // docs/environment.md (Fixtures): single components, float32

models::AutoencoderKL loadVae(const runtime::ComputeTarget& target = {}) {
    return test::loadFixtureComponent(models::loadAutoencoderKL, QStringLiteral("tiny-sd15-diffusers/vae"),
                                      "diffusion_pytorch_model.safetensors", target);
}

}  // namespace

class TestAutoencoderKL : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsTheDiffusersConfig() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/vae/config.json");
        const auto config = models::AutoencoderKLConfig::fromFile(
            test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers/vae/config.json")));
        QCOMPARE(config.blockOutChannels, (std::vector<std::int64_t>{16, 16, 32, 32}));
        QCOMPARE(config.layersPerBlock, 2);
        QCOMPARE(config.normNumGroups, 8);
        QCOMPARE(config.scalingFactor, 0.18215);
        QVERIFY(!config.shiftFactor);
    }

    void decodeMatchesDiffusers() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-components-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/vae/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto ref = test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd15-components-ref.safetensors")));
        auto vae = loadVae();
        const auto decoded = vae->decode(ref.at("vae.z"));
        const auto error = test::maxAbsDiff(decoded, ref.at("vae.decoded"));
        qInfo("decode max abs error %.3g", error);
        QCOMPARE(decoded.sizes().vec(), (std::vector<std::int64_t>{1, 3, 64, 64}));
        QVERIFY(error <= kTolerance);
    }

    void encodeMatchesDiffusers() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-components-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/vae/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto ref = test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd15-components-ref.safetensors")));
        auto vae = loadVae();
        const auto latent = vae->encode(ref.at("vae.image"));
        const auto meanError = test::maxAbsDiff(latent.mean, ref.at("vae.enc_mean"));
        const auto stdError = test::maxAbsDiff(latent.std, ref.at("vae.enc_std"));
        qInfo("encode max abs error: mean %.3g, std %.3g", meanError, stdError);
        QVERIFY(meanError <= kTolerance);
        QVERIFY(stdError <= kTolerance);
    }

    void cudaDecodeMatchesDiffusers() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-components-ref.safetensors");
        STORYBRUSH_REQUIRE_CUDA();
        torch::NoGradGuard noGrad;
        auto ref = test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd15-components-ref.safetensors")));
        auto vae = loadVae({torch::Device(torch::kCUDA), torch::kFloat32});
        const auto decoded = vae->decode(ref.at("vae.z").cuda()).cpu();
        const auto latent = vae->encode(ref.at("vae.image").cuda());
        const auto error = std::max({test::maxAbsDiff(decoded, ref.at("vae.decoded")),
                                     test::maxAbsDiff(latent.mean.cpu(), ref.at("vae.enc_mean")),
                                     test::maxAbsDiff(latent.std.cpu(), ref.at("vae.enc_std"))});
        qInfo("CUDA max abs error %.3g", error);
        QVERIFY(error <= kTolerance);
    }

    void nonSquareImagesRoundTripInShape() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/vae/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto vae = loadVae();
        const auto latent = vae->encode(torch::rand({1, 3, 64, 96}) * 2 - 1);
        QCOMPARE(latent.mean.sizes().vec(), (std::vector<std::int64_t>{1, 4, 8, 12}));
        QVERIFY((latent.std > 0).all().item<bool>());
        const auto image = vae->decode(latent.mean);
        QCOMPARE(image.sizes().vec(), (std::vector<std::int64_t>{1, 3, 64, 96}));
    }

    void tinyPreviewDecoderMatchesDiffusers() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-taesd-diffusers/config.json");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-taesd-ref.safetensors");
        const auto reference = test::readReference(test::fixturePathStd(QStringLiteral("tiny-taesd-ref.safetensors")));
        const auto decoder = models::TinyDecoder::load(test::fixturePathStd(QStringLiteral("tiny-taesd-diffusers")));
        const double error = test::maxAbsDiff(decoder->decode(reference.at("z")), reference.at("decoded"));
        QVERIFY2(error <= 1e-4, qPrintable(QString::number(error)));
        // Found beside a model in vae_approx/.
        QTemporaryDir dir;
        QDir().mkpath(dir.filePath(QStringLiteral("model/vae_approx")));
        for (const char* name : {"config.json", "diffusion_pytorch_model.safetensors"}) {
            QVERIFY(QFile::copy(test::fixturePath(QStringLiteral("tiny-taesd-diffusers/") + QLatin1String(name)),
                                dir.filePath(QStringLiteral("model/vae_approx/") + QLatin1String(name))));
        }
        QVERIFY(!models::TinyDecoder::findFor(dir.filePath(QStringLiteral("model")).toStdString()).empty());
        QVERIFY(models::TinyDecoder::findFor(dir.path().toStdString() + "/elsewhere.safetensors").empty());
    }

    void refusesWrongChannelCounts() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/vae/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto vae = loadVae();
        QVERIFY_THROWS_EXCEPTION(Error, vae->decode(torch::zeros({1, 3, 8, 8})));
        QVERIFY_THROWS_EXCEPTION(Error, vae->encode(torch::zeros({1, 4, 64, 64})));
    }
};

QTEST_GUILESS_MAIN(TestAutoencoderKL)
#include "tst_autoencoder_kl.moc"
