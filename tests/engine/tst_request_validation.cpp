// The request contract: bad values are refused with a message that names the field; names round-trip.
#include <storybrush/engine.h>

#include <QtTest/QtTest>

using namespace storybrush;

class TestRequestValidation : public QObject {
    Q_OBJECT

private:
    static QString refusal(const GenerationRequest& request) {
        try {
            validateRequest(request);
        } catch (const Error& error) {
            if (error.kind() != ErrorKind::InvalidRequest) return QStringLiteral("wrong kind");
            return QString::fromStdString(error.what());
        }
        return {};
    }

private Q_SLOTS:
    void defaultRequestIsValid() { QVERIFY(refusal(GenerationRequest{}).isEmpty()); }

    void refusesSizesThatAreNotMultiplesOfEight() {
        GenerationRequest request;
        request.width = 500;
        QVERIFY(refusal(request).contains(QStringLiteral("width 500")));
        request.width = 512;
        request.height = 4104;
        QVERIFY(refusal(request).contains(QStringLiteral("height 4104")));
    }

    void refusesOutOfRangeNumbers_data() {
        QTest::addColumn<int>("steps");
        QTest::addColumn<float>("cfg");
        QTest::addColumn<int>("batch");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("zero steps") << 0 << 7.5f << 1 << QStringLiteral("steps 0");
        QTest::newRow("negative cfg") << 25 << -1.0f << 1 << QStringLiteral("CFG");
        QTest::newRow("nan cfg") << 25 << std::numeric_limits<float>::quiet_NaN() << 1 << QStringLiteral("CFG");
        QTest::newRow("huge batch") << 25 << 7.5f << 1000 << QStringLiteral("batch 1000");
    }
    void refusesOutOfRangeNumbers() {
        QFETCH(int, steps);
        QFETCH(float, cfg);
        QFETCH(int, batch);
        QFETCH(QString, mentions);
        GenerationRequest request;
        request.steps = steps;
        request.cfgScale = cfg;
        request.batchSize = batch;
        QVERIFY2(refusal(request).contains(mentions), qPrintable(refusal(request)));
    }

    void maskMustMatchThePicture() {
        GenerationRequest request;
        request.initImage = Image(64, 64, 3, 128);
        request.mask = Image(32, 64, 1, 255);
        QVERIFY(refusal(request).contains(QStringLiteral("same size")));
        request.mask = Image(64, 64, 3, 255);
        QVERIFY(refusal(request).contains(QStringLiteral("one channel")));
        request.mask = Image(64, 64, 1, 255);
        QVERIFY(refusal(request).isEmpty());
        QCOMPARE(request.mode(), GenerationMode::Inpaint);
    }

    void inconsistentPixelBufferIsRefused() {
        GenerationRequest request;
        request.initImage = Image(64, 64, 3, 0);
        request.initImage->pixels.resize(100);
        QVERIFY(refusal(request).contains(QStringLiteral("does not match")));
    }

    void maskWithoutPictureIsRefused() {
        GenerationRequest request;
        request.mask = Image(64, 64, 1, 255);
        QVERIFY(refusal(request).contains(QStringLiteral("starting picture")));
    }

    void modeFollowsTheInputs() {
        GenerationRequest request;
        QCOMPARE(request.mode(), GenerationMode::TextToImage);
        request.initImage = Image(64, 64, 3, 0);
        QCOMPARE(request.mode(), GenerationMode::ImageToImage);
        request.outpaint.right = 64;
        QCOMPARE(request.mode(), GenerationMode::Outpaint);
    }

    void samplerNamesRoundTrip() {
        QCOMPARE(allSamplers().size(), std::size_t(7));
        for (Sampler sampler : allSamplers()) {
            const auto parsed = samplerFromName(samplerName(sampler));
            QVERIFY(parsed.has_value());
            QCOMPARE(*parsed, sampler);
        }
        QVERIFY(!samplerFromName("k_euler").has_value());
        QCOMPARE(QString::fromUtf8(samplerName(Sampler::DpmPP2MKarras).data()), QStringLiteral("dpmpp2m_karras"));
    }

    void cancelTokenIsSharedBetweenCopies() {
        CancelToken token;
        const CancelToken copy = token;
        QVERIFY(!copy.isCancelled());
        token.cancel();
        QVERIFY(copy.isCancelled());
    }

    void missingModelGetsAClearMessage() {
        Engine engine;
        GenerationRequest request;
        request.model = "/nonexistent/dreamy.safetensors";
        try {
            engine.generate(request);
            QFAIL("a missing model must be refused");
        } catch (const Error& error) {
            QCOMPARE(error.kind(), ErrorKind::ModelFile);
            QVERIFY(QString::fromUtf8(error.what()).contains(QStringLiteral("dreamy.safetensors")));
        }
    }

    void cpuIsDescribedWithItsBlas() {
        Engine engine;
        const QString description = QString::fromStdString(engine.deviceDescription(DevicePreference::Cpu));
        QVERIFY2(description.startsWith(QStringLiteral("CPU (")), qPrintable(description));
        QVERIFY2(description.contains(QStringLiteral("BLAS")), qPrintable(description));
    }
};

QTEST_GUILESS_MAIN(TestRequestValidation)
#include "tst_request_validation.moc"
