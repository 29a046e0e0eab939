// Seeded CPU noise equals torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed)), and the
// per-step noise source draws one continuous stream (or one stream per picture).
#include "sampling/noise.h"

#include "io/safetensors.h"

#include "common/fixtures.h"

#include <storybrush/error.h>

#include <QtTest/QtTest>
#include <torch/torch.h>

using namespace storybrush;
using namespace storybrush::sampling;

class TestNoise : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void equalsTorchRandnForEverySeedAndShape_data() {
        QTest::addColumn<qulonglong>("seed");
        QTest::addColumn<QString>("shape");
        for (qulonglong seed : {0ULL, 1ULL, 42ULL, 123456789ULL}) {
            for (const char* shape : {"1x4x8x8", "1x4x64x64"}) {
                QTest::addRow("seed%llu_%s", seed, shape) << seed << QString::fromLatin1(shape);
            }
        }
    }

    void equalsTorchRandnForEverySeedAndShape() {
        QFETCH(qulonglong, seed);
        QFETCH(QString, shape);
        STORYBRUSH_REQUIRE_FIXTURE("cpu_randn_ref.safetensors");
        const auto file = io::SafetensorsFile::open(test::fixturePathStd(QStringLiteral("cpu_randn_ref.safetensors")));
        const std::string name = "randn_seed" + std::to_string(seed) + "_" + shape.toStdString();
        const auto* info = file->find(name);
        QVERIFY2(info, name.c_str());
        const torch::Tensor expected = io::tensorView(file, *info);
        const torch::Tensor actual = cpuNoise(seed, expected.sizes());
        QCOMPARE(actual.scalar_type(), torch::kFloat32);
        QVERIFY(actual.device().is_cpu());
        QCOMPARE(actual.sizes().vec(), expected.sizes().vec());
        QVERIFY2(
            torch::equal(actual, expected),
            qPrintable(QStringLiteral("max abs difference %1").arg((actual - expected).abs().max().item<double>())));
    }

    // Fewer than 16 values take libtorch's scalar path. The reference is the value PyTorch's own docs and
    // tutorials print for torch.manual_seed(0); torch.randn(3) (4 decimals).
    void smallShapesUseTheScalarPathOfTorch() {
        const torch::Tensor small = cpuNoise(0, {3});
        const double expected[] = {1.5410, -0.2934, -2.1788};
        for (int i = 0; i < 3; ++i) QVERIFY(std::abs(small[i].item<double>() - expected[i]) < 1e-4);
        QVERIFY(torch::equal(cpuNoise(7, {2, 3}), cpuNoise(7, {2, 3})));
        QVERIFY(!torch::equal(cpuNoise(7, {2, 3}), cpuNoise(8, {2, 3})));
    }

    void aSourceDrawsOneContinuousStream() {
        // Sizes that are multiples of 16 draw their uniforms in order, so two draws of 256 from one generator
        // are the one draw of 512 that a fresh generator with the same seed makes.
        CpuNoiseSource source(123);
        const torch::Tensor first = source.next({1, 4, 8, 8});
        const torch::Tensor second = source.next({1, 4, 8, 8});
        QVERIFY(torch::equal(first, cpuNoise(123, {1, 4, 8, 8})));
        QVERIFY(!torch::equal(first, second));
        QVERIFY(torch::equal(torch::cat({first, second}), cpuNoise(123, {2, 4, 8, 8})));
    }

    void onePictureOneGeneratorInABatch() {
        CpuNoiseSource source(std::vector<std::uint64_t>{5, 6});
        const torch::Tensor batch = source.next({2, 4, 8, 8});
        QVERIFY(torch::equal(batch[0], cpuNoise(5, {1, 4, 8, 8})[0]));
        QVERIFY(torch::equal(batch[1], cpuNoise(6, {1, 4, 8, 8})[0]));
        QVERIFY_THROWS_EXCEPTION(Error, source.next({3, 4, 8, 8}));
        QVERIFY_THROWS_EXCEPTION(Error, CpuNoiseSource(std::vector<std::uint64_t>{}));
    }
};

QTEST_GUILESS_MAIN(TestNoise)
#include "tst_noise.moc"
