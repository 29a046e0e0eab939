// Checkpoint opening: a diffusers folder and the same weights as one LDM single file give the same tensors
// under the same names; family, prediction and inpainting detected; inferred configs agree with the folders'
// config.json; bad inputs refused with the path and the problem.
#include "common/fixtures.h"
#include "io/checkpoint.h"
#include "io/safetensors_writer.h"

#include <storybrush/error.h>

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <torch/torch.h>

using namespace storybrush;
using namespace storybrush::io;
using storybrush::test::fixturePath;
using storybrush::test::fixturePathStd;

namespace {

// Same key set and bit-identical tensors (same dtype, same shape, same bytes).
void compareStateDicts(const StateDict& a, const StateDict& b, const char* component) {
    QVERIFY2(!a.tensors.empty(), component);
    QCOMPARE(a.tensors.size(), b.tensors.size());
    for (const auto& [name, tensor] : a.tensors) {
        const auto it = b.tensors.find(name);
        QVERIFY2(it != b.tensors.end(), (std::string(component) + ": missing " + name).c_str());
        QVERIFY2(tensor.scalar_type() == it->second.scalar_type(), name.c_str());
        QVERIFY2(tensor.sizes() == it->second.sizes(), name.c_str());
        QVERIFY2(torch::equal(tensor, it->second), (std::string(component) + ": values differ in " + name).c_str());
    }
}

void compareFields(const nlohmann::json& inferred, const nlohmann::json& reference,
                   const std::vector<std::string>& fields, const char* component) {
    for (const auto& field : fields) {
        QVERIFY2(inferred.contains(field), (std::string(component) + ": no " + field).c_str());
        QVERIFY2(inferred[field] == reference[field], (std::string(component) + "." + field + ": inferred " +
                                                       inferred[field].dump() + ", folder " + reference[field].dump())
                                                          .c_str());
    }
}

// The fields that tensor shapes (and the family) determine. Not compared, as shapes cannot tell them and the
// tiny fixtures use non-default values: attention_head_dim / num_attention_heads, norm_num_groups, sample_size.
const std::vector<std::string> kUnetFields = {"block_out_channels",
                                              "layers_per_block",
                                              "down_block_types",
                                              "up_block_types",
                                              "in_channels",
                                              "out_channels",
                                              "cross_attention_dim",
                                              "use_linear_projection",
                                              "transformer_layers_per_block",
                                              "mid_block_type",
                                              "conv_in_kernel",
                                              "conv_out_kernel",
                                              "flip_sin_to_cos",
                                              "freq_shift"};
const std::vector<std::string> kVaeFields = {
    "block_out_channels", "layers_per_block",    "down_block_types",       "up_block_types",
    "in_channels",        "out_channels",        "latent_channels",        "scaling_factor",
    "use_quant_conv",     "use_post_quant_conv", "mid_block_add_attention"};
const std::vector<std::string> kTextFields = {"hidden_size",       "vocab_size",        "max_position_embeddings",
                                              "num_hidden_layers", "intermediate_size", "hidden_act",
                                              "bos_token_id",      "eos_token_id",      "pad_token_id"};
const std::vector<std::string> kSchedulerFields = {"beta_start",          "beta_end",     "beta_schedule",
                                                   "num_train_timesteps", "steps_offset", "timestep_spacing",
                                                   "prediction_type"};

// The Error of opening path, or a failure string.
QString openError(const std::string& path, ErrorKind expected = ErrorKind::ModelFile) {
    try {
        openCheckpoint(path);
    } catch (const Error& error) {
        if (error.kind() != expected) return QStringLiteral("wrong kind: ") + QString::fromUtf8(error.what());
        return QString::fromUtf8(error.what());
    }
    return QStringLiteral("no error");
}

bool copyInto(const QString& from, const QString& to) {
    QDir().mkpath(QFileInfo(to).path());
    return QFile::copy(from, to);
}

}  // namespace

