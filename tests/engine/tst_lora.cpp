// LoRA style add-ons on tiny SD 1.5: kohya and diffusers/PEFT names resolve to the right weights, merging gives
// W + strength * alpha/rank * B A (LoCon convolutions too), several add up, removing restores W bit for bit, a
// LoRA for SDXL is refused naming both families, and the engine takes them from the request and from
// <lora:NAME:WEIGHT> in the prompt. On tiny SDXL: kohya's LDM-named UNet layers and both text encoders. On tiny
// Qwen-Image: the transformer's layers by kohya, diffusers and musubi-tuner names.
#include "io/safetensors_writer.h"
#include "models/lora.h"
#include "pipeline/families/qwen_image.h"
#include "pipeline/families/stable_diffusion.h"

#include <functional>

#include "common/fixtures.h"

#include <storybrush/engine.h>
#include <storybrush/error.h>

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace storybrush;

namespace {

const char* kAttention = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight";
const char* kConv = "down_blocks.0.resnets.0.conv1.weight";
const char* kText = "text_model.encoder.layers.0.self_attn.q_proj.weight";

runtime::ComputeTarget cpu() { return {torch::Device(torch::kCPU), torch::kFloat32}; }

torch::Tensor parameter(torch::nn::Module& module, const std::string& name) {
    return *module.named_parameters().find(name);
}

}  // namespace

class TestLora : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<pipeline::StableDiffusionModel> m_model;
    QTemporaryDir m_dir;
    torch::Tensor m_down, m_up, m_convDown, m_convUp, m_textDown, m_textUp;

    models::LoraTargets targets() {
        return {{"unet", m_model->unet.ptr().get()}, {"te", m_model->textEncoder.ptr().get()}};
    }

    // A kohya-named LoRA with rank 2 and alpha 1 on one attention projection, one convolution and one text layer.
    std::string writeKohya(const QString& name) {
        const auto q = parameter(*m_model->unet, kAttention);
        const auto conv = parameter(*m_model->unet, kConv);
        const auto text = parameter(*m_model->textEncoder, kText);
        torch::manual_seed(5);
        m_down = torch::randn({2, q.size(1)}) * 0.1;
        m_up = torch::randn({q.size(0), 2}) * 0.1;
        m_convDown = torch::randn({2, conv.size(1), 3, 3}) * 0.1;
        m_convUp = torch::randn({conv.size(0), 2, 1, 1}) * 0.1;
        m_textDown = torch::randn({2, text.size(1)}) * 0.1;
        m_textUp = torch::randn({text.size(0), 2}) * 0.1;
        const std::string unet = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q";
        const std::string convName = "lora_unet_down_blocks_0_resnets_0_conv1";
        const std::string te = "lora_te_text_model_encoder_layers_0_self_attn_q_proj";
        const std::string path = m_dir.filePath(name).toStdString();
        io::writeSafetensors(path, {{unet + ".lora_down.weight", m_down},
                                    {unet + ".lora_up.weight", m_up},
                                    {unet + ".alpha", torch::tensor(1.0f)},
                                    {convName + ".lora_down.weight", m_convDown},
                                    {convName + ".lora_up.weight", m_convUp},
                                    {convName + ".alpha", torch::tensor(1.0f)},
                                    {te + ".lora_down.weight", m_textDown},
                                    {te + ".lora_up.weight", m_textUp},
                                    {te + ".alpha", torch::tensor(1.0f)}});
        return path;
    }

