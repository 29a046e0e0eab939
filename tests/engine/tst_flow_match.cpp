// The flow-matching schedule (dynamic shift from the picture's size, stretched to shift_terminal) equals
// diffusers' for every fixture size and step count, and the Euler step and noising follow its formulas.
#include "common/fixtures.h"
#include "common/json_file.h"

#include "sampling/flow_match.h"

#include <storybrush/error.h>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

using namespace storybrush;

namespace {}  // namespace

class TestFlowMatch : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void schedulesMatchDiffusers() {
        STORYBRUSH_REQUIRE_FIXTURE("qwenimage_schedules.json");
        const auto fixture =
            storybrush::test::readJsonFile(test::fixturePathStd(QStringLiteral("qwenimage_schedules.json")));
        const auto config = sampling::FlowMatchConfig::fromJson(fixture["config"], "qwenimage_schedules.json");
        int checked = 0;
        for (const auto& [name, expected] : fixture["cases"].items()) {
            // "seq16/steps3"
            const auto slash = name.find('/');
            const auto seqLen = std::stoll(name.substr(3, slash - 3));
            const int steps = std::stoi(name.substr(slash + 6));
            const auto schedule = sampling::flowMatchSchedule(config, steps, seqLen);
            QVERIFY2(std::abs(schedule.mu - expected["mu"].get<double>()) < 1e-12, name.c_str());
            const auto sigmas = expected["sigmas"].get<std::vector<double>>();
            const auto timesteps = expected["timesteps"].get<std::vector<double>>();
            QCOMPARE(schedule.sigmas.size(), sigmas.size());
            QCOMPARE(schedule.timesteps.size(), timesteps.size());
            for (std::size_t i = 0; i < sigmas.size(); ++i)
                QVERIFY2(std::abs(schedule.sigmas[i] - sigmas[i]) < 1e-6, qPrintable(QString::fromStdString(name)));
            for (std::size_t i = 0; i < timesteps.size(); ++i)
                QVERIFY2(std::abs(schedule.timesteps[i] - timesteps[i]) < 1e-3,
                         qPrintable(QString::fromStdString(name)));
            QCOMPARE(schedule.sigmas.back(), 0.0);
            ++checked;
        }
        QVERIFY(checked >= 10);
    }

    void stepAndNoiseFollowTheFormulas() {
        sampling::FlowMatchConfig config;
        const auto schedule = sampling::flowMatchSchedule(config, 4, 4096);
        const auto sample = torch::randn({1, 16, 8});
        const auto velocity = torch::randn({1, 16, 8});
        const auto next = sampling::flowMatchStep(schedule, 1, velocity, sample);
        const auto expected = sample + (schedule.sigmas[2] - schedule.sigmas[1]) * velocity;
        QVERIFY((next - expected).abs().max().item<double>() < 1e-6);
        const auto noise = torch::randn({1, 16, 8});
        QVERIFY(sampling::flowMatchNoise(sample, noise, 1.0).equal(noise));
        QVERIFY(sampling::flowMatchNoise(sample, noise, 0.0).equal(sample));
        // larger pictures shift towards noise: sigma at the middle step grows with the sequence length
        QVERIFY(sampling::flowMatchSchedule(config, 20, 4096).sigmas[10] >
                sampling::flowMatchSchedule(config, 20, 256).sigmas[10]);
    }

    void refusesWhatItDoesNotFollow() {
        bool refused = false;
        try {
            sampling::FlowMatchConfig::fromJson(nlohmann::json{{"use_karras_sigmas", true}}, "scheduler_config.json");
        } catch (const Error& error) {
            refused = error.kind() == ErrorKind::ModelFile &&
                      QString::fromUtf8(error.what()).contains(QStringLiteral("use_karras_sigmas"));
        }
        QVERIFY(refused);
        QVERIFY_THROWS_EXCEPTION(Error, sampling::flowMatchSchedule(sampling::FlowMatchConfig{}, 0, 256));
    }
};

QTEST_GUILESS_MAIN(TestFlowMatch)
#include "tst_flow_match.moc"
