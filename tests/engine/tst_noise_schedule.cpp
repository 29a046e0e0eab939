// Schedules against diffusers: every case of schedules_sd15.json (timesteps, sigmas, init_noise_sigma), and
// the timesteps of the whole-pipeline fixture for each sampler name.
#include "sampling/noise_schedule.h"
#include "sampling/sampler.h"

#include "io/safetensors.h"

#include "common/fixtures.h"
#include "common/json_file.h"

#include <storybrush/error.h>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <fstream>

using namespace storybrush;
using namespace storybrush::sampling;

namespace {

// Relative to the value's size: timesteps near 1000 are float32 values with a spacing of 6e-5.
bool near(double actual, double expected, double tolerance) {
    return std::abs(actual - expected) <= tolerance * std::max(1.0, std::abs(expected));
}

QString listText(const std::vector<double>& values) {
    QStringList parts;
    for (double v : values) parts << QString::number(v, 'g', 10);
    return parts.join(QStringLiteral(", "));
}

}  // namespace

class TestNoiseSchedule : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyReferenceCaseMatches_data() {
        QTest::addColumn<QString>("key");
        STORYBRUSH_REQUIRE_FIXTURE("schedules_sd15.json");
        const nlohmann::json fixture =
            storybrush::test::readJsonFile(test::fixturePathStd(QStringLiteral("schedules_sd15.json")));
        for (const auto& [key, value] : fixture.at("cases").items()) {
            QTest::newRow(key.c_str()) << QString::fromStdString(key);
        }
        QVERIFY(fixture.at("cases").size() >= 144);  // 6 samplers x 3 spacings x 8 step counts
    }

    void everyReferenceCaseMatches() {
        QFETCH(QString, key);
        const nlohmann::json fixture =
            storybrush::test::readJsonFile(test::fixturePathStd(QStringLiteral("schedules_sd15.json")));
        const nlohmann::json& expected = fixture.at("cases").at(key.toStdString());
        const QStringList parts = key.split(QLatin1Char('/'));
        QCOMPARE(parts.size(), 3);
        const std::string name = parts[0].toStdString();

        nlohmann::json config = fixture.at("config");
        config["timestep_spacing"] = parts[1].toStdString();
        SchedulerKind kind = SchedulerKind::Ddim;
        bool karras = false;
        if (name == "ddim") kind = SchedulerKind::Ddim;
        else if (name == "euler") kind = SchedulerKind::Euler;
        else if (name == "euler_karras") kind = SchedulerKind::Euler, karras = true;
        else if (name == "dpmpp2m") kind = SchedulerKind::DpmSolverMultistep;
        else if (name == "dpmpp2m_karras") kind = SchedulerKind::DpmSolverMultistep, karras = true;
        else if (name == "lcm") kind = SchedulerKind::Lcm;
        else QFAIL(qPrintable(QStringLiteral("unknown sampler in fixture: ") + key));
        SchedulerConfig parsed = SchedulerConfig::fromJson(kind, config);
        parsed.useKarrasSigmas = karras;

        const Schedule schedule = makeSchedule(parsed, alphasCumprod(parsed), parts[2].toInt());
        const auto timesteps = expected.at("timesteps").get<std::vector<double>>();
        QVERIFY2(schedule.timesteps.size() == timesteps.size(),
                 qPrintable(
                     QStringLiteral("got [%1], expected [%2]").arg(listText(schedule.timesteps), listText(timesteps))));
        for (std::size_t i = 0; i < timesteps.size(); ++i) {
            QVERIFY2(near(schedule.timesteps[i], timesteps[i], 1e-5),
                     qPrintable(QStringLiteral("timestep %1: got %2, expected %3")
                                    .arg(i)
                                    .arg(schedule.timesteps[i], 0, 'g', 12)
                                    .arg(timesteps[i], 0, 'g', 12)));
        }
        if (expected.contains("sigmas")) {
            const auto sigmas = expected.at("sigmas").get<std::vector<double>>();
            QCOMPARE(schedule.sigmas.size(), sigmas.size());
            for (std::size_t i = 0; i < sigmas.size(); ++i) {
                QVERIFY2(near(schedule.sigmas[i], sigmas[i], 1e-5),
                         qPrintable(QStringLiteral("sigma %1: got %2, expected %3")
                                        .arg(i)
                                        .arg(schedule.sigmas[i], 0, 'g', 12)
                                        .arg(sigmas[i], 0, 'g', 12)));
            }
        } else {
            QVERIFY(schedule.sigmas.empty());
        }
        const double initSigma = expected.at("init_noise_sigma").get<double>();
        QVERIFY2(near(schedule.initNoiseSigma, initSigma, 1e-5),
                 qPrintable(QStringLiteral("init_noise_sigma: got %1, expected %2")
                                .arg(schedule.initNoiseSigma, 0, 'g', 12)
                                .arg(initSigma, 0, 'g', 12)));
    }

    // Each sampler name, built from the tiny SD 1.5 model's own scheduler config (a PNDMScheduler config),
    // gives the timesteps that diffusers' pipeline ran with.
    void pipelineTimestepsMatchEachSamplerName() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-pipeline-ref.safetensors");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd15-diffusers/scheduler/scheduler_config.json");
        const nlohmann::json config = storybrush::test::readJsonFile(
            test::fixturePathStd(QStringLiteral("tiny-sd15-diffusers/scheduler/scheduler_config.json")));
        const auto file =
            io::SafetensorsFile::open(test::fixturePathStd(QStringLiteral("tiny-sd15-pipeline-ref.safetensors")));
        const std::vector<std::pair<const char*, Sampler>> samplers = {
            {"ddim", Sampler::Ddim},       {"euler", Sampler::Euler},
            {"dpmpp2m", Sampler::DpmPP2M}, {"dpmpp2m_karras", Sampler::DpmPP2MKarras},
            {"pndm", Sampler::Pndm},       {"lcm", Sampler::Lcm}};
        CpuNoiseSource noise(0);
        for (const auto& [name, sampler] : samplers) {
            const auto* info = file->find(std::string(name) + ".timesteps");
            QVERIFY2(info, name);
            const torch::Tensor expected = io::tensorView(file, *info).to(torch::kFloat64);
            const auto scheduler = makeScheduler(sampler, config, 4, &noise);
            QVERIFY2(scheduler->numSteps() == expected.numel(), name);
            for (int i = 0; i < scheduler->numSteps(); ++i) {
                QVERIFY2(near(scheduler->timesteps()[static_cast<std::size_t>(i)], expected[i].item<double>(), 1e-6),
                         name);
            }
        }
    }

    void defaultsFollowTheSchedulerClass() {
        // An empty config takes each class's own defaults (diffusers from_config): DDIM leading, Euler linspace.
        const auto ddim = SchedulerConfig::fromJson(SchedulerKind::Ddim, nlohmann::json::object());
        const auto euler = SchedulerConfig::fromJson(SchedulerKind::Euler, nlohmann::json::object());
        const auto lcm = SchedulerConfig::fromJson(SchedulerKind::Lcm, nlohmann::json::object());
        QVERIFY(ddim.spacing == TimestepSpacing::Leading);
        QVERIFY(ddim.clipSample && ddim.setAlphaToOne);
        QVERIFY(euler.spacing == TimestepSpacing::Linspace);
        QCOMPARE(lcm.betaSchedule, std::string("scaled_linear"));
        QVERIFY(!lcm.clipSample);
        // Linear betas run from beta_start to beta_end.
        const torch::Tensor betas = trainingBetas(ddim);
        QCOMPARE(betas.numel(), 1000);
        QVERIFY(std::abs(betas[0].item<double>() - ddim.betaStart) < 1e-9);
        QVERIFY(std::abs(betas[-1].item<double>() - ddim.betaEnd) < 1e-8);
    }

    void unsupportedSettingsAreRefusedByName() {
        nlohmann::json config = {{"algorithm_type", "sde-dpmsolver++"}};
        try {
            SchedulerConfig::fromJson(SchedulerKind::DpmSolverMultistep, config);
            QFAIL("sde-dpmsolver++ was accepted");
        } catch (const Error& e) {
            QVERIFY(e.kind() == ErrorKind::UnsupportedModel);
            QVERIFY(std::string(e.what()).find("algorithm_type") != std::string::npos);
        }
        config = {{"beta_start", "small"}};
        QVERIFY_THROWS_EXCEPTION(Error, SchedulerConfig::fromJson(SchedulerKind::Ddim, config));
        const auto parsed = SchedulerConfig::fromJson(SchedulerKind::Ddim, nlohmann::json::object());
        QVERIFY_THROWS_EXCEPTION(Error, makeSchedule(parsed, alphasCumprod(parsed), 0));
        QVERIFY_THROWS_EXCEPTION(Error, makeSchedule(parsed, alphasCumprod(parsed), 1001));
    }
};

QTEST_GUILESS_MAIN(TestNoiseSchedule)
#include "tst_noise_schedule.moc"
