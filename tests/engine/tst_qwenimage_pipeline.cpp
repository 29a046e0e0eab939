// Qwen-Image end to end against diffusers' QwenImagePipeline on the tiny fixture: the chat-template prompt
// encoding (ids and embeddings), three guided flow-matching steps (within 1e-3), and the engine drawing,
// re-drawing and repainting with it.
#include "common/fixtures.h"
#include "model_test_support.h"

#include "io/safetensors_writer.h"
#include "pipeline/families/qwen_image.h"
#include "pipeline/generation.h"
#include "pipeline/qwen_image.h"
#include "runtime/speed.h"

#include <storybrush/engine.h>
#include <storybrush/error.h>

#include <QtTest/QtTest>
#include <torch/torch.h>

#include <filesystem>

using namespace storybrush;

namespace {

std::string fixture(const char* relative) { return test::fixturePathStd(QString::fromUtf8(relative)); }

const runtime::ComputeTarget kCpu{torch::kCPU, torch::kFloat32};

}  // namespace

class TestQwenImagePipeline : public QObject {
    Q_OBJECT

    std::unique_ptr<pipeline::QwenImageParts> m_parts;

    bool loadParts() {
        if (!m_parts) m_parts = pipeline::loadQwenImageParts(fixture("tiny-qwenimage"), kCpu);
        return true;
    }

private Q_SLOTS:
    void promptEncodingMatchesThePipeline() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage-prompt-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/config.json");
        QVERIFY(loadParts());
        const auto reference = test::readReference(fixture("tiny-qwenimage-prompt-ref.safetensors"));
        const std::vector<std::string> prompts{"a cute panda", "一只戴着红帽子的小兔子在草地上", ""};
        for (std::size_t i = 0; i < prompts.size(); ++i) {
            const auto row = static_cast<std::int64_t>(i);
            const auto idsLength = reference.at("template_mask")[row].sum().item<std::int64_t>();
            const auto expectedIds = reference.at("template_ids")[row].slice(0, 0, idsLength).to(torch::kInt64);
            const auto ids = pipeline::qwenTemplateIds(*m_parts->tokenizer, prompts[i]);
            QCOMPARE(static_cast<std::int64_t>(ids.size()), idsLength);
            for (std::int64_t k = 0; k < idsLength; ++k)
                QCOMPARE(ids[k], static_cast<int>(expectedIds[k].item<std::int64_t>()));

            const auto embedsLength = reference.at("prompt_mask")[row].sum().item<std::int64_t>();
            const auto embeds = pipeline::encodeQwenPrompt(*m_parts, prompts[i]);
            QCOMPARE(embeds.size(1), embedsLength);
            const double diff =
                test::maxAbsDiff(embeds[0], reference.at("prompt_embeds")[row].slice(0, 0, embedsLength));
            QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("prompt %1: %2").arg(i).arg(diff)));
        }
    }

    void guidedStepsMatchThePipeline() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/config.json");
        QVERIFY(loadParts());
        const auto reference = test::readReference(fixture("tiny-qwenimage-ref.safetensors"));
        const auto latentsIn = reference.at("pipe.latents_in");
        // 32x32 pixels, VAE factor 4: 8x8 latents, 4x4 patches
        const auto schedule = sampling::flowMatchSchedule(m_parts->scheduler, 3, latentsIn.size(1));
        const auto out = pipeline::denoiseQwen(*m_parts, schedule, latentsIn, reference.at("pipe.prompt_embeds"),
                                               reference.at("pipe.negative_prompt_embeds"), 4.0, 4, 4, 0, {}, nullptr);
        const double diff = test::maxAbsDiff(out, reference.at("pipe.latents_out"));
        QVERIFY2(diff < 1e-3, qPrintable(QString::number(diff)));
        // without guidance the result differs: the negative prompt takes part
        const auto unguided = pipeline::denoiseQwen(*m_parts, schedule, latentsIn, reference.at("pipe.prompt_embeds"),
                                                    {}, 4.0, 4, 4, 0, {}, nullptr);
        QVERIFY(test::maxAbsDiff(unguided, out) > 1e-3);
    }

    void engineDrawsRedrawsAndRepaints() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/config.json");
        const auto summary = pipeline::checkModel(fixture("tiny-qwenimage"));
        QVERIFY(summary.family->id() == "qwenimage");
        QCOMPARE(summary.nativeSize, 512);  // 128 latents x the tiny VAE's factor 4
        auto model =
            std::dynamic_pointer_cast<pipeline::QwenImageModel>(pipeline::loadModel(fixture("tiny-qwenimage"), kCpu));
        QVERIFY(model);
        GenerationRequest request;
        request.prompt = "a cute panda";
        request.steps = 4;
        request.cfgScale = 4.0f;
        int calls = 0;
        const auto count = [&](int, int, const torch::Tensor& latents) {
            ++calls;
            return latents.size(1) == 4;  // the callback sees unpacked latents [1, z, h, w]
        };
        const auto first = pipeline::drawPicture(*model, request, 7, 64, 48, count);
        QCOMPARE(calls, 4);
        QVERIFY(!first.stopped);
        QCOMPARE(first.image.width, 64);
        QCOMPARE(first.image.height, 48);
        QCOMPARE(first.latents.sizes().vec(), (std::vector<std::int64_t>{1, 4, 12, 16}));
        const auto again = pipeline::drawPicture(*model, request, 7, 64, 48, {});
        QCOMPARE(test::maxAbsDiff(again.latents, first.latents), 0.0);
        const auto other = pipeline::drawPicture(*model, request, 8, 64, 48, {});
        QVERIFY(test::maxAbsDiff(other.latents, first.latents) > 1e-3);

        // Image-to-image at strength 0.5 runs half the steps.
        pipeline::PictureInputs inputs;
        inputs.image = torch::rand({1, 3, 48, 64}) * 2 - 1;
        request.strength = 0.5f;
        calls = 0;
        pipeline::drawPicture(*model, request, 7, 64, 48, count, inputs);
        QCOMPARE(calls, 2);

        // Repainting nothing (mask all 0) ends on the picture's own latents; repainting everything does not.
        request.strength = 1.0f;
        inputs.mask = torch::zeros({1, 1, 48, 64});
        const auto kept = pipeline::drawPicture(*model, request, 7, 64, 48, {}, inputs);
        auto& parts = *model->parts;
        const auto clean = parts.vae->encode(inputs.image);
        QVERIFY2(test::maxAbsDiff(kept.latents, clean) < 1e-5,
                 qPrintable(QString::number(test::maxAbsDiff(kept.latents, clean))));
        inputs.mask = torch::ones({1, 1, 48, 64});
        const auto repainted = pipeline::drawPicture(*model, request, 7, 64, 48, {}, inputs);
        QVERIFY(test::maxAbsDiff(repainted.latents, clean) > 1e-2);

        // Step previews: the model's VAE on the latents, at most 256 pixels.
        const Image preview = pipeline::qwenStepPreview(parts, first.latents);
        QCOMPARE(preview.width, 64);
        QCOMPARE(preview.height, 48);
        QCOMPARE(preview.channels, 3);

        // Stopping from the callback stops.
        const auto stopped = pipeline::drawPicture(*model, request, 7, 64, 48,
                                                   [](int done, int, const torch::Tensor&) { return done < 2; });
        QVERIFY(stopped.stopped);
    }

    // ComfyUI's layout: the transformer alone in models/diffusion_models/ (here with its "model.diffusion_model."
    // prefix), the rest from a Qwen-Image folder elsewhere under models/. It draws what the folder draws.
    void loneTransformerFileDrawsWithItsCompanionFolder() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/diffusion_pytorch_model.safetensors");
        QTemporaryDir root;
        const QString models = root.filePath(QStringLiteral("models"));
        QVERIFY(QDir().mkpath(models + QStringLiteral("/diffusion_models")));
        const auto weights =
            test::readStateDict(fixture("tiny-qwenimage/transformer/diffusion_pytorch_model.safetensors"));
        std::vector<std::pair<std::string, torch::Tensor>> prefixed;
        for (const auto& [key, tensor] : weights.tensors) prefixed.emplace_back("model.diffusion_model." + key, tensor);
        const std::string lone =
            QString(models + QStringLiteral("/diffusion_models/qwen_image_tiny.safetensors")).toStdString();
        io::writeSafetensors(lone, prefixed);
        QString message;
        try {
            pipeline::checkModel(lone);
        } catch (const Error& error) {
            message = QString::fromUtf8(error.what());
        }
        QVERIFY2(message.contains(QStringLiteral("on its own")), qPrintable(message));

        std::filesystem::copy(fixture("tiny-qwenimage"), QString(models + QStringLiteral("/Qwen-Image")).toStdString(),
                              std::filesystem::copy_options::recursive);
        QVERIFY(pipeline::checkModel(lone).family->id() == "qwenimage");
        auto fromFile = pipeline::loadModel(lone, kCpu);
        QCOMPARE(fromFile->name, std::string("qwen_image_tiny"));
        auto fromFolder = pipeline::loadModel(fixture("tiny-qwenimage"), kCpu);
        GenerationRequest request;
        request.prompt = "a frog on a lily pad";
        request.steps = 3;
        const auto a = pipeline::drawPicture(*fromFile, request, 3, 32, 32, {});
        const auto b = pipeline::drawPicture(*fromFolder, request, 3, 32, 32, {});
        QCOMPARE(test::maxAbsDiff(a.latents, b.latents), 0.0);
    }

    // Offloading changes where weights live, never what is drawn: streamed blocks and a visiting text encoder give
    // the same latents, and each streamed block is reported.
    void offloadingDrawsTheSame() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/config.json");
        QCOMPARE(pipeline::planQwenOffload(15.2, 40.9, 0.25, 80), pipeline::Offload::None);
        QCOMPARE(pipeline::planQwenOffload(15.2, 40.9, 0.25, 48), pipeline::Offload::TextEncoder);
        QCOMPARE(pipeline::planQwenOffload(15.2, 20.4, 0.25, 24), pipeline::Offload::TextEncoder);  // FP8 blocks
        QCOMPARE(pipeline::planQwenOffload(15.2, 40.9, 0.25, 24), pipeline::Offload::Blocks);
        GenerationRequest request;
        request.prompt = "a duck in a pond";
        request.steps = 3;
        request.cfgScale = 3.0f;
        auto resident = pipeline::loadModel(fixture("tiny-qwenimage"), kCpu);
        pipeline::LoadOptions streamed;
        streamed.offload = pipeline::Offload::Blocks;
        auto offloaded = std::dynamic_pointer_cast<pipeline::QwenImageModel>(
            pipeline::loadModel(fixture("tiny-qwenimage"), kCpu, streamed));
        QVERIFY(offloaded);
        QCOMPARE(offloaded->offload(), pipeline::Offload::Blocks);
        QVERIFY(offloaded->parts->transformer->streamingBlocks());
        int arrived = 0;
        offloaded->parts->transformer->onBlockStreamed = [&](int, int total) {
            ++arrived;
            QCOMPARE(total, 2);
        };
        const auto a = pipeline::drawPicture(*resident, request, 11, 32, 32, {});
        const auto b = pipeline::drawPicture(*offloaded, request, 11, 32, 32, {});
        QCOMPARE(test::maxAbsDiff(a.latents, b.latents), 0.0);
        const int callsPerStep = runtime::speedLevers().batchedTrueCfg ? 1 : 2;  // guidance in one call or two
        QCOMPARE(arrived, 3 * callsPerStep * 2);                                 // 3 steps, 2 blocks a call
    }

    // Through the engine, as the studio asks: step previews arrive, and the picture has the size asked for.
    void engineShowsPreviews() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/config.json");
        Engine engine;
        GenerationRequest request;
        request.model = fixture("tiny-qwenimage");
        request.prompt = "a bunny in red overalls";
        request.steps = 4;
        request.width = 96;
        request.height = 64;
        request.safetyCheck = false;
        request.previewsPerSecond = 1000;
        int previews = 0;
        request.onProgress = [&](const Progress& progress) {
            if (progress.preview) {
                ++previews;
                if (progress.preview->width != 96 || progress.preview->height != 64) return false;
            }
            return true;
        };
        const auto result = engine.generate(request);
        QVERIFY(!result.cancelled);
        QCOMPARE(static_cast<int>(result.images.size()), 1);
        QCOMPARE(result.images[0].image.width, 96);
        QVERIFY(previews >= 1);
    }

    void incompleteFolderIsRefused() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/config.json");
        QTemporaryDir dir;
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("transformer"))));
        QVERIFY(QFile::copy(test::fixturePath(QStringLiteral("tiny-qwenimage/transformer/config.json")),
                            dir.filePath(QStringLiteral("transformer/config.json"))));
        QString message;
        try {
            pipeline::checkModel(dir.path().toStdString());
        } catch (const Error& error) {
            message = QString::fromUtf8(error.what());
        }
        QVERIFY2(message.contains(QStringLiteral("no tokenizer/")), qPrintable(message));
    }
};

QTEST_GUILESS_MAIN(TestQwenImagePipeline)
#include "tst_qwenimage_pipeline.moc"
