// Strict loading: every tensor present with the right shape, nothing left over, errors that name key and
// file; dtype conversion while copying; the module names of full-size SD 1.5 against keys_sd15.tsv.
#include "common/fixtures.h"
#include "model_test_support.h"
#include "models/autoencoder_kl.h"
#include "models/clip_text_model.h"
#include "models/unet.h"
#include "models/weights.h"

#include <storybrush/error.h>

#include <QtCore/QFile>
#include <QtTest/QtTest>
#include <torch/torch.h>

#include <map>
#include <set>

using namespace storybrush;

namespace {

std::string vaeDir() { return test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers/vae")); }
std::string vaeFile() { return vaeDir() + "/diffusion_pytorch_model.safetensors"; }

// Runs loadStrict and returns the error message (empty when it loaded).
QString loadError(torch::nn::Module& module, const io::StateDict& dict) {
    try {
        models::loadStrict(module, dict);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::ModelFile) {
            return QStringLiteral("wrong error kind: ") + QString::fromStdString(e.what());
        }
        return QString::fromStdString(e.what());
    }
    return {};
}

// The full-size SD 1.5 configs as published (runwayml/stable-diffusion-v1-5 unet/vae/text_encoder).
const char* const kSd15UNet = R"({"_class_name": "UNet2DConditionModel", "attention_head_dim": 8,
  "block_out_channels": [320, 640, 1280, 1280], "cross_attention_dim": 768, "in_channels": 4, "out_channels": 4,
  "layers_per_block": 2, "norm_num_groups": 32, "norm_eps": 1e-05, "flip_sin_to_cos": true, "freq_shift": 0,
  "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]})";
const char* const kSd15Vae = R"({"_class_name": "AutoencoderKL", "block_out_channels": [128, 256, 512, 512],
  "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32,
  "act_fn": "silu", "scaling_factor": 0.18215})";
const char* const kSd15TextEncoder = R"({"architectures": ["CLIPTextModel"], "hidden_size": 768,
  "intermediate_size": 3072, "num_attention_heads": 12, "num_hidden_layers": 12, "hidden_act": "quick_gelu",
  "max_position_embeddings": 77, "vocab_size": 49408, "layer_norm_eps": 1e-05, "eos_token_id": 2})";

using ShapeMap = std::map<std::string, std::vector<std::int64_t>>;

ShapeMap parameterShapes(torch::nn::Module& module) {
    ShapeMap out;
    for (const auto& item : module.named_parameters()) {
        out[item.key()] = item.value().sizes().vec();
    }
    for (const auto& item : module.named_buffers()) {
        out[item.key()] = item.value().sizes().vec();
    }
    return out;
}

// Compares a module's names and shapes with the tsv rows of one component; returns the mismatches.
QStringList compareWithTsv(const ShapeMap& module, const ShapeMap& tsv) {
    QStringList problems;
    for (const auto& [key, shape] : tsv) {
        const auto it = module.find(key);
        if (it == module.end()) {
            problems << QStringLiteral("not a module parameter: ") + QString::fromStdString(key);
        } else if (it->second != shape) {
            problems << QStringLiteral("shape of ") + QString::fromStdString(key) + QStringLiteral(": module ") +
                            QString::fromStdString(models::shapeString(it->second)) + QStringLiteral(", tsv ") +
                            QString::fromStdString(models::shapeString(shape));
        }
    }
    for (const auto& [key, shape] : module) {
        if (!tsv.count(key)) {
            problems << QStringLiteral("missing from the tsv: ") + QString::fromStdString(key);
        }
    }
    return problems;
}

}  // namespace

