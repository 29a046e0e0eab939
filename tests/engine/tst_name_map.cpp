// The LDM -> diffusers name table against the full-size key maps of SD 1.5 and SD 2.x (every row, both ways),
// plus the allow-list of known leftovers.
#include "common/fixtures.h"
#include "io/name_map.h"

#include <QtCore/QFile>
#include <QtTest/QtTest>

#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace storybrush::io;

namespace {

struct Row {
    std::string ldm;
    std::string diffusers;
    std::string shape;
};

std::vector<Row> readTsv(const QString& path) {
    std::vector<Row> rows;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return rows;
    bool header = true;
    while (!file.atEnd()) {
        const QList<QByteArray> fields = file.readLine().trimmed().split('\t');
        if (header) {
            header = false;
            continue;
        }
        if (fields.size() < 3) continue;
        rows.push_back({fields[0].toStdString(), fields[1].toStdString(), fields[2].toStdString()});
    }
    return rows;
}

Component expectedComponent(const std::string& ldm) {
    if (ldm.rfind("model.diffusion_model.", 0) == 0) return Component::Unet;
    if (ldm.rfind("first_stage_model.", 0) == 0) return Component::Vae;
    if (ldm.rfind("conditioner.embedders.1.", 0) == 0) return Component::TextEncoder2;
    return Component::TextEncoder;
}

Transform expectedTransform(const Row& row) {
    const auto endsWith = [&](const char* suffix) {
        const std::string s = suffix;
        return row.diffusers.size() >= s.size() &&
               row.diffusers.compare(row.diffusers.size() - s.size(), s.size(), s) == 0;
    };
    if (row.shape.find("stored transposed") != std::string::npos) return Transform::Transpose;
    if (row.ldm.find("in_proj_") != std::string::npos) {
        if (endsWith("q_proj.weight") || endsWith("q_proj.bias")) return Transform::SliceQ;
        if (endsWith("k_proj.weight") || endsWith("k_proj.bias")) return Transform::SliceK;
        return Transform::SliceV;
    }
    // VAE attention weights: 1x1 convs in LDM, 2-D in diffusers (README: "the same with trailing 1x1").
    if (row.ldm.find("first_stage_model.") == 0 && row.ldm.find(".attn_1.") != std::string::npos &&
        endsWith(".weight") && row.shape.find('x') != std::string::npos && row.ldm.find(".norm.") == std::string::npos)
        return Transform::SqueezeConv1x1;
    return Transform::None;
}

}  // namespace

