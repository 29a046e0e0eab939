// The CLIP text encoder against transformers' outputs for the tiny SD 1.5 and SD 2.x encoders.
#include "common/fixtures.h"
#include "model_test_support.h"
#include "models/clip_text_model.h"

#include <storybrush/error.h>

#include <QtTest/QtTest>
#include <torch/torch.h>

using namespace storybrush;

namespace {

constexpr double kTolerance = 1e-4;  // docs/environment.md (Fixtures): single components, float32

models::ClipTextModel loadEncoder(const QString& componentFolder, const runtime::ComputeTarget& target = {}) {
    return test::loadFixtureComponent(models::loadClipTextModel, componentFolder, "model.safetensors", target);
}

}  // namespace

class TestClipTextModel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsTheTransformersConfig() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-diffusers/text_encoder/config.json");
        const auto config = models::ClipTextConfig::fromFile(
            test::fixturePathStd(QStringLiteral("tiny-sd2v-diffusers/text_encoder/config.json")));
        QCOMPARE(config.hiddenSize, 32);
        QCOMPARE(config.numHiddenLayers, 3);
        QCOMPARE(config.numAttentionHeads, 2);
        QCOMPARE(config.intermediateSize, 64);
        QVERIFY(config.hiddenAct == models::Activation::Gelu);
        QCOMPARE(config.eosTokenId, 49407);
        QVERIFY(!config.withProjection);
    }

    void refusesAMalformedConfigNamingTheField() {
        try {
            models::ClipTextConfig::fromJsonText(R"({"hidden_size": "wide"})", "te/config.json");
            QFAIL("expected an error");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::ModelFile);
            const QString message = QString::fromStdString(e.what());
            QVERIFY2(message.contains(QStringLiteral("hidden_size")) &&
                         message.contains(QStringLiteral("te/config.json")),
                     e.what());
        }
    }

    void sd15MatchesTransformersIncludingClipSkip() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-components-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/text_encoder/model.safetensors");
        torch::NoGradGuard noGrad;
        auto ref = test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd15-components-ref.safetensors")));
        auto encoder = loadEncoder(QStringLiteral("tiny-sd15-diffusers/text_encoder"));
        const auto ids = ref.at("te.input_ids").to(torch::kLong);
        const auto out = encoder->forward(ids);
        QCOMPARE(out.hiddenStates.size(), std::size_t(4));  // embeddings + 3 layers
        const auto last = test::maxAbsDiff(out.lastHiddenState, ref.at("te.last_hidden_state"));
        const auto penultimate =
            test::maxAbsDiff(out.hiddenStates[out.hiddenStates.size() - 2], ref.at("te.penultimate_raw"));
        const auto skipped = test::maxAbsDiff(encoder->promptEmbeddings(ids, 1), ref.at("te.penultimate_final_ln"));
        qInfo("max abs error: last %.3g, penultimate %.3g, clip skip %.3g", last, penultimate, skipped);
        QVERIFY(last <= kTolerance);
        QVERIFY(penultimate <= kTolerance);
        QVERIFY(skipped <= kTolerance);
        QVERIFY(test::maxAbsDiff(encoder->promptEmbeddings(ids, 0), ref.at("te.last_hidden_state")) <= kTolerance);
    }

    void sd2MatchesTransformers() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-diffusers/text_encoder/model.safetensors");
        torch::NoGradGuard noGrad;
        auto ref = test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd2v-ref.safetensors")));
        auto encoder = loadEncoder(QStringLiteral("tiny-sd2v-diffusers/text_encoder"));
        const auto out = encoder->forward(ref.at("te.input_ids").to(torch::kLong));
        const auto error = test::maxAbsDiff(out.lastHiddenState, ref.at("te.last_hidden_state"));
        qInfo("max abs error: %.3g", error);
        QVERIFY(error <= kTolerance);
    }

    void cudaMatchesTransformers() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-components-ref.safetensors");
        STORYBRUSH_REQUIRE_CUDA();
        torch::NoGradGuard noGrad;
        auto ref = test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd15-components-ref.safetensors")));
        auto encoder = loadEncoder(QStringLiteral("tiny-sd15-diffusers/text_encoder"),
                                   {torch::Device(torch::kCUDA), torch::kFloat32});
        const auto out = encoder->forward(ref.at("te.input_ids").to(torch::kLong));
        const auto error = test::maxAbsDiff(out.lastHiddenState.cpu(), ref.at("te.last_hidden_state"));
        qInfo("CUDA max abs error %.3g", error);
        QVERIFY(error <= kTolerance);
    }

    void pooledOutputIsTheFirstEosTokenAndIsProjected() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sdxl-diffusers/text_encoder_2/model.safetensors");
        torch::NoGradGuard noGrad;
        auto encoder = loadEncoder(QStringLiteral("tiny-sdxl-diffusers/text_encoder"));  // no projection
        QVERIFY(!encoder->text_projection);
        auto projected = loadEncoder(QStringLiteral("tiny-sdxl-diffusers/text_encoder_2"));
        const auto& config = projected->config;
        QVERIFY(config.withProjection);
        // BOS, two words, EOS at position 3, then EOS padding: the pooled row is position 3.
        auto ids = torch::full({2, 77}, 49407, torch::kLong);
        ids.index_put_({torch::indexing::Slice(), 0}, 49406);
        ids.index_put_({0, 1}, 320);
        ids.index_put_({0, 2}, 1929);
        ids.index_put_({1, 1}, 2368);
        const auto out = projected->forward(ids);
        QVERIFY(torch::equal(out.pooled[0], out.lastHiddenState[0][3]));
        QVERIFY(torch::equal(out.pooled[1], out.lastHiddenState[1][2]));
        QCOMPARE(out.textEmbeds.sizes().vec(), (std::vector<std::int64_t>{2, config.projectionDim}));
        const auto expected = torch::matmul(out.pooled, projected->text_projection->weight.t());
        QVERIFY(test::maxAbsDiff(out.textEmbeds, expected) <= 1e-6);
    }

    void refusesTokenIdsOutsideTheVocabulary() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/text_encoder/model.safetensors");
        torch::NoGradGuard noGrad;
        auto encoder = loadEncoder(QStringLiteral("tiny-sd15-diffusers/text_encoder"));
        auto ids = torch::full({1, 77}, 49407, torch::kLong);
        ids.index_put_({0, 5}, 60000);
        QVERIFY_THROWS_EXCEPTION(Error, encoder->forward(ids));
        QVERIFY_THROWS_EXCEPTION(Error, encoder->forward(torch::zeros({1, 78}, torch::kLong)));
    }
};

QTEST_GUILESS_MAIN(TestClipTextModel)
#include "tst_clip_text_model.moc"