class TestWeights : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void loadsEveryTensorConvertingTheDtype() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/vae/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        const auto dict = test::readStateDict(vaeFile());
        const auto config = models::AutoencoderKLConfig::fromFile(vaeDir() + "/config.json");
        models::AutoencoderKL vae(config, torch::TensorOptions().dtype(torch::kFloat32));
        QVERIFY(loadError(*vae, dict).isEmpty());
        const auto& source = dict.tensors.at("decoder.mid_block.attentions.0.to_q.weight");
        QCOMPARE(source.scalar_type(), torch::kHalf);  // the fixture files are float16
        QCOMPARE(vae->named_parameters()["decoder.mid_block.attentions.0.to_q.weight"].scalar_type(), torch::kFloat);
        for (const auto& item : vae->named_parameters()) {
            QVERIFY2(torch::equal(item.value(), dict.tensors.at(item.key()).to(torch::kFloat32)), item.key().c_str());
        }
        models::AutoencoderKL bf16(config, torch::TensorOptions().dtype(torch::kBFloat16));
        QVERIFY(loadError(*bf16, dict).isEmpty());
        QCOMPARE(bf16->encoder->conv_in->weight.scalar_type(), torch::kBFloat16);
    }

    void aMissingKeyIsNamedWithTheFile() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/vae/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto dict = test::readStateDict(vaeFile());
        const auto before = dict.tensors.at("decoder.conv_in.bias").clone();
        dict.tensors.erase("encoder.mid_block.attentions.0.to_k.bias");
        const auto config = models::AutoencoderKLConfig::fromFile(vaeDir() + "/config.json");
        models::AutoencoderKL vae(config, torch::TensorOptions());
        vae->decoder->conv_in->bias.fill_(7);
        const auto message = loadError(*vae, dict);
        QVERIFY2(message.contains(QStringLiteral("key encoder.mid_block.attentions.0.to_k.bias missing from ") +
                                  QString::fromStdString(vaeFile()) + QStringLiteral(" (expected [32])")),
                 qPrintable(message));
        QVERIFY2(message.startsWith(QStringLiteral("1 problem ")), qPrintable(message));
        // Nothing was copied: a failed load leaves no half-loaded module behind.
        QVERIFY(!torch::equal(vae->decoder->conv_in->bias, before));
    }

    void aWrongShapeIsNamedWithBothShapes() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/unet/diffusion_pytorch_model.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-inpaint-diffusers/unet/config.json");
        torch::NoGradGuard noGrad;
        // The plain 4-channel UNet's weights into the 9-channel inpainting config.
        const auto file =
            test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers/unet/diffusion_pytorch_model.safetensors"));
        const auto config = models::UNetConfig::fromFile(
            test::fixturePathStd(QStringLiteral("tiny-sd15-inpaint-diffusers/unet/config.json")));
        try {
            models::loadUNet(config, test::readStateDict(file), {});
            QFAIL("expected an error");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::ModelFile);
            const auto expected = "key conv_in.weight in " + file + ": got [16,4,3,3], expected [16,9,3,3]";
            QVERIFY2(std::string(e.what()).find(expected) != std::string::npos, e.what());
        }
    }

    void anExtraKeyIsRefusedButKnownLeftoversAreNot() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/text_encoder/model.safetensors");
        torch::NoGradGuard noGrad;
        const auto dir = test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers/text_encoder"));
        const auto config = models::ClipTextConfig::fromFile(dir + "/config.json");
        auto dict = test::readStateDict(dir + "/model.safetensors");
        // transformers < 4.31 files carry position_ids: allowed.
        dict.tensors["text_model.embeddings.position_ids"] = torch::arange(77).view({1, 77});
        models::ClipTextModel withLeftover(config, torch::TensorOptions());
        QVERIFY(loadError(*withLeftover, dict).isEmpty());
        dict.tensors["text_model.encoder.layers.3.mlp.fc1.weight"] = torch::zeros({32, 16});
        models::ClipTextModel withExtra(config, torch::TensorOptions());
        const auto message = loadError(*withExtra, dict);
        QVERIFY2(message.contains(QStringLiteral("key text_model.encoder.layers.3.mlp.fc1.weight in ") +
                                  QString::fromStdString(dir + "/model.safetensors") +
                                  QStringLiteral(" [32,16] is not a weight of this model")),
                 qPrintable(message));
    }

    void anIntegerTensorForAFloatParameterIsRefused() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/vae/diffusion_pytorch_model.safetensors");
        torch::NoGradGuard noGrad;
        auto dict = test::readStateDict(vaeFile());
        dict.tensors["quant_conv.bias"] = torch::zeros({8}, torch::kLong);
        const auto config = models::AutoencoderKLConfig::fromFile(vaeDir() + "/config.json");
        models::AutoencoderKL vae(config, torch::TensorOptions());
        const auto message = loadError(*vae, dict);
        QVERIFY2(message.contains(QStringLiteral("key quant_conv.bias in ")) &&
                     message.contains(QStringLiteral("expected a floating-point tensor")),
                 qPrintable(message));
    }

    void fullSizeSd15NamesAndShapesMatchTheKeyMap() {
        STORYBRUSH_REQUIRE_FIXTURE("keys_sd15.tsv");
        QFile file(test::fixturePath(QStringLiteral("keys_sd15.tsv")));
        QVERIFY(file.open(QIODevice::ReadOnly | QIODevice::Text));
        std::map<QString, ShapeMap> tsv;  // by component: unet, vae, te
        const auto header = file.readLine();
        QVERIFY(header.startsWith("ldm_key\tdiffusers_key\tshape"));
        while (!file.atEnd()) {
            const auto fields = QString::fromUtf8(file.readLine()).trimmed().split(QLatin1Char('\t'));
            if (fields.size() != 3) {
                continue;
            }
            const auto& ldm = fields[0];
            QString component = QStringLiteral("?");
            if (ldm.startsWith(QStringLiteral("model.diffusion_model."))) {
                component = QStringLiteral("unet");
            } else if (ldm.startsWith(QStringLiteral("first_stage_model."))) {
                component = QStringLiteral("vae");
            } else if (ldm.startsWith(QStringLiteral("cond_stage_model."))) {
                component = QStringLiteral("te");
            }
            std::vector<std::int64_t> shape;
            for (const auto& dim : fields[2].split(QLatin1Char('x'))) {
                shape.push_back(dim.toLongLong());
            }
            tsv[component][fields[1].toStdString()] = shape;
        }
        QCOMPARE(tsv.count(QStringLiteral("?")), std::size_t(0));
        QCOMPARE(tsv[QStringLiteral("unet")].size() + tsv[QStringLiteral("vae")].size() +
                     tsv[QStringLiteral("te")].size(),
                 std::size_t(1130));

        // The "meta" device: every parameter has its shape and no storage, so full size costs nothing.
        torch::NoGradGuard noGrad;
        const auto meta = torch::TensorOptions().device(torch::kMeta);
        models::UNet2DConditionModel unet(models::UNetConfig::fromJsonText(kSd15UNet, "sd15 unet"), meta);
        models::AutoencoderKL vae(models::AutoencoderKLConfig::fromJsonText(kSd15Vae, "sd15 vae"), meta);
        models::ClipTextModel te(models::ClipTextConfig::fromJsonText(kSd15TextEncoder, "sd15 te"), meta);
        std::int64_t unetParams = 0;
        for (const auto& p : unet->parameters()) {
            unetParams += p.numel();
        }
        QCOMPARE(unetParams, std::int64_t(859520964));  // SD 1.5's UNet: 859.52 M parameters

        const auto unetProblems = compareWithTsv(parameterShapes(*unet), tsv[QStringLiteral("unet")]);
        const auto vaeProblems = compareWithTsv(parameterShapes(*vae), tsv[QStringLiteral("vae")]);
        const auto teProblems = compareWithTsv(parameterShapes(*te), tsv[QStringLiteral("te")]);
        QVERIFY2(unetProblems.isEmpty(), qPrintable(unetProblems.mid(0, 10).join(QLatin1Char('\n'))));
        QVERIFY2(vaeProblems.isEmpty(), qPrintable(vaeProblems.mid(0, 10).join(QLatin1Char('\n'))));
        QVERIFY2(teProblems.isEmpty(), qPrintable(teProblems.mid(0, 10).join(QLatin1Char('\n'))));
    }

    void shapeStringSpellsShapesAsTheMessagesDo() {
        QCOMPARE(models::shapeString({320, 4, 3, 3}), std::string("[320,4,3,3]"));
        QCOMPARE(models::shapeString({}), std::string("[]"));
    }
};

QTEST_GUILESS_MAIN(TestWeights)
#include "tst_weights.moc"
