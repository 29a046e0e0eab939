// Qwen-Image's three networks against diffusers/transformers on the tiny fixture model: the Qwen2.5-VL text
// encoder, the MMDiT transformer at two timesteps and the VAE both ways (components within 1e-4).
#include "common/fixtures.h"
#include "model_test_support.h"

#include "models/autoencoder_qwenimage.h"
#include "models/qwen2_text_model.h"
#include "models/qwenimage_transformer.h"
#include "models/weights.h"
#include "runtime/memory.h"

#include <storybrush/error.h>

#include <QtTest/QtTest>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <torch/torch.h>

using namespace storybrush;

namespace {

constexpr double kComponentTolerance = 1e-4;

std::string fixture(const char* relative) { return test::fixturePathStd(QString::fromUtf8(relative)); }

const runtime::ComputeTarget kCpu{torch::kCPU, torch::kFloat32};

models::QwenImageTransformerConfig tinyTransformerConfig() {
    return models::QwenImageTransformerConfig::fromFile(fixture("tiny-qwenimage/transformer/config.json"));
}

models::QwenImageTransformer2DModel tinyTransformer(const runtime::ComputeTarget& target) {
    return models::loadQwenImageTransformer(
        tinyTransformerConfig(),
        test::readStateDict(fixture("tiny-qwenimage/transformer/diffusion_pytorch_model.safetensors")), target);
}

}  // namespace

class TestQwenImageModels : public QObject {
    Q_OBJECT

    std::map<std::string, torch::Tensor> m_reference;

private Q_SLOTS:
    void initTestCase() {
        if (QFileInfo::exists(test::fixturePath(QStringLiteral("tiny-qwenimage-ref.safetensors"))))
            m_reference = test::readReference(fixture("tiny-qwenimage-ref.safetensors"));
    }