class TestCheckpoint : public QObject {
    Q_OBJECT

private:
    static void checkSameModel(const char* folder, const char* single, ModelFamily family, Prediction prediction) {
        const Checkpoint a = openCheckpoint(fixturePathStd(QString::fromLatin1(folder)));
        const Checkpoint b = openCheckpoint(fixturePathStd(QString::fromLatin1(single)));
        QCOMPARE(a.layout, Layout::DiffusersFolder);
        QCOMPARE(b.layout, Layout::SingleFile);
        QCOMPARE(a.family, family);
        QCOMPARE(b.family, family);
        QCOMPARE(a.prediction, prediction);
        QCOMPARE(b.prediction, prediction);
        QCOMPARE(a.unetInChannels, 4);
        QCOMPARE(b.unetInChannels, 4);
        compareStateDicts(a.unet, b.unet, "unet");
        compareStateDicts(a.vae, b.vae, "vae");
        compareStateDicts(a.textEncoder, b.textEncoder, "text encoder");
        QVERIFY2(b.unknownKeys.empty(), b.unknownKeys.empty() ? "" : b.unknownKeys.front().c_str());

        compareFields(b.unetConfig, a.unetConfig, kUnetFields, "unet");
        compareFields(b.vaeConfig, a.vaeConfig, kVaeFields, "vae");
        compareFields(b.textEncoderConfig, a.textEncoderConfig, kTextFields, "text encoder");
        compareFields(b.schedulerConfig, a.schedulerConfig, kSchedulerFields, "scheduler");

        for (const auto* dir : {&a.tokenizerDir, &b.tokenizerDir}) {
            QVERIFY2(QFileInfo::exists(QString::fromStdString(*dir + "/vocab.json")), dir->c_str());
            QVERIFY2(QFileInfo::exists(QString::fromStdString(*dir + "/merges.txt")), dir->c_str());
        }
    }

private Q_SLOTS:
    void sd15FolderAndSingleFileGiveTheSameTensors() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/model_index.json");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-ldm.safetensors");
        checkSameModel("tiny-sd15-diffusers", "tiny-sd15-ldm.safetensors", ModelFamily::SD1, Prediction::Epsilon);
    }

    void sd2vFolderAndSingleFileGiveTheSameTensors() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-diffusers/model_index.json");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-ldm.safetensors");
        checkSameModel("tiny-sd2v-diffusers", "tiny-sd2v-ldm.safetensors", ModelFamily::SD2, Prediction::VPrediction);
        // OpenCLIP's extra last layer, projection and temperature are known leftovers, not unknown keys.
        const Checkpoint single = openCheckpoint(fixturePathStd(QStringLiteral("tiny-sd2v-ldm.safetensors")));
        const auto ignored = [&](const std::string& key) {
            return std::find(single.ignoredKeys.begin(), single.ignoredKeys.end(), key) != single.ignoredKeys.end();
        };
        QVERIFY(ignored("cond_stage_model.model.text_projection"));
        QVERIFY(ignored("cond_stage_model.model.logit_scale"));
        QVERIFY(ignored("cond_stage_model.model.transformer.resblocks.3.attn.in_proj_weight"));
        QVERIFY(!ignored("cond_stage_model.model.transformer.resblocks.2.attn.in_proj_weight"));
        QCOMPARE(single.textEncoderConfig["num_hidden_layers"].get<int>(), 3);
    }

    void singleFileTakesConfigsFromAFolderWhenAsked() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-diffusers/model_index.json");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-ldm.safetensors");
        const std::string folder = fixturePathStd(QStringLiteral("tiny-sd2v-diffusers"));
        const Checkpoint inferred = openCheckpoint(fixturePathStd(QStringLiteral("tiny-sd2v-ldm.safetensors")));
        const Checkpoint given = openCheckpoint(fixturePathStd(QStringLiteral("tiny-sd2v-ldm.safetensors")), {folder});
        const Checkpoint reference = openCheckpoint(folder);
        // Head counts cannot be seen in shapes: the family rule (64-wide heads) differs from the tiny model's.
        QVERIFY(inferred.unetConfig["attention_head_dim"] != reference.unetConfig["attention_head_dim"]);
        QCOMPARE(given.unetConfig, reference.unetConfig);
        QCOMPARE(given.textEncoderConfig, reference.textEncoderConfig);
        QCOMPARE(given.prediction, Prediction::VPrediction);
        compareStateDicts(given.unet, reference.unet, "unet");
    }

    void inpaintUnetHasNineInputChannels() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-inpaint-unet-ldm.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-inpaint-diffusers/model_index.json");
        const Checkpoint single =
            openCheckpoint(fixturePathStd(QStringLiteral("tiny-sd15-inpaint-unet-ldm.safetensors")));
        const Checkpoint folder = openCheckpoint(fixturePathStd(QStringLiteral("tiny-sd15-inpaint-diffusers")));
        QCOMPARE(single.unetInChannels, 9);
        QCOMPARE(folder.unetInChannels, 9);
        QCOMPARE(single.unetConfig["in_channels"].get<int>(), 9);
        QCOMPARE(single.family, ModelFamily::SD1);
        QCOMPARE(single.prediction, Prediction::Epsilon);
        QVERIFY(single.vae.tensors.empty() && single.textEncoder.tensors.empty());  // a UNet-only file
        QVERIFY(single.vaeConfig.is_null());
        compareStateDicts(folder.unet, single.unet, "inpaint unet");
    }

    void sdxlFolderAndSingleFileGiveTheSameTensors() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sdxl-ldm.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sdxl-diffusers/model_index.json");
        const Checkpoint a = openCheckpoint(fixturePathStd(QStringLiteral("tiny-sdxl-diffusers")));
        const Checkpoint b = openCheckpoint(fixturePathStd(QStringLiteral("tiny-sdxl-ldm.safetensors")));
        for (const auto* checkpoint : {&a, &b}) {
            QCOMPARE(checkpoint->family, ModelFamily::SDXL);
            QCOMPARE(checkpoint->prediction, Prediction::Epsilon);
            QVERIFY(checkpoint->zeroEmptyNegative);
            QVERIFY(QFileInfo::exists(QString::fromStdString(checkpoint->tokenizer2Dir + "/vocab.json")));
        }
        compareStateDicts(a.unet, b.unet, "unet");
        compareStateDicts(a.vae, b.vae, "vae");
        compareStateDicts(a.textEncoder, b.textEncoder, "text encoder");
        compareStateDicts(a.textEncoder2, b.textEncoder2, "text encoder 2");  // text_projection transposed back
        QVERIFY2(b.unknownKeys.empty(), b.unknownKeys.empty() ? "" : b.unknownKeys.front().c_str());
        QVERIFY(b.ignoredKeys.empty());

        // What shapes tell, including the added embedding's size/crop width (8 here, 256 in SDXL).
        compareFields(b.unetConfig, a.unetConfig,
                      {"block_out_channels", "layers_per_block", "down_block_types", "up_block_types", "in_channels",
                       "cross_attention_dim", "use_linear_projection", "transformer_layers_per_block",
                       "addition_embed_type", "addition_time_embed_dim", "projection_class_embeddings_input_dim"},
                      "unet");
        compareFields(b.textEncoderConfig, a.textEncoderConfig, kTextFields, "text encoder");
        compareFields(
            b.textEncoder2Config, a.textEncoder2Config,
            {"hidden_size", "num_hidden_layers", "intermediate_size", "hidden_act", "projection_dim", "architectures"},
            "text encoder 2");
        // SDXL's defaults where the tiny folder's own values are not SDXL's.
        QCOMPARE(b.unetConfig["sample_size"].get<int>(), 128);
        QCOMPARE(b.vaeConfig["scaling_factor"].get<double>(), 0.13025);
        QCOMPARE(b.textEncoder2Config["pad_token_id"].get<int>(), 0);
        QCOMPARE(b.tokenizer2PadToken, std::string("!"));
        QCOMPARE(b.schedulerConfig["_class_name"].get<std::string>(), std::string("EulerDiscreteScheduler"));
    }

    void sdxlRefinerIsRefusedWithTheReason() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath(QStringLiteral("sd_xl_refiner_1.0.safetensors")).toStdString();
        const auto small = torch::zeros({4, 4}, torch::kFloat16);
        writeSafetensors(
            path, {{"conditioner.embedders.0.model.ln_final.weight", small},
                   {"model.diffusion_model.input_blocks.0.0.weight", torch::zeros({4, 4, 3, 3}, torch::kFloat16)}});
        const QString message = openError(path, ErrorKind::UnsupportedModel);
        QVERIFY2(message.contains(QStringLiteral("refiner")) && message.contains(QStringLiteral("base model")) &&
                     message.contains(QString::fromStdString(path)),
                 qPrintable(message));
    }

    void refusesBadInputsNamingPathAndProblem() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        // A folder that is not a model.
        QString message = openError(dir.path().toStdString());
        QVERIFY2(message.contains(dir.path()) && message.contains(QStringLiteral("model_index.json")),
                 qPrintable(message));
        // A path that does not exist.
        const QString missing = dir.filePath(QStringLiteral("gone.safetensors"));
        message = openError(missing.toStdString());
        QVERIFY2(message.contains(missing) && message.contains(QStringLiteral("no such file")), qPrintable(message));
        // A pickle checkpoint, refused by name before reading.
        const QString ckpt = dir.filePath(QStringLiteral("v1-5-pruned.ckpt"));
        message = openError(ckpt.toStdString());
        QVERIFY2(message.contains(ckpt) && message.contains(QStringLiteral("pickle")) &&
                     message.contains(QStringLiteral("save_file")),
                 qPrintable(message));
    }

    void refusesIncompleteFoldersAndCorruptFiles() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/model_index.json");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-ldm.safetensors");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        // A folder missing vae/.
        const QString model = dir.filePath(QStringLiteral("no-vae"));
        for (const char* file : {"model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors"})
            QVERIFY(copyInto(fixturePath(QStringLiteral("tiny-sd15-diffusers/") + QString::fromLatin1(file)),
                             model + QLatin1Char('/') + QString::fromLatin1(file)));
        QString message = openError(model.toStdString());
        QVERIFY2(message.contains(model) && message.contains(QStringLiteral("vae/")), qPrintable(message));

        // A folder whose text encoder is only a pickle .bin.
        const QString withBin = dir.filePath(QStringLiteral("bin-te"));
        for (const char* file : {"model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
                                 "vae/config.json", "vae/diffusion_pytorch_model.safetensors"})
            QVERIFY(copyInto(fixturePath(QStringLiteral("tiny-sd15-diffusers/") + QString::fromLatin1(file)),
                             withBin + QLatin1Char('/') + QString::fromLatin1(file)));
        QDir().mkpath(withBin + QStringLiteral("/text_encoder"));
        QFile bin(withBin + QStringLiteral("/text_encoder/pytorch_model.bin"));
        QVERIFY(bin.open(QIODevice::WriteOnly));
        bin.write("not read");
        bin.close();
        QFile::copy(fixturePath(QStringLiteral("tiny-sd15-diffusers/text_encoder/config.json")),
                    withBin + QStringLiteral("/text_encoder/config.json"));
        message = openError(withBin.toStdString());
        QVERIFY2(message.contains(withBin + QStringLiteral("/text_encoder/pytorch_model.bin")) &&
                     message.contains(QStringLiteral("pickle")),
                 qPrintable(message));

        // A single file cut short.
        QFile full(fixturePath(QStringLiteral("tiny-sd15-ldm.safetensors")));
        QVERIFY(full.open(QIODevice::ReadOnly));
        const QString cut = dir.filePath(QStringLiteral("cut.safetensors"));
        QFile cutFile(cut);
        QVERIFY(cutFile.open(QIODevice::WriteOnly));
        cutFile.write(full.read(full.size() / 2));
        cutFile.close();
        message = openError(cut.toStdString());
        QVERIFY2(message.contains(cut) && message.contains(QStringLiteral("cut short")), qPrintable(message));
    }

    void refusesASafetensorsFileWithoutAUnet() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/vae/diffusion_pytorch_model.safetensors");
        const std::string vae =
            fixturePathStd(QStringLiteral("tiny-sd15-diffusers/vae/diffusion_pytorch_model.safetensors"));
        const QString message = openError(vae);
        QVERIFY2(message.contains(QString::fromStdString(vae)) &&
                     message.contains(QStringLiteral("no Stable Diffusion UNet")),
                 qPrintable(message));
    }
};

QTEST_GUILESS_MAIN(TestCheckpoint)
#include "tst_checkpoint.moc"