private Q_SLOTS:
    void initTestCase() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/model_index.json");
        m_model = pipeline::loadStableDiffusion(test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers")), cpu());
    }

    void kohyaMergesAndRestoresExactly() {
        const auto file = models::readLora(writeKohya(QStringLiteral("style.safetensors")), targets(), false, "SD 1.x");
        QCOMPARE(int(file.deltas.size()), 3);
        const auto q = parameter(*m_model->unet, kAttention).clone();
        const auto conv = parameter(*m_model->unet, kConv).clone();
        const auto text = parameter(*m_model->textEncoder, kText).clone();
        models::LoraMerger merger;
        merger.apply(targets(), {{file, 0.8f}});
        const double scale = 0.8 * (1.0 / 2.0);  // strength * alpha / rank
        QVERIFY(torch::allclose(parameter(*m_model->unet, kAttention), q + torch::matmul(m_up, m_down) * scale, 1e-6,
                                1e-7));
        QVERIFY(torch::allclose(parameter(*m_model->unet, kConv),
                                conv + torch::matmul(m_convUp.flatten(1), m_convDown.flatten(1)).reshape(conv.sizes()) *
                                           scale,
                                1e-6, 1e-7));
        QVERIFY(torch::allclose(parameter(*m_model->textEncoder, kText),
                                text + torch::matmul(m_textUp, m_textDown) * scale, 1e-6, 1e-7));
        // Asking for the same again changes nothing; taking it away restores every bit.
        merger.apply(targets(), {{file, 0.8f}});
        merger.apply(targets(), {});
        QVERIFY(torch::equal(parameter(*m_model->unet, kAttention), q));
        QVERIFY(torch::equal(parameter(*m_model->unet, kConv), conv));
        QVERIFY(torch::equal(parameter(*m_model->textEncoder, kText), text));
    }

    void diffusersNamesAndSeveralAtOnce() {
        const auto q = parameter(*m_model->unet, kAttention).clone();
        torch::manual_seed(9);
        const auto a = torch::randn({4, q.size(1)}) * 0.1, b = torch::randn({q.size(0), 4}) * 0.1;
        const std::string path = m_dir.filePath(QStringLiteral("peft.safetensors")).toStdString();
        io::writeSafetensors(path,
                             {{"unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight", a},
                              {"unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_B.weight", b}});
        const auto peft = models::readLora(path, targets(), false, "SD 1.x");
        const auto kohya =
            models::readLora(writeKohya(QStringLiteral("style2.safetensors")), targets(), false, "SD 1.x");
        models::LoraMerger merger;
        merger.apply(targets(), {{peft, 1.0f}, {kohya, 0.5f}});
        const auto expected = q + torch::matmul(b, a) * 1.0 + torch::matmul(m_up, m_down) * 0.25;  // no alpha: scale 1
        QVERIFY(torch::allclose(parameter(*m_model->unet, kAttention), expected, 1e-6, 1e-7));
        merger.restore(targets());
        QVERIFY(torch::equal(parameter(*m_model->unet, kAttention), q));
    }

    void sdxlKohyaNamesReachTheUNetAndBothTextEncoders() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sdxl-diffusers/model_index.json");
        auto xl = pipeline::loadStableDiffusion(test::fixturePathStd(QStringLiteral("tiny-sdxl-diffusers")), cpu());
        const models::LoraTargets xlTargets{
            {"unet", xl->unet.ptr().get()}, {"te", xl->textEncoder.ptr().get()}, {"te2", xl->textEncoder2.ptr().get()}};
        // kohya's SDXL files name UNet layers by their original (LDM) paths; each pair: LoRA module, target.
        const std::vector<std::pair<std::string, std::string>> layers = {
            {"lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k",
             "unet:down_blocks.1.attentions.0.transformer_blocks.1.attn2.to_k.weight"},
            {"lora_unet_middle_block_1_proj_in", "unet:mid_block.attentions.0.proj_in.weight"},
            {"lora_unet_output_blocks_0_0_in_layers_2", "unet:up_blocks.0.resnets.0.conv1.weight"},
            {"lora_unet_output_blocks_2_2_conv", "unet:up_blocks.0.upsamplers.0.conv.weight"},
            {"lora_te1_text_model_encoder_layers_0_self_attn_q_proj",
             "te:text_model.encoder.layers.0.self_attn.q_proj.weight"},
            {"lora_te2_text_model_encoder_layers_1_mlp_fc1", "te2:text_model.encoder.layers.1.mlp.fc1.weight"},
        };
        std::vector<std::pair<std::string, torch::Tensor>> tensors;
        std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> updates;  // target -> (down, up)
        torch::manual_seed(3);
        for (const auto& [module, target] : layers) {
            const auto colon = target.find(':');
            const auto weight = parameter(*xlTargets.at(target.substr(0, colon)), target.substr(colon + 1));
            auto down = weight.dim() == 4 ? torch::randn({2, weight.size(1), weight.size(2), weight.size(3)}) * 0.1
                                          : torch::randn({2, weight.size(1)}) * 0.1;
            auto up = weight.dim() == 4 ? torch::randn({weight.size(0), 2, 1, 1}) * 0.1
                                        : torch::randn({weight.size(0), 2}) * 0.1;
            tensors.push_back({module + ".lora_down.weight", down});
            tensors.push_back({module + ".lora_up.weight", up});
            updates[target] = {down, up};
        }
        const std::string path = m_dir.filePath(QStringLiteral("xl-style.safetensors")).toStdString();
        io::writeSafetensors(path, tensors);
        const auto file = models::readLora(path, xlTargets, true, "SDXL");
        QVERIFY(file.forSdxl);
        QCOMPARE(file.deltas.size(), layers.size());
        std::map<std::string, torch::Tensor> before;
        for (const auto& [module, target] : layers) {
            const auto colon = target.find(':');
            before[target] = parameter(*xlTargets.at(target.substr(0, colon)), target.substr(colon + 1)).clone();
        }
        models::LoraMerger merger;
        merger.apply(xlTargets, {{file, 1.0f}});
        for (const auto& [module, target] : layers) {
            const auto colon = target.find(':');
            const auto now = parameter(*xlTargets.at(target.substr(0, colon)), target.substr(colon + 1));
            const auto& [down, up] = updates[target];
            const auto expected = before[target] + torch::matmul(up.flatten(1), down.flatten(1)).reshape(now.sizes());
            QVERIFY2(torch::allclose(now, expected, 1e-6, 1e-7), target.c_str());
        }
        merger.restore(xlTargets);
        for (const auto& [target, weight] : before) {
            const auto colon = target.find(':');
            QVERIFY(torch::equal(parameter(*xlTargets.at(target.substr(0, colon)), target.substr(colon + 1)), weight));
        }
        // An SD 1.x LoRA on SDXL: refused naming both.
        try {
            models::readLora(writeKohya(QStringLiteral("sd15-on-xl.safetensors")), xlTargets, true, "SDXL");
            QFAIL("an SD 1.x LoRA was accepted for SDXL");
        } catch (const Error& error) {
            const QString message = QString::fromUtf8(error.what());
            QVERIFY2(message.contains(QStringLiteral("SDXL")) && message.contains(QStringLiteral("SD 1.x")),
                     qPrintable(message));
        }
    }

    // Qwen-Image's transformer: kohya (lora_unet_transformer_blocks_…), diffusers ("transformer.…") and
    // musubi-tuner/ComfyUI ("diffusion_model.…") names all land on the MMDiT's layers; merged W + alpha/rank B A,
    // restored bit for bit; an SD LoRA is refused for it and a Qwen-Image LoRA for SD, naming both.
    void qwenImageTransformerLoras() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/transformer/config.json");
        auto qwen = std::dynamic_pointer_cast<pipeline::QwenImageModel>(
            pipeline::loadModel(test::fixturePathStd(QStringLiteral("tiny-qwenimage")), cpu()));
        QVERIFY(qwen);
        auto& transformer = *qwen->parts->transformer;
        const models::LoraTargets qwenTargets{{"transformer", &transformer}};
        const std::vector<std::pair<std::string, std::string>> layers{
            {"lora_unet_transformer_blocks_0_attn_to_q", "transformer_blocks.0.attn.to_q.weight"},
            {"transformer.transformer_blocks.1.img_mlp.net.0.proj", "transformer_blocks.1.img_mlp.net.0.proj.weight"},
            {"diffusion_model.transformer_blocks.0.txt_mod.1", "transformer_blocks.0.txt_mod.1.weight"},
            {"lora_unet_transformer_blocks_1_attn_to_add_out", "transformer_blocks.1.attn.to_add_out.weight"}};
        std::vector<std::pair<std::string, torch::Tensor>> tensors;
        std::map<std::string, torch::Tensor> expected;
        torch::manual_seed(9);
        for (const auto& [module, weight] : layers) {
            const auto w = parameter(transformer, weight);
            const auto down = torch::randn({4, w.size(1)}) * 0.1;
            const auto up = torch::randn({w.size(0), 4}) * 0.1;
            const bool peft = module.find('.') != std::string::npos;
            tensors.emplace_back(module + (peft ? ".lora_A.weight" : ".lora_down.weight"), down);
            tensors.emplace_back(module + (peft ? ".lora_B.weight" : ".lora_up.weight"), up);
            if (!peft) tensors.emplace_back(module + ".alpha", torch::tensor(2.0f));
            expected[weight] = w.clone() + 0.5 * (peft ? 1.0 : 0.5) * torch::matmul(up, down);
        }
        const std::string path = m_dir.filePath(QStringLiteral("qwen-style.safetensors")).toStdString();
        io::writeSafetensors(path, tensors);
        const auto file = models::readLora(path, qwenTargets, false, "Qwen-Image");
        QCOMPARE(file.deltas.size(), layers.size());
        std::map<std::string, torch::Tensor> before;
        for (const auto& [module, weight] : layers) before[weight] = parameter(transformer, weight).clone();
        models::LoraMerger merger;
        merger.apply(qwenTargets, {{file, 0.5f}});
        for (const auto& [weight, value] : expected)
            QVERIFY2(torch::allclose(parameter(transformer, weight), value, 1e-5, 1e-6), weight.c_str());
        merger.restore(qwenTargets);
        for (const auto& [weight, value] : before) QVERIFY(torch::equal(parameter(transformer, weight), value));

        auto refusal = [](const std::function<void()>& read) {
            try {
                read();
            } catch (const Error& error) {
                return QString::fromUtf8(error.what());
            }
            return QString();
        };
        const QString sdOnQwen = refusal([&] {
            models::readLora(writeKohya(QStringLiteral("sd-on-qwen.safetensors")), qwenTargets, false, "Qwen-Image");
        });
        QVERIFY2(sdOnQwen.contains(QStringLiteral("SD 1.x")) && sdOnQwen.contains(QStringLiteral("Qwen-Image")),
                 qPrintable(sdOnQwen));
        const QString qwenOnSd = refusal([&] { models::readLora(path, targets(), false, "SD 1.x"); });
        QVERIFY2(qwenOnSd.contains(QStringLiteral("SD 1.x")) && qwenOnSd.contains(QStringLiteral("Qwen-Image")),
                 qPrintable(qwenOnSd));
    }

    void loraOfAnotherFamilyIsRefused() {
        const std::string path = m_dir.filePath(QStringLiteral("xl.safetensors")).toStdString();
        io::writeSafetensors(
            path, {{"lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", torch::zeros({2, 16})},
                   {"lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", torch::zeros({16, 2})}});
        try {
            models::readLora(path, targets(), false, "SD 1.x");
            QFAIL("an SDXL LoRA was accepted for SD 1.x");
        } catch (const Error& error) {
            const QString message = QString::fromUtf8(error.what());
            QVERIFY2(message.contains(QStringLiteral("SDXL")) && message.contains(QStringLiteral("SD 1.x")),
                     qPrintable(message));
        }
        const std::string notALora = m_dir.filePath(QStringLiteral("plain.safetensors")).toStdString();
        io::writeSafetensors(notALora, {{"weight", torch::zeros({2})}});
        QVERIFY_THROWS_EXCEPTION(Error, models::readLora(notALora, targets(), false, "SD 1.x"));
    }

    void commandLineInspectsAndUsesThem() {
        const QString lora = QString::fromStdString(writeKohya(QStringLiteral("cli.safetensors")));
        QProcess inspect;
        inspect.start(QStringLiteral(STORYBRUSH_CLI_PATH), {QStringLiteral("inspect"), QStringLiteral("--json"), lora});
        QVERIFY(inspect.waitForFinished(60000));
        QCOMPARE(inspect.exitCode(), 0);
        const QJsonObject info = QJsonDocument::fromJson(inspect.readAllStandardOutput()).object();
        QCOMPARE(info.value(QStringLiteral("kind")).toString(), QStringLiteral("lora"));
        QCOMPARE(info.value(QStringLiteral("unet_layers")).toInt(), 2);
        QCOMPARE(info.value(QStringLiteral("text_encoder_layers")).toInt(), 1);
        QCOMPARE(info.value(QStringLiteral("conv_layers")).toInt(), 1);
        QProcess generate;
        generate.start(QStringLiteral(STORYBRUSH_CLI_PATH),
                       {QStringLiteral("generate"), QStringLiteral("--model"),
                        test::fixturePath(QStringLiteral("tiny-sd15-diffusers")), QStringLiteral("--prompt"),
                        QStringLiteral("a frog"), QStringLiteral("--width"), QStringLiteral("64"),
                        QStringLiteral("--height"), QStringLiteral("64"), QStringLiteral("--steps"),
                        QStringLiteral("2"), QStringLiteral("--lora"), lora + QStringLiteral(":0.5"),
                        QStringLiteral("-o"), m_dir.filePath(QStringLiteral("frog.png"))});
        QVERIFY(generate.waitForFinished(120000));
        QVERIFY2(generate.exitCode() == 0, generate.readAllStandardError().constData());
        QVERIFY(QFile::exists(m_dir.filePath(QStringLiteral("frog.png"))));
    }

    void engineTakesThemFromTheRequestAndThePrompt() {
        QTemporaryDir folder;
        const std::string lora = writeKohya(QStringLiteral("cartoonStyle.safetensors"));
        QVERIFY(QFile::copy(QString::fromStdString(lora), folder.filePath(QStringLiteral("cartoonStyle.safetensors"))));
        EngineOptions options;
        options.loraFolders = {folder.path().toStdString()};
        Engine engine(options);
        GenerationRequest request;
        request.model = test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers"));
        request.prompt = "a frog";
        request.width = request.height = 64;
        request.steps = 3;
        request.seed = 4;
        request.safetyCheck = false;
        const auto plain = engine.generate(request).images.at(0).image.pixels;
        request.loras = {{lora, 4.0f}};
        const auto styled = engine.generate(request).images.at(0).image.pixels;
        QVERIFY(styled != plain);
        request.loras.clear();
        request.prompt = "a frog <lora:cartoonStyle:4>";
        const auto tagged = engine.generate(request);
        QCOMPARE(tagged.images.at(0).image.pixels, styled);  // the same add-on, the same picture
        QVERIFY(
            QString::fromStdString(tagged.images.at(0).parameters).contains(QStringLiteral("<lora:cartoonStyle:4>")));
        request.prompt = "a frog";
        QCOMPARE(engine.generate(request).images.at(0).image.pixels, plain);  // taken out again exactly
        request.prompt = "a frog <lora:missingStyle:1>";
        try {
            engine.generate(request);
            QFAIL("a missing LoRA was accepted");
        } catch (const Error& error) {
            QVERIFY(QString::fromUtf8(error.what()).contains(QStringLiteral("missingStyle")));
        }
    }
};

QTEST_GUILESS_MAIN(TestLora)
#include "tst_lora.moc"