class TestNameMap : public QObject {
    Q_OBJECT

private:
    // Every tsv row is produced by the table, and the table produces nothing else for the tsv's keys.
    static void checkKeyMap(const QString& tsv, const std::string& textPrefixInTsv, int expectedLayers) {
        const std::vector<Row> rows = readTsv(storybrush::test::fixturePath(tsv));
        QVERIFY2(rows.size() > 600, qPrintable(tsv));
        std::vector<std::string> ldmKeys;
        std::set<std::string> seen;
        std::set<std::pair<std::string, std::string>> expected;
        for (const auto& row : rows) {
            if (seen.insert(row.ldm).second) ldmKeys.push_back(row.ldm);
            std::string diffusers = row.diffusers;
            if (expectedComponent(row.ldm) == Component::TextEncoder && diffusers.rfind(textPrefixInTsv, 0) == 0)
                diffusers = diffusers.substr(textPrefixInTsv.size());
            expected.insert({row.ldm, diffusers});
        }
        // The tsv keeps the layers diffusers keeps; a real file has one more OpenCLIP layer, which we
        // add here so the layout is detected as from a real file.
        if (expectedLayers > 0)
            ldmKeys.push_back("cond_stage_model.model.transformer.resblocks." + std::to_string(expectedLayers) +
                              ".attn.in_proj_weight");
        const LdmLayout layout = detectLdmLayout(ldmKeys);
        QCOMPARE(layout.unetLayersPerBlock, 2);
        QCOMPARE(layout.vaeLevels, 4);
        if (expectedLayers > 0) QCOMPARE(layout.openClipLayersKept, expectedLayers);

        std::set<std::pair<std::string, std::string>> produced;
        for (const auto& key : seen) {
            const auto targets = mapLdmKey(key, layout);
            QVERIFY2(!targets.empty(), key.c_str());
            QVERIFY2(!isKnownLeftover(key, layout), key.c_str());
            for (const auto& target : targets) {
                QVERIFY2(target.component == expectedComponent(key), key.c_str());
                QVERIFY2(produced.insert({key, target.name}).second, (key + " -> " + target.name + " twice").c_str());
            }
        }
        for (const auto& pair : expected)
            QVERIFY2(produced.count(pair), ("missing: " + pair.first + " -> " + pair.second).c_str());
        for (const auto& pair : produced)
            QVERIFY2(expected.count(pair), ("extra: " + pair.first + " -> " + pair.second).c_str());
        QCOMPARE(produced.size(), expected.size());

        // Transforms: fused in_proj rows slice q/k/v in that order; VAE attention weights lose the 1x1.
        std::set<std::string> diffusersNames;
        for (const auto& row : rows) {
            const auto targets = mapLdmKey(row.ldm, layout);
            std::string diffusers = row.diffusers;
            if (diffusers.rfind(textPrefixInTsv, 0) == 0 && expectedComponent(row.ldm) == Component::TextEncoder)
                diffusers = diffusers.substr(textPrefixInTsv.size());
            for (const auto& target : targets) {
                if (target.name != diffusers) continue;
                QVERIFY2(target.transform == expectedTransform(row), row.ldm.c_str());
            }
            QVERIFY2(diffusersNames.insert(std::to_string(int(expectedComponent(row.ldm))) + diffusers).second,
                     ("diffusers name twice: " + diffusers).c_str());
        }
    }

private Q_SLOTS:
    void mapsEverySd15Row() {
        STORYBRUSH_REQUIRE_FIXTURE("keys_sd15.tsv");
        checkKeyMap(QStringLiteral("keys_sd15.tsv"), "", 0);
    }

    void mapsEverySd2RowOntoFusedInProj() {
        STORYBRUSH_REQUIRE_FIXTURE("keys_sd2.tsv");
        // keys_sd2.tsv writes the text encoder's diffusers names under "transformer." (the CLIPTextModel
        // attribute in diffusers' converter); our StateDict keys start at "text_model.".
        checkKeyMap(QStringLiteral("keys_sd2.tsv"), "transformer.", 23);
    }

    void mapsEverySdxlRowWithBothTextEncoders() {
        STORYBRUSH_REQUIRE_FIXTURE("keys_sdxl_unet.tsv");
        STORYBRUSH_REQUIRE_FIXTURE("keys_sdxl_te_vae.tsv");
        checkKeyMap(QStringLiteral("keys_sdxl_unet.tsv"), "", 0);
        // SDXL keeps all 32 layers of OpenCLIP bigG (the pooled embedding is read after the last one).
        checkKeyMap(QStringLiteral("keys_sdxl_te_vae.tsv"), "", 0);
        const auto last =
            mapLdmKey("conditioner.embedders.1.model.transformer.resblocks.31.attn.in_proj_weight", LdmLayout{});
        QCOMPARE(last.size(), std::size_t(3));
        QCOMPARE(last[0].component, Component::TextEncoder2);
    }