    void textEncoderMatchesTransformers() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/text_encoder/model.safetensors");
        torch::NoGradGuard noGrad;
        const auto config = models::Qwen2TextConfig::fromFile(fixture("tiny-qwenimage/text_encoder/config.json"));
        QCOMPARE(config.hiddenSize, std::int64_t(16));
        QCOMPARE(config.ropeTheta, 1000000.0);
        auto model = models::loadQwen2TextModel(
            config, test::readStateDict(fixture("tiny-qwenimage/text_encoder/model.safetensors")), kCpu);
        const auto ids = m_reference.at("te.input_ids").to(torch::kInt64);
        const auto mask = m_reference.at("te.attention_mask").to(torch::kInt64);
        const auto out = model->forward(ids, mask);
        const auto expected = m_reference.at("te.hidden_last");
        const auto real = mask[0].sum().item<std::int64_t>();
        QVERIFY(real < ids.size(1));  // the fixture has padding: the real tokens must not see it
        const double realDiff = test::maxAbsDiff(out.slice(1, 0, real), expected.slice(1, 0, real));
        QVERIFY2(realDiff < kComponentTolerance, qPrintable(QString::number(realDiff)));
        const double paddedDiff = test::maxAbsDiff(out, expected);
        QVERIFY2(paddedDiff < kComponentTolerance, qPrintable(QStringLiteral("padding rows: %1").arg(paddedDiff)));
    }

    void transformerMatchesDiffusers_data() {
        QTest::addColumn<QString>("timestep");
        QTest::newRow("t=1.0") << QStringLiteral("1.0");
        QTest::newRow("t=0.5") << QStringLiteral("0.5");
    }

    void transformerMatchesDiffusers() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/diffusion_pytorch_model.safetensors");
        QFETCH(QString, timestep);
        torch::NoGradGuard noGrad;
        static auto model = tinyTransformer(kCpu);
        const auto t = torch::full({1}, timestep.toDouble());
        const auto out =
            model->forward(m_reference.at("tr.hidden_states"), m_reference.at("tr.encoder_hidden_states"), {}, t, 4, 4);
        const double diff = test::maxAbsDiff(out, m_reference.at("tr.out_t" + timestep.toStdString()));
        QVERIFY2(diff < kComponentTolerance, qPrintable(QString::number(diff)));
        // A mask of all ones is the same as none.
        const auto ones = torch::ones({1, m_reference.at("tr.encoder_hidden_states").size(1)});
        const auto masked = model->forward(m_reference.at("tr.hidden_states"),
                                           m_reference.at("tr.encoder_hidden_states"), ones, t, 4, 4);
        QCOMPARE(test::maxAbsDiff(masked, out), 0.0);
    }

    // The FP16 safety path (streams kept at a power-of-two scale) is exact maths: in FP32 it gives the reference,
    // and with streams a million times larger (as the trained model's) it stays finite and close.
    void scaledStreamsAreExact() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto model = tinyTransformer(kCpu);
        model->scaleStreams = true;
        const auto t = torch::full({1}, 1.0);
        const auto image = m_reference.at("tr.hidden_states");
        const auto text = m_reference.at("tr.encoder_hidden_states");
        const double diff = test::maxAbsDiff(model->forward(image, text, {}, t, 4, 4), m_reference.at("tr.out_t1.0"));
        QVERIFY2(diff < kComponentTolerance, qPrintable(QString::number(diff)));
        model->streamGainForTest = 1e6;
        const auto scaled = model->forward(image, text, {}, t, 4, 4);
        model->scaleStreams = false;
        const auto plain = model->forward(image, text, {}, t, 4, 4);
        QVERIFY(torch::isfinite(scaled).all().item<bool>());
        const double gained = test::maxAbsDiff(scaled, plain);
        QVERIFY2(gained < 1e-3 * plain.abs().max().item<double>(), qPrintable(QString::number(gained)));
    }

    // FP16 made safe, shown on the GPU: two full-size random blocks (dim 3072, 24 heads) at 1024x1024
    // (4096 picture tokens) with streams pushed to 1e5..1e7. Plain FP16 overflows; scaled FP16 stays finite and
    // within 1 % of FP32.
    void fp16StaysFiniteWithHugeStreams() {
        STORYBRUSH_REQUIRE_CUDA();
        torch::NoGradGuard noGrad;
        models::QwenImageTransformerConfig config;
        config.numLayers = 2;
        const auto cuda32 = torch::TensorOptions().device(torch::kCUDA).dtype(torch::kFloat32);
        models::QwenImageTransformer2DModel wide(config, cuda32);
        torch::manual_seed(5);
        for (auto& item : wide->named_parameters()) {
            auto& p = item.value();
            const bool bias = item.key().size() > 4 && item.key().compare(item.key().size() - 4, 4, "bias") == 0;
            if (bias) p.zero_();
            else if (p.dim() < 2) p.fill_(1.0);
            else p.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(p.size(1))));
        }
        models::QwenImageTransformer2DModel half(config, cuda32.dtype(torch::kFloat16));
        {
            auto from = wide->named_parameters();
            for (auto& item : half->named_parameters()) item.value().copy_(from[item.key()]);
        }
        const auto image = torch::randn({1, 64 * 64, config.inChannels}, cuda32);
        const auto text = torch::randn({1, 32, config.jointAttentionDim}, cuda32);
        const auto t = torch::full({1}, 0.6, cuda32);
        for (double gain : {1e5, 1e6, 1e7}) {
            wide->streamGainForTest = gain;
            half->streamGainForTest = gain;
            const auto reference = wide->forward(image, text, {}, t, 64, 64);
            half->scaleStreams.reset();
            const auto scaled =
                half->forward(image.to(torch::kFloat16), text.to(torch::kFloat16), {}, t, 64, 64).to(torch::kFloat32);
            half->scaleStreams = false;
            const auto plain = half->forward(image.to(torch::kFloat16), text.to(torch::kFloat16), {}, t, 64, 64);
            const double relative =
                (scaled - reference).abs().max().item<double>() / reference.abs().max().item<double>();
            qInfo("gain %.0e: scaled FP16 finite %d, max error / max |FP32| = %.2e; plain FP16 finite %d", gain,
                  int(torch::isfinite(scaled).all().item<bool>()), relative,
                  int(torch::isfinite(plain).all().item<bool>()));
            QVERIFY(torch::isfinite(scaled).all().item<bool>());
            QVERIFY2(relative < 1e-2, qPrintable(QString::number(relative)));
            QVERIFY(!torch::isfinite(plain).all().item<bool>());
        }
    }

    // FP16 against FP32 on the tiny model (the drift docs/performance.md reports), on the GPU.
    void tinyModelFp16AgainstFp32() {
        STORYBRUSH_REQUIRE_CUDA();
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage-ref.safetensors");
        torch::NoGradGuard noGrad;
        auto wide = tinyTransformer({torch::kCUDA, torch::kFloat32});
        auto half = tinyTransformer({torch::kCUDA, torch::kFloat16});
        const auto image = m_reference.at("tr.hidden_states").cuda();
        const auto text = m_reference.at("tr.encoder_hidden_states").cuda();
        const auto t = torch::full({1}, 0.5, image.options());
        const auto reference = wide->forward(image, text, {}, t, 4, 4);
        const auto fp16 =
            half->forward(image.to(torch::kFloat16), text.to(torch::kFloat16), {}, t, 4, 4).to(torch::kFloat32);
        const double diff = test::maxAbsDiff(fp16, reference);
        qInfo("tiny transformer FP16 vs FP32: max abs diff %.3e (outputs up to %.2f)", diff,
              reference.abs().max().item<double>());
        QVERIFY2(diff < 2e-2, qPrintable(QString::number(diff)));
    }

    // FP8 storage of the blocks' weights halves their bytes and keeps the output close (GPU build only).
    void fp8WeightsStayClose() {
        STORYBRUSH_REQUIRE_CUDA();
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage-ref.safetensors");
        torch::NoGradGuard noGrad;
        auto model = tinyTransformer(runtime::ComputeTarget{torch::kCUDA, torch::kBFloat16});
        auto bytes = [&] {
            std::int64_t total = 0;
            for (const auto& p : model->transformer_blocks->parameters()) total += p.numel() * p.element_size();
            return total;
        };
        const auto image = m_reference.at("tr.hidden_states").cuda().to(torch::kBFloat16);
        const auto text = m_reference.at("tr.encoder_hidden_states").cuda().to(torch::kBFloat16);
        const auto t = torch::full({1}, 0.5, torch::TensorOptions().device(torch::kCUDA));
        const auto before = model->forward(image, text, {}, t, 4, 4).to(torch::kFloat32);
        const auto bytesBefore = bytes();
        model->storeBlockWeightsAsFloat8();
        const auto after = model->forward(image, text, {}, t, 4, 4).to(torch::kFloat32);
        QVERIFY(bytes() < bytesBefore * 6 / 10);
        const double relative = (after - before).abs().max().item<double>() / before.abs().max().item<double>();
        qInfo("tiny transformer FP8 blocks vs BF16: max error / max |out| = %.2e", relative);
        QVERIFY2(relative < 0.1, qPrintable(QString::number(relative)));
    }

    // `bench --gpu-memory` holds the allocator to a smaller card: past the cap an allocation fails as it would
    // there, below it all is as before (GPU build only).
    void memoryCapHoldsTheAllocator() {
        STORYBRUSH_REQUIRE_CUDA();
        const torch::Device gpu(torch::kCUDA, 0);
        runtime::capDeviceMemory(gpu, 1e9);  // no cap yet, and what earlier tests left cached goes back
        const double cap = runtime::capDeviceMemory(gpu, runtime::deviceUsedGiB(gpu) + 1.0);
        QVERIFY(cap > 0.0);
        bool refused = false;
        try {
            const auto tooBig =
                torch::empty({std::int64_t(2) << 30}, torch::TensorOptions().device(gpu).dtype(torch::kUInt8));
        } catch (const std::exception&) {
            refused = true;
        }
        const auto fits =
            torch::empty({std::int64_t(256) << 20}, torch::TensorOptions().device(gpu).dtype(torch::kUInt8));
        runtime::capDeviceMemory(gpu, 1e9);  // the whole card again, for the tests after this one
        QVERIFY2(refused, "2 GiB were allocated under a cap of 1 GiB");
        QCOMPARE(fits.numel(), std::int64_t(256) << 20);
    }

    // Padding the text and masking it off gives what the shorter text alone gives (what batching prompts of
    // different lengths relies on).
    void maskedPaddingChangesNothing() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto model = tinyTransformer(kCpu);
        const auto text = m_reference.at("tr.encoder_hidden_states");
        const auto padded = torch::cat({text, torch::randn({1, 3, text.size(2)})}, 1);
        auto mask = torch::ones({1, padded.size(1)});
        mask.slice(1, text.size(1)).zero_();
        const auto t = torch::full({1}, 0.7);
        const auto plain = model->forward(m_reference.at("tr.hidden_states"), text, {}, t, 4, 4);
        const auto withPadding = model->forward(m_reference.at("tr.hidden_states"), padded, mask, t, 4, 4);
        const double diff = test::maxAbsDiff(plain, withPadding);
        QVERIFY2(diff < 1e-5, qPrintable(QString::number(diff)));
    }

    // Every tensor of the full-size 20.4 B transformer and of the VAE (names and shapes as published) lands on
    // a module parameter of the same shape, and every parameter is covered: built on the meta device.
    void everyFullSizeKeyIsMapped() {
        STORYBRUSH_REQUIRE_FIXTURE("keys_qwenimage.tsv");
        std::ifstream in(fixture("keys_qwenimage.tsv"));
        std::string line;
        std::getline(in, line);  // header
        io::StateDict transformer, vae;
        const auto meta = torch::TensorOptions().device(torch::Device(torch::kMeta)).dtype(torch::kBFloat16);
        int rows = 0;
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string component, key, shapeText;
            std::getline(fields, component, '\t');
            std::getline(fields, key, '\t');
            std::getline(fields, shapeText, '\t');
            std::vector<std::int64_t> shape;
            std::istringstream dims(shapeText);
            for (std::string dim; std::getline(dims, dim, 'x');) shape.push_back(std::stoll(dim));
            (component == "vae" ? vae : transformer).tensors[key] = torch::empty(shape, meta);
            ++rows;
        }
        QCOMPARE(rows, 2127);
        models::QwenImageTransformer2DModel full(models::QwenImageTransformerConfig{}, meta);
        models::checkStrict(*full, transformer);  // throws listing any key missing, left over or misshapen
        QCOMPARE(static_cast<int>(transformer.tensors.size()), static_cast<int>(full->parameters().size()));
        std::int64_t count = 0;
        for (const auto& p : full->parameters()) count += p.numel();
        QVERIFY2(std::abs(count / 1e9 - 20.43) < 0.01, qPrintable(QString::number(count)));
        const auto vaeConfig = models::QwenImageVaeConfig::fromJson(nlohmann::json::object(), "defaults");
        models::AutoencoderQwenImage fullVae(vaeConfig, meta);
        models::checkStrict(*fullVae, models::qwenImageVaeSingleFrame(vae));
        QCOMPARE(static_cast<int>(vae.tensors.size()), static_cast<int>(fullVae->parameters().size()));
    }

    void packingRoundTrips() {
        const auto latents = torch::randn({2, 16, 6, 10});
        const auto packed = models::packQwenLatents(latents);
        QCOMPARE(packed.sizes().vec(), (std::vector<std::int64_t>{2, 15, 64}));
        QCOMPARE(test::maxAbsDiff(models::unpackQwenLatents(packed, 6, 10), latents), 0.0);
    }

    void vaeDecodesAsDiffusers() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/vae/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        const auto config = models::QwenImageVaeConfig::fromFile(fixture("tiny-qwenimage/vae/config.json"));
        QCOMPARE(config.scaleFactor(), std::int64_t(4));
        auto vae = models::loadQwenImageVae(
            config, test::readStateDict(fixture("tiny-qwenimage/vae/diffusion_pytorch_model.safetensors")), kCpu);
        const auto decoded = vae->decodeRaw(m_reference.at("vae.z").squeeze(2));
        const double decodeDiff = test::maxAbsDiff(decoded, m_reference.at("vae.decoded").squeeze(2));
        QVERIFY2(decodeDiff < kComponentTolerance, qPrintable(QString::number(decodeDiff)));
        const auto posterior = vae->encodeRaw(m_reference.at("vae.image").squeeze(2));
        const double meanDiff = test::maxAbsDiff(posterior.mean, m_reference.at("vae.enc_mean").squeeze(2));
        const double stdDiff = test::maxAbsDiff(posterior.std, m_reference.at("vae.enc_std").squeeze(2));
        QVERIFY2(meanDiff < kComponentTolerance, qPrintable(QString::number(meanDiff)));
        QVERIFY2(stdDiff < kComponentTolerance, qPrintable(QString::number(stdDiff)));
    }

    void refusesVariantsAndBadConfigs() {
        auto message = [](const char* text) {
            try {
                models::QwenImageTransformerConfig::fromJson(nlohmann::json::parse(text), "config.json");
            } catch (const Error& error) {
                return QString::fromUtf8(error.what());
            }
            return QString();
        };
        QVERIFY(message(R"({"zero_cond_t": true})").contains(QStringLiteral("Edit")));
        QVERIFY(
            message(R"({"axes_dims_rope": [8, 4, 4], "attention_head_dim": 32})").contains(QStringLiteral("add up")));
        QVERIFY(message(R"({})").isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestQwenImageModels)
#include "tst_qwenimage_models.moc"
