// UNet2DConditionModel against diffusers' outputs for the tiny SD 1.5 (eps) and SD 2.x (v) UNets,
// plus the 9-channel inpainting and SDXL (text_time) variants.
#include "common/fixtures.h"
#include "model_test_support.h"
#include "models/attention.h"
#include "models/layers.h"
#include "models/unet.h"
#include "runtime/fused_ops.h"
#include "runtime/speed.h"

#include <storybrush/error.h>

#include <QtTest/QtTest>
#include <torch/torch.h>

using namespace storybrush;

namespace {

constexpr double kTolerance = 1e-4;  // docs/environment.md (Fixtures): single components, float32

models::UNet2DConditionModel loadUNet(const QString& modelFolder, const runtime::ComputeTarget& target = {}) {
    return test::loadFixtureComponent(models::loadUNet, modelFolder + QStringLiteral("/unet"),
                                      "diffusion_pytorch_model.safetensors", target);
}

}  // namespace

class TestUNet : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsPerBlockHeadCountsFromAttentionHeadDim() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-diffusers/unet/config.json");
        const auto config =
            models::UNetConfig::fromFile(test::fixturePathStd(QStringLiteral("tiny-sd2v-diffusers/unet/config.json")));
        QCOMPARE(config.attentionHeads, (std::vector<std::int64_t>{2, 4, 4, 4}));
        QVERIFY(config.useLinearProjection);
        QCOMPARE(config.crossAttentionDim.back(), 32);
        QCOMPARE(config.layersPerBlock, (std::vector<std::int64_t>{2, 2, 2, 2}));
        // diffusers: heads = attention_head_dim, head dim = channels / heads (32 / 4 = 8 in block 1).
        torch::NoGradGuard noGrad;
        models::UNet2DConditionModel unet(config, torch::TensorOptions().device(torch::kMeta));
        auto params = unet->named_parameters();
        QCOMPARE(params["down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.weight"].sizes().vec(),
                 (std::vector<std::int64_t>{32, 32}));
        QCOMPARE(params["down_blocks.1.attentions.0.proj_in.weight"].sizes().vec(),
                 (std::vector<std::int64_t>{32, 32}));
    }

    void refusesUnsupportedVariantsNamingTheField() {
        try {
            models::UNetConfig::fromJsonText(R"({"class_embed_type": "timestep"})", "unet/config.json");
            QFAIL("expected an error");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::UnsupportedModel);
            QVERIFY2(QString::fromStdString(e.what()).contains(QStringLiteral("class_embed_type")), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, models::UNetConfig::fromJsonText(R"({"attention_head_dim": [8, 8]})", "x"));
    }

    void sd15EpsilonMatchesDiffusers() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-components-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/unet/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto ref = test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd15-components-ref.safetensors")));
        auto unet = loadUNet(QStringLiteral("tiny-sd15-diffusers"));
        for (const int t : {999, 500, 1}) {
            const auto out = unet->forward(ref.at("unet.sample"), torch::tensor(static_cast<std::int64_t>(t)),
                                           ref.at("unet.context"));
            const auto error = test::maxAbsDiff(out, ref.at("unet.eps_t" + std::to_string(t)));
            qInfo("t=%d max abs error %.3g", t, error);
            QVERIFY(error <= kTolerance);
        }
    }

    // Keys and values made once for a context give diffusers' output too, and keys made for another batch size are
    // not used (the layer projects the context itself).
    void crossAttentionKeysGiveTheSameOutput() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-components-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/unet/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto ref = test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd15-components-ref.safetensors")));
        auto unet = loadUNet(QStringLiteral("tiny-sd15-diffusers"));
        const auto& context = ref.at("unet.context");
        const auto keys = unet->crossAttentionKeys(context);
        QVERIFY(!keys.byLayer.empty());
        QVERIFY(keys.serial != unet->crossAttentionKeys(context).serial);
        for (const int t : {999, 1}) {
            const auto timestep = torch::tensor(static_cast<std::int64_t>(t));
            const auto withKeys = unet->forward(ref.at("unet.sample"), timestep, context, {}, &keys);
            QVERIFY(torch::equal(withKeys, unet->forward(ref.at("unet.sample"), timestep, context)));
            QVERIFY(test::maxAbsDiff(withKeys, ref.at("unet.eps_t" + std::to_string(t))) <= kTolerance);
        }
        const auto firstRow = context.slice(0, 0, 1);
        const auto out = unet->forward(ref.at("unet.sample_8x12"), torch::tensor(250.0), firstRow, {}, &keys);
        QVERIFY(test::maxAbsDiff(out, ref.at("unet.eps_8x12_t250")) <= kTolerance);
    }

    // Self-attention's q, k and v come from one GEMM once loaded (so the parity tests above check that path), and
    // the layer goes back to three when its weights are re-pointed or autograd records, with the same output.
    void selfAttentionProjectsQkvAtOnce() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/unet/diffusion_pytorch_model.safetensors");
        if (!runtime::speedLevers().fusedQkv) QSKIP("the fused_qkv lever is off (STORYBRUSH_LEVERS)");
        auto unet = loadUNet(QStringLiteral("tiny-sd15-diffusers"));
        auto* block = unet->down_blocks[0]
                          ->as<models::UNetDownBlockImpl>()
                          ->attentions[0]
                          ->as<models::Transformer2DModelImpl>()
                          ->transformer_blocks[0]
                          ->as<models::BasicTransformerBlockImpl>();
        auto& self = *block->attn1;
        QVERIFY(self.projectsQkvAtOnce());
        QVERIFY(!block->attn2->projectsQkvAtOnce());  // cross-attention: its keys come from the context
        torch::manual_seed(3);
        const auto x = torch::randn({2, 16, self.opts.queryDim});
        torch::Tensor fused;
        {
            torch::NoGradGuard noGrad;
            fused = self.forward(x);
        }
        self.to_q->weight.set_requires_grad(true);  // as a trainer's
        QVERIFY(!self.projectsQkvAtOnce());         // autograd records here: qkvWeight has no gradient path
        self.to_q->weight.set_requires_grad(false);
        QVERIFY(self.projectsQkvAtOnce());
        torch::NoGradGuard noGrad;
        self.to_k->weight.set_data(self.to_k->weight.clone());
        QVERIFY(!self.projectsQkvAtOnce());
        QVERIFY(test::maxAbsDiff(self.forward(x), fused) <= 1e-5);
    }

    void sd15HandlesNonSquareLatents() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-components-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/unet/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto ref = test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd15-components-ref.safetensors")));
        auto unet = loadUNet(QStringLiteral("tiny-sd15-diffusers"));
        const auto context = ref.at("unet.context").slice(0, 0, 1);  // the first context row
        const auto out = unet->forward(ref.at("unet.sample_8x12"), torch::tensor(250.0), context);
        const auto error = test::maxAbsDiff(out, ref.at("unet.eps_8x12_t250"));
        qInfo("8x12 max abs error %.3g", error);
        QVERIFY(error <= kTolerance);
    }

    void oddLatentSizesComeOutTheSameSize() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/unet/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto unet = loadUNet(QStringLiteral("tiny-sd15-diffusers"));
        const auto out = unet->forward(torch::randn({1, 4, 9, 13}), torch::tensor(10), torch::randn({1, 5, 16}));
        QCOMPARE(out.sizes().vec(), (std::vector<std::int64_t>{1, 4, 9, 13}));
        QVERIFY(torch::isfinite(out).all().item<bool>());
    }

    void sd2VPredictionMatchesDiffusers() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-diffusers/unet/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto ref = test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd2v-ref.safetensors")));
        auto unet = loadUNet(QStringLiteral("tiny-sd2v-diffusers"));
        for (const int t : {999, 500, 1}) {
            // A per-sample timestep tensor, as a sampler with a batch passes it.
            const auto timesteps = torch::full({2}, t, torch::kLong);
            const auto out = unet->forward(ref.at("unet.sample"), timesteps, ref.at("unet.context"));
            const auto error = test::maxAbsDiff(out, ref.at("unet.v_t" + std::to_string(t)));
            qInfo("t=%d max abs error %.3g", t, error);
            QVERIFY(error <= kTolerance);
        }
    }

    void inpaintingUNetTakesNineChannels() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-inpaint-diffusers/unet/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto unet = loadUNet(QStringLiteral("tiny-sd15-inpaint-diffusers"));
        QCOMPARE(unet->config.inChannels, 9);
        QCOMPARE(unet->conv_in->weight.sizes().vec(), (std::vector<std::int64_t>{16, 9, 3, 3}));
        const auto out = unet->forward(torch::randn({2, 9, 8, 8}), torch::tensor(500), torch::randn({2, 77, 16}));
        QCOMPARE(out.sizes().vec(), (std::vector<std::int64_t>{2, 4, 8, 8}));
        QVERIFY(torch::isfinite(out).all().item<bool>());
        // A 4-channel input is refused with a message, not a crash inside conv2d.
        QVERIFY_THROWS_EXCEPTION(
            Error, unet->forward(torch::randn({1, 4, 8, 8}), torch::tensor(1), torch::randn({1, 77, 16})));
    }

    // On the GPU the UNet runs channels-last; a transformer block must hand that layout on, or every layer after it
    // pays a layout copy. Same values in both layouts, with conv and linear projections.
    void transformerKeepsTheInputsLayout() {
        torch::NoGradGuard noGrad;
        for (const bool linear : {false, true}) {
            models::Transformer2DOptions options;
            options.inChannels = 32;
            options.heads = 2;
            options.headDim = 16;
            options.crossAttentionDim = 24;
            options.groups = 8;
            options.useLinearProjection = linear;
            models::Transformer2DModel block(options, torch::TensorOptions().dtype(torch::kFloat32));
            torch::manual_seed(3);
            for (auto& parameter : block->parameters()) parameter.copy_(torch::randn(parameter.sizes()) * 0.2);
            const auto x = torch::randn({2, 32, 6, 5});
            const auto context = torch::randn({2, 7, 24});
            const auto expected = block(x, context);
            const auto got = block(x.contiguous(at::MemoryFormat::ChannelsLast), context);
            QVERIFY2(got.is_contiguous(at::MemoryFormat::ChannelsLast),
                     linear ? "linear projection" : "conv projection");
            QVERIFY(torch::allclose(got, expected, 1e-4, 1e-5));
        }
    }

    // A 1x1 convolution over channels-last pixels equals the same as a GEMM, bias included, and stays channels-last.
    void pointwiseConvolutionAsGemmMatchesConv2d() {
        torch::NoGradGuard noGrad;
        torch::manual_seed(4);
        const auto x = torch::randn({2, 24, 5, 7}).contiguous(at::MemoryFormat::ChannelsLast);
        const auto weight = torch::randn({40, 24, 1, 1}).contiguous(at::MemoryFormat::ChannelsLast);
        const auto bias = torch::randn({40});
        QVERIFY(models::pointwiseConvAsGemmServes(x, weight, 1, 0));
        QVERIFY(!models::pointwiseConvAsGemmServes(x.contiguous(), weight, 1, 0));  // NCHW rows are not pixels
        QVERIFY(!models::pointwiseConvAsGemmServes(x, weight, 2, 0));
        for (const auto& b : {bias, torch::Tensor()}) {
            const auto got = models::pointwiseConvAsGemm(x, weight, b);
            QVERIFY(got.is_contiguous(at::MemoryFormat::ChannelsLast));
            QVERIFY(torch::allclose(got, torch::conv2d(x, weight, b), 1e-5, 1e-5));
        }
    }

    void cudaMatchesDiffusersInFp32AndFp16() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-components-ref.safetensors");
        STORYBRUSH_REQUIRE_CUDA();
        torch::NoGradGuard noGrad;
        auto ref = test::readReference(test::fixturePathStd(QStringLiteral("tiny-sd15-components-ref.safetensors")));
        const auto expected = ref.at("unet.eps_t500");
        const torch::Device cuda(torch::kCUDA);
        for (const auto dtype : {torch::kFloat32, torch::kFloat16}) {
            auto unet = loadUNet(QStringLiteral("tiny-sd15-diffusers"), {cuda, dtype});
            QCOMPARE(unet->conv_in->weight.scalar_type(), dtype);
            const auto out = unet->forward(ref.at("unet.sample").to(cuda, dtype), torch::tensor(500),
                                           ref.at("unet.context").to(cuda, dtype));
            const auto error = test::maxAbsDiff(out.cpu(), expected);
            const auto scale = expected.abs().max().item<double>();
            qInfo("%s max abs error %.3g (output scale %.3g)", c10::toString(dtype), error, scale);
            QVERIFY(error <= (dtype == torch::kFloat32 ? kTolerance : 1e-2 * scale));
        }
    }

    void sdxlUNetLoadsAndUsesTextTimeEmbeddings() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sdxl-diffusers/unet/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto unet = loadUNet(QStringLiteral("tiny-sdxl-diffusers"));
        QVERIFY(unet->config.textTimeEmbedding);
        QCOMPARE(unet->config.transformerLayersPerBlock, (std::vector<std::int64_t>{1, 2}));
        // projection_class_embeddings_input_dim 64 = pooled 16 + 6 time ids x 8.
        const auto sample = torch::randn({1, 4, 8, 8});
        const auto context = torch::randn({1, 77, 32});
        models::UNetConditioning extra;
        extra.textEmbeds = torch::randn({1, 16});
        extra.timeIds = torch::tensor({64.0, 64.0, 0.0, 0.0, 64.0, 64.0}).view({1, 6});
        const auto out = unet->forward(sample, torch::tensor(500), context, extra);
        QCOMPARE(out.sizes().vec(), (std::vector<std::int64_t>{1, 4, 8, 8}));
        extra.timeIds = torch::tensor({128.0, 128.0, 0.0, 0.0, 64.0, 64.0}).view({1, 6});
        const auto other = unet->forward(sample, torch::tensor(500), context, extra);
        QVERIFY(test::maxAbsDiff(out, other) > 0);  // the time ids reach the output
        QVERIFY_THROWS_EXCEPTION(Error, unet->forward(sample, torch::tensor(500), context));
    }

    void cudaGroupNormMatchesPyTorchInEveryLayout() {
        STORYBRUSH_REQUIRE_CUDA();
        // The GPU's GroupNorm (whole-GPU reductions, models/layers.cpp) against PyTorch's own, NCHW and NHWC.
        torch::NoGradGuard noGrad;
        const struct {
            torch::ScalarType dtype;
            double tolerance;
        } cases[] = {{torch::kFloat32, 1e-4}, {torch::kFloat16, 1e-2}, {torch::kBFloat16, 6e-2}};
        for (const auto& [dtype, tolerance] : cases) {
            const auto options = torch::TensorOptions().device(torch::kCUDA).dtype(dtype);
            models::GroupNorm norm(32, 128, 1e-6, options);
            torch::manual_seed(3);
            norm->weight.copy_(torch::randn({128}) * 0.5 + 1);
            norm->bias.copy_(torch::randn({128}) * 0.1);
            const auto x =
                (torch::randn({2, 128, 192, 176}) * 3 + 1.5).to(options);  // groups of 135,168 values: the spread path
            const auto expected = torch::group_norm(x.to(torch::kFloat32), 32, norm->weight.to(torch::kFloat32),
                                                    norm->bias.to(torch::kFloat32), 1e-6);
            for (const auto& input : {x, x.contiguous(at::MemoryFormat::ChannelsLast)}) {
                const auto got = norm(input).to(torch::kFloat32);
                const double error = (got - expected).abs().max().item<double>();
                QVERIFY2(
                    error <= tolerance,
                    qPrintable(QStringLiteral("%1: %2").arg(QString::fromStdString(c10::toString(dtype))).arg(error)));
            }
        }
    }

    // Our fused GroupNorm (+ SiLU) kernels against PyTorch's group_norm and silu in FP32, on the UNet's shapes
    // (SD 1.5 at 64x64 and 8x8 latents, SDXL's 640 channels at 64x64, the up blocks' 2,560), an odd one (channels
    // not a multiple of 8 per group), and for the split kernel the VAE's large groups and a mean far from zero.
    void cudaFusedGroupNormMatchesPyTorch() {
        STORYBRUSH_REQUIRE_CUDA();
        torch::NoGradGuard noGrad;
        struct Shape {
            std::int64_t n, c, h, w, groups;
            double mean, spread;
        };
        const std::vector<Shape> unetShapes = {{2, 320, 64, 64, 32, 1.5, 3},
                                               {2, 1280, 8, 8, 32, 1.5, 3},
                                               {2, 640, 64, 64, 32, 1.5, 3},
                                               {2, 2560, 32, 32, 32, 1.5, 3}};
        const struct {
            torch::ScalarType dtype;
            double tolerance;
        } types[] = {{torch::kFloat16, 1e-2}, {torch::kBFloat16, 6e-2}};
        for (const auto kernel : {runtime::GroupNormKernel::PerGroup, runtime::GroupNormKernel::Split}) {
            const bool split = kernel == runtime::GroupNormKernel::Split;
            auto shapes = unetShapes;
            if (split) {
                shapes.push_back({1, 128, 512, 512, 32, 1.5, 3});  // a VAE layer: a million values a group
                shapes.push_back({2, 320, 16, 16, 32, 40, 0.5});   // the shift keeps the variance exact here
            } else {
                shapes.push_back({1, 96, 9, 7, 32, 1.5, 3});
            }
            for (const auto& shape : shapes) {
                for (const auto& [dtype, tolerance] : types) {
                    for (const bool silu : {false, true}) {
                        const auto options = torch::TensorOptions().device(torch::kCUDA).dtype(dtype);
                        torch::manual_seed(5);
                        const auto weight = (torch::randn({shape.c}) * 0.5 + 1).to(options);
                        const auto bias = (torch::randn({shape.c}) * 0.1).to(options);
                        const auto x = (torch::randn({shape.n, shape.c, shape.h, shape.w}) * shape.spread + shape.mean)
                                           .to(options)
                                           .contiguous(at::MemoryFormat::ChannelsLast);
                        auto expected = torch::group_norm(x.to(torch::kFloat32), shape.groups,
                                                          weight.to(torch::kFloat32), bias.to(torch::kFloat32), 1e-5);
                        if (silu) expected = torch::silu(expected);
                        const auto got = runtime::fusedGroupNorm(x, shape.groups, weight, bias, 1e-5, silu, kernel);
                        QVERIFY(got.is_contiguous(at::MemoryFormat::ChannelsLast));
                        const double error = (got.to(torch::kFloat32) - expected).abs().max().item<double>();
                        QVERIFY2(error <= tolerance,
                                 qPrintable(QStringLiteral("%1 %2 c=%3 %4x%5 mean %6 silu=%7: %8")
                                                .arg(split ? QStringLiteral("split") : QStringLiteral("per group"))
                                                .arg(QString::fromStdString(c10::toString(dtype)))
                                                .arg(shape.c)
                                                .arg(shape.h)
                                                .arg(shape.w)
                                                .arg(shape.mean)
                                                .arg(silu)
                                                .arg(error)));
                    }
                }
            }
            // What it does not serve it refuses (NCHW here), rather than reading the memory wrongly.
            const auto nchw =
                torch::randn({1, 64, 8, 8}, torch::TensorOptions().device(torch::kCUDA).dtype(torch::kFloat16));
            QVERIFY_THROWS_EXCEPTION(
                Error, runtime::fusedGroupNorm(nchw, 32, torch::ones({64}), torch::zeros({64}), 1e-5, false, kernel));
        }
        // The split kernel reads 16-byte vectors: a view that starts off that boundary is refused, not misread.
        const auto base =
            torch::randn({1, 16 * 8 * 8 + 1}, torch::TensorOptions().device(torch::kCUDA).dtype(torch::kFloat16));
        const auto shifted = base.narrow(1, 1, 16 * 8 * 8).view({1, 8, 8, 16}).permute({0, 3, 1, 2});
        QVERIFY(shifted.is_contiguous(at::MemoryFormat::ChannelsLast));
        QVERIFY_THROWS_EXCEPTION(Error, runtime::fusedGroupNorm(shifted, 4, torch::ones({16}), torch::zeros({16}), 1e-5,
                                                                false, runtime::GroupNormKernel::Split));
    }

    // The split kernel gives the same picture every time (no atomics: its sums run in a fixed order).
    void cudaSplitGroupNormIsDeterministic() {
        STORYBRUSH_REQUIRE_CUDA();
        torch::NoGradGuard noGrad;
        const auto options = torch::TensorOptions().device(torch::kCUDA).dtype(torch::kFloat16);
        const auto x = torch::randn({2, 320, 64, 64}, options).contiguous(at::MemoryFormat::ChannelsLast);
        const auto weight = torch::ones({320}, options), bias = torch::zeros({320}, options);
        const auto first = runtime::fusedGroupNorm(x, 32, weight, bias, 1e-5, true, runtime::GroupNormKernel::Split);
        for (int i = 0; i < 3; ++i)
            QVERIFY(torch::equal(
                first, runtime::fusedGroupNorm(x, 32, weight, bias, 1e-5, true, runtime::GroupNormKernel::Split)));
    }

    // Our GEGLU gate against PyTorch's chunk, exact gelu and product in FP32: SD 1.5's widest block (64x64 latents,
    // batch 2, inner 1280), SDXL's inner 5120 and an odd width.
    void cudaFusedGegluMatchesPyTorch() {
        STORYBRUSH_REQUIRE_CUDA();
        torch::NoGradGuard noGrad;
        const struct { std::int64_t batch, tokens, inner; } shapes[] = {{2, 4096, 1280}, {2, 1024, 5120}, {3, 7, 33}};
        // Relative to 1 + |expected|: the products reach about 60, where one FP16 step is 0.06. Half a step of each
        // type.
        const struct {
            torch::ScalarType dtype;
            double tolerance;
        } types[] = {{torch::kFloat16, 1e-3}, {torch::kBFloat16, 8e-3}};
        for (const auto& shape : shapes) {
            for (const auto& [dtype, tolerance] : types) {
                torch::manual_seed(7);
                const auto h = (torch::randn({shape.batch, shape.tokens, 2 * shape.inner}) * 2)
                                   .to(torch::TensorOptions().device(torch::kCUDA).dtype(dtype));
                const auto wide = h.to(torch::kFloat32).chunk(2, -1);
                const auto expected = wide[0] * torch::gelu(wide[1]);
                const auto got = runtime::fusedGeglu(h);
                QCOMPARE(got.sizes().vec(), expected.sizes().vec());
                const double error =
                    ((got.to(torch::kFloat32) - expected).abs() / (expected.abs() + 1)).max().item<double>();
                QVERIFY2(error <= tolerance, qPrintable(QStringLiteral("%1 inner=%2: %3")
                                                            .arg(QString::fromStdString(c10::toString(dtype)))
                                                            .arg(shape.inner)
                                                            .arg(error)));
            }
        }
        // A strided view (not what the projection gives) is refused rather than read wrongly.
        const auto wide = torch::randn({4, 16}, torch::TensorOptions().device(torch::kCUDA).dtype(torch::kFloat16));
        QVERIFY_THROWS_EXCEPTION(Error, runtime::fusedGeglu(wide.t()));
    }

    // Our kernels have no backward: while autograd records, PyTorch's ops must run (the trainer), or the gradient
    // stops at our output without a word.
    void cudaFusedOpsStayOutOfAutograd() {
        STORYBRUSH_REQUIRE_CUDA();
        if (!runtime::speedLevers().fusedGeglu) QSKIP("the fused_geglu lever is off (STORYBRUSH_LEVERS)");
        const auto h = torch::randn({2, 8, 64}, torch::TensorOptions().device(torch::kCUDA).dtype(torch::kBFloat16));
        {
            torch::NoGradGuard noGrad;
            QVERIFY(runtime::fusedGegluTakes(h));
        }
        QVERIFY(runtime::fusedGegluTakes(h));  // grad mode on, but nothing here asks for a gradient
        const auto learnt = h.clone().requires_grad_(true);
        QVERIFY(!runtime::fusedGegluTakes(learnt));
        QVERIFY(!runtime::fusedGroupNormTakes(learnt.view({2, 8, 8, 8}).contiguous(at::MemoryFormat::ChannelsLast), 4));
    }

    // Biases, bias + time embedding, and bias + residual over channels-last activations, against PyTorch in FP32.
    void cudaFusedChannelAddMatchesPyTorch() {
        STORYBRUSH_REQUIRE_CUDA();
        torch::NoGradGuard noGrad;
        const auto cl = at::MemoryFormat::ChannelsLast;
        for (const auto dtype : {torch::kFloat16, torch::kBFloat16}) {
            const auto options = torch::TensorOptions().device(torch::kCUDA).dtype(dtype);
            torch::manual_seed(11);
            const auto x = (torch::randn({2, 320, 24, 20}) * 4).to(options).contiguous(cl);
            const auto residual = (torch::randn({2, 320, 24, 20}) * 4).to(options).contiguous(cl);
            const auto bias = torch::randn({320}).to(options);
            const auto perPicture = torch::randn({2, 320, 1, 1}).to(options);
            const double tolerance = dtype == torch::kFloat16 ? 1e-3 : 8e-3;  // half a step, relative to 1 + |value|
            const auto check = [&](const torch::Tensor& got, const torch::Tensor& expected, const char* what) {
                QVERIFY2(got.is_contiguous(cl), what);
                const double error =
                    ((got.to(torch::kFloat32) - expected).abs() / (expected.abs() + 1)).max().item<double>();
                QVERIFY2(error <= tolerance, qPrintable(QStringLiteral("%1 %2: %3")
                                                            .arg(QString::fromLatin1(what))
                                                            .arg(QString::fromLatin1(c10::toString(dtype)))
                                                            .arg(error)));
            };
            auto y = x.clone(cl);
            runtime::fusedChannelAdd_(y, bias);
            check(y, x.to(torch::kFloat32) + bias.to(torch::kFloat32).view({1, -1, 1, 1}), "bias");
            y = x.clone(cl);
            runtime::fusedChannelAdd_(y, perPicture);
            check(y, x.to(torch::kFloat32) + perPicture.to(torch::kFloat32), "per picture");
            y = x.clone(cl);
            runtime::fusedChannelAdd_(y, bias, residual);
            check(y,
                  x.to(torch::kFloat32) + bias.to(torch::kFloat32).view({1, -1, 1, 1}) + residual.to(torch::kFloat32),
                  "bias and residual");
        }
        // What the kernel cannot read in 16-byte vectors is refused, not read wrongly.
        const auto options = torch::TensorOptions().device(torch::kCUDA).dtype(torch::kFloat16);
        auto odd = torch::zeros({1, 12, 4, 4}, options).contiguous(at::MemoryFormat::ChannelsLast);
        QVERIFY_THROWS_EXCEPTION(Error, runtime::fusedChannelAdd_(odd, torch::zeros({12}, options)));
        auto nchw = torch::zeros({1, 16, 4, 4}, options);
        QVERIFY_THROWS_EXCEPTION(Error, runtime::fusedChannelAdd_(nchw, torch::zeros({16}, options)));
    }
};

QTEST_GUILESS_MAIN(TestUNet)
#include "tst_unet.moc"