    void detectsLayoutFromOtherShapes() {
        // 3 levels, 1 resnet per level: input_blocks 0..5 (downsamplers at 2 and 4).
        const std::vector<std::string> keys = {"model.diffusion_model.input_blocks.0.0.weight",
                                               "model.diffusion_model.input_blocks.1.0.in_layers.2.weight",
                                               "model.diffusion_model.input_blocks.2.0.op.weight",
                                               "model.diffusion_model.input_blocks.3.0.in_layers.2.weight",
                                               "model.diffusion_model.input_blocks.4.0.op.weight",
                                               "model.diffusion_model.input_blocks.5.0.in_layers.2.weight",
                                               "first_stage_model.decoder.up.2.block.0.conv1.weight"};
        const LdmLayout layout = detectLdmLayout(keys);
        QCOMPARE(layout.unetLayersPerBlock, 1);
        QCOMPARE(layout.vaeLevels, 3);
        auto mapped = mapLdmKey("model.diffusion_model.input_blocks.4.0.op.weight", layout);
        QCOMPARE(mapped.size(), std::size_t(1));
        QCOMPARE(mapped[0].name, std::string("down_blocks.1.downsamplers.0.conv.weight"));
        mapped = mapLdmKey("model.diffusion_model.output_blocks.3.0.in_layers.0.bias", layout);
        QCOMPARE(mapped.size(), std::size_t(1));
        QCOMPARE(mapped[0].name, std::string("up_blocks.1.resnets.1.norm1.bias"));
        mapped = mapLdmKey("first_stage_model.decoder.up.2.upsample.conv.weight", layout);
        QCOMPARE(mapped.size(), std::size_t(1));
        QCOMPARE(mapped[0].name, std::string("decoder.up_blocks.0.upsamplers.0.conv.weight"));
    }

    void knownLeftoversAreIgnoredAndOthersAreNot_data() {
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("leftover");
        QTest::newRow("alphas_cumprod") << QStringLiteral("alphas_cumprod") << true;
        QTest::newRow("betas") << QStringLiteral("betas") << true;
        QTest::newRow("log_one_minus") << QStringLiteral("log_one_minus_alphas_cumprod") << true;
        QTest::newRow("ema") << QStringLiteral("model_ema.diffusion_modelinput_blocks00weight") << true;
        QTest::newRow("ema counter") << QStringLiteral("model_ema.num_updates") << true;
        QTest::newRow("position_ids") << QStringLiteral(
                                             "cond_stage_model.transformer.text_model.embeddings.position_ids")
                                      << true;
        QTest::newRow("vae loss") << QStringLiteral("first_stage_model.loss.discriminator.main.0.weight") << true;
        QTest::newRow("text_projection") << QStringLiteral("cond_stage_model.model.text_projection") << true;
        QTest::newRow("logit_scale") << QStringLiteral("cond_stage_model.model.logit_scale") << true;
        QTest::newRow("last openclip layer")
            << QStringLiteral("cond_stage_model.model.transformer.resblocks.23.mlp.c_fc.weight") << true;
        QTest::newRow("kept openclip layer")
            << QStringLiteral("cond_stage_model.model.transformer.resblocks.22.mlp.c_fc.weight") << false;
        QTest::newRow("sdxl logit_scale") << QStringLiteral("conditioner.embedders.1.model.logit_scale") << true;
        QTest::newRow("sdxl position_ids")
            << QStringLiteral("conditioner.embedders.0.transformer.text_model.embeddings.position_ids") << true;
        QTest::newRow("sgm sigmas") << QStringLiteral("denoiser.sigmas") << true;
        QTest::newRow("sdxl text_projection is a weight")
            << QStringLiteral("conditioner.embedders.1.model.text_projection") << false;
        QTest::newRow("a lora left in") << QStringLiteral("lora_unet_down_blocks_0_attentions_0.alpha") << false;
        QTest::newRow("unet typo") << QStringLiteral("model.diffusion_model.input_blocks.1.0.in_layers.9.weight")
                                   << false;
        QTest::newRow("betas prefix only") << QStringLiteral("betas_extra") << false;
    }

    void knownLeftoversAreIgnoredAndOthersAreNot() {
        QFETCH(QString, key);
        QFETCH(bool, leftover);
        LdmLayout layout;
        layout.openClipLayersKept = 23;
        QCOMPARE(isKnownLeftover(key.toStdString(), layout), leftover);
        if (key.startsWith(QStringLiteral("model.diffusion_model.")))
            QVERIFY(mapLdmKey(key.toStdString(), layout).empty());  // unmapped too: reported as unknown
        if (key.contains(QStringLiteral("resblocks.23"))) QVERIFY(mapLdmKey(key.toStdString(), layout).empty());
    }
};

QTEST_GUILESS_MAIN(TestNameMap)
#include "tst_name_map.moc"
