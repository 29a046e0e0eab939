// Inpainting against the reference (diffusers StableDiffusionInpaintPipeline): the 9-channel inpainting
// UNet and the 4-channel blend on tiny SD 1.5, and what grey mask values mean.
#include "io/checkpoint.h"
#include "pipeline/families/stable_diffusion.h"
#include "pipeline/generation.h"
#include "sampling/noise.h"

#include "common/fixtures.h"
#include "model_test_support.h"

#include <storybrush/error.h>

#include <QtTest/QtTest>

using namespace storybrush;

namespace {

constexpr double kPipelineTolerance = 1e-3;  // docs/environment.md (Fixtures): whole pipelines

runtime::ComputeTarget cpu() { return {torch::Device(torch::kCPU), torch::kFloat32}; }

// The settings of tiny-sd15-inpaint-ref.json: "a cute panda", 4 DDIM steps, CFG 7.5, strength 1.
GenerationRequest fixtureRequest() {
    GenerationRequest request;
    request.prompt = "a cute panda";
    request.steps = 4;
    request.cfgScale = 7.5f;
    request.sampler = Sampler::Ddim;
    request.strength = 1.0f;
    return request;
}

torch::Tensor draw(pipeline::LoadedModel& model, const GenerationRequest& request,
                   const pipeline::PictureInputs& inputs, sampling::NoiseSource* noise,
                   const torch::Tensor& latents = {}) {
    pipeline::PictureOverrides overrides;
    overrides.noise = noise;
    overrides.latents = latents;
    return pipeline::drawPicture(model, request, 0, 64, 64, {}, inputs, overrides).latents.cpu();
}

}  // namespace

class TestInpaint : public QObject {
    Q_OBJECT

private:
    std::map<std::string, torch::Tensor> m_reference;
    pipeline::PictureInputs m_inputs;

    void requireReference() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-inpaint-ref.safetensors");
        if (m_reference.empty()) {
            m_reference =
                test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd15-inpaint-ref.safetensors")));
            m_inputs.image = m_reference.at("image01") * 2 - 1;
            m_inputs.mask = m_reference.at("mask");
        }
    }

private Q_SLOTS:
    void init() { torch::manual_seed(999); }  // nothing here may depend on the global generator

    void inpaintingUnetMatchesTheReference() {
        requireReference();
        if (m_reference.empty()) return;  // skipped (QSKIP in a helper only leaves the helper)
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-inpaint-diffusers/model_index.json");
        pipeline::LoadOptions options;
        options.planWhileLoading = true;  // the 9-channel UNet called while loading, as on a GPU
        auto model = pipeline::loadStableDiffusion(test::fixturePathStd(QStringLiteral("tiny-sd15-inpaint-diffusers")),
                                                   cpu(), options);
        QVERIFY(model->inpaintingUnet);
        QCOMPARE(model->latentChannels, 4);
        sampling::CpuNoiseSource generator(10);  // its only draw: the masked picture's VAE sample
        const auto latents = draw(*model, fixtureRequest(), m_inputs, &generator, m_reference.at("latents_in"));
        const double error = test::maxAbsDiff(latents, m_reference.at("inpaint9.latents_out"));
        QVERIFY2(error <= kPipelineTolerance, qPrintable(QString::number(error)));
    }

    void singleFileInpaintingUnetHasTheFolderWeights() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-inpaint-unet-ldm.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-inpaint-diffusers/model_index.json");
        io::OpenOptions options;
        options.configFrom = test::fixturePathStd(QStringLiteral("tiny-sd15-inpaint-diffusers"));
        const auto single =
            io::openCheckpoint(test::fixturePathStd(QStringLiteral("tiny-sd15-inpaint-unet-ldm.safetensors")), options);
        const auto folder = io::openCheckpoint(test::fixturePathStd(QStringLiteral("tiny-sd15-inpaint-diffusers")));
        QCOMPARE(single.unetInChannels, 9);
        QCOMPARE(single.unet.tensors.size(), folder.unet.tensors.size());
        for (const auto& [name, tensor] : folder.unet.tensors) {
            const auto found = single.unet.tensors.find(name);
            QVERIFY2(found != single.unet.tensors.end(), name.c_str());
            QVERIFY2(test::maxAbsDiff(found->second, tensor) == 0.0, name.c_str());
        }
        // A UNet-only file is not a whole model: refused with a message naming what is missing.
        try {
            pipeline::LoadOptions unetOnly;
            unetOnly.configFrom = options.configFrom;
            pipeline::loadStableDiffusion(single.path, cpu(), unetOnly);
            QFAIL("a UNet-only file was accepted as a model");
        } catch (const Error& error) {
            QVERIFY(QString::fromStdString(error.what()).contains(QStringLiteral("UNet")));
        }
    }

    void ordinaryUnetBlendsTheKeptPartBack() {
        requireReference();
        if (m_reference.empty()) return;  // skipped (QSKIP in a helper only leaves the helper)
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/model_index.json");
        auto model = pipeline::loadStableDiffusion(test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers")), cpu());
        QVERIFY(!model->inpaintingUnet);
        sampling::CpuNoiseSource generator(9);  // the picture's VAE sample, then the start noise
        const auto latents = draw(*model, fixtureRequest(), m_inputs, &generator);
        const double error = test::maxAbsDiff(latents, m_reference.at("blend4.latents_out"));
        QVERIFY2(error <= kPipelineTolerance, qPrintable(QString::number(error)));
    }

    void greyMaskRepaintsLikeImageToImageAtThatStrength() {
        requireReference();
        if (m_reference.empty()) return;  // skipped (QSKIP in a helper only leaves the helper)
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/model_index.json");
        auto model = pipeline::loadStableDiffusion(test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers")), cpu());
        // DDIM keeps no history, so a mask of 0.5 everywhere (kept for the first half of 8 steps, then free)
        // must give exactly image-to-image at strength 0.5 from the same draws.
        auto request = fixtureRequest();
        request.steps = 8;
        pipeline::PictureInputs grey{m_inputs.image, torch::full({1, 1, 64, 64}, 0.5)};
        sampling::CpuNoiseSource first(5);
        const auto inpainted = draw(*model, request, grey, &first);
        request.strength = 0.5f;
        sampling::CpuNoiseSource second(5);
        const auto img2img = draw(*model, request, {m_inputs.image, {}}, &second);
        const double error = test::maxAbsDiff(inpainted, img2img);
        QVERIFY2(error <= 1e-4, qPrintable(QString::number(error)));
        // ...while 0 keeps the picture's latents exactly and 1 repaints: the two halves differ.
        auto halves = torch::zeros({1, 1, 64, 64});
        halves.narrow(3, 32, 32).fill_(1.0);
        request.strength = 1.0f;
        sampling::CpuNoiseSource third(5);
        const auto split = draw(*model, request, {m_inputs.image, halves}, &third);
        sampling::CpuNoiseSource fourth(5);
        const auto clean = pipeline::encodeImageLatents(*model, m_inputs.image, fourth);
        QVERIFY(test::maxAbsDiff(split.narrow(3, 0, 4), clean.narrow(3, 0, 4)) < 1e-5);
        QVERIFY(test::maxAbsDiff(split.narrow(3, 4, 4), clean.narrow(3, 4, 4)) > 0.1);
    }

    void everySamplerStaysFinite() {
        requireReference();
        if (m_reference.empty()) return;  // skipped (QSKIP in a helper only leaves the helper)
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-inpaint-diffusers/model_index.json");
        auto inpainting =
            pipeline::loadStableDiffusion(test::fixturePathStd(QStringLiteral("tiny-sd15-inpaint-diffusers")), cpu());
        auto ordinary =
            pipeline::loadStableDiffusion(test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers")), cpu());
        for (const Sampler sampler : allSamplers()) {
            for (auto* model : {inpainting.get(), ordinary.get()}) {
                for (const float strength : {1.0f, 0.6f}) {
                    auto request = fixtureRequest();
                    request.sampler = sampler;
                    request.strength = strength;
                    sampling::CpuNoiseSource generator(3);
                    const auto latents = draw(*model, request, m_inputs, &generator);
                    QVERIFY(torch::isfinite(latents).all().item<bool>());
                }
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestInpaint)
#include "tst_inpaint.moc"
