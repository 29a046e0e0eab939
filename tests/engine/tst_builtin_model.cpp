// The built-in model end to end through the public API, as a fresh install uses it: found without a path,
// 256x256 by default, repeatable by seed, steered by English and Chinese prompts (the scene follows the words).
#include <storybrush/engine.h>

#include "io/checkpoint.h"
#include "text/clip_tokenizer.h"

#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>

using namespace storybrush;

namespace {

struct Rgb {
    double r = 0, g = 0, b = 0;
};

// Mean colour of the rows [fromRow, toRow) of an RGB picture.
Rgb meanColour(const Image& image, int fromRow, int toRow) {
    Rgb sum;
    for (int y = fromRow; y < toRow; ++y) {
        for (int x = 0; x < image.width; ++x) {
            const auto* p = image.pixel(x, y);
            sum.r += p[0];
            sum.g += p[1];
            sum.b += p[2];
        }
    }
    const double n = static_cast<double>(toRow - fromRow) * image.width;
    return {sum.r / n, sum.g / n, sum.b / n};
}

double meanAbsDifference(const Image& a, const Image& b) {
    double sum = 0;
    for (std::size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
    return sum / static_cast<double>(a.pixels.size());
}

}  // namespace

class TestBuiltinModel : public QObject {
    Q_OBJECT

private:
    Engine m_engine;

    Image draw(const std::string& prompt, std::uint64_t seed, int steps = 20) {
        GenerationRequest request;  // model defaults to "builtin", size to the model's own
        request.prompt = prompt;
        request.seed = seed;
        request.steps = steps;
        const auto result = m_engine.generate(request);
        if (result.images.size() != 1) return {};
        return result.images[0].image;
    }

private Q_SLOTS:
    void init() {
        if (io::builtinModelDir().empty()) QSKIP("the built-in model (resources/models/builtin) is not installed");
    }

    void drawsA256PictureByDefaultAndRecordsIt() {
        GenerationRequest request;
        request.prompt = "a frog on a sunny meadow";
        request.seed = 7;
        request.steps = 8;
        const auto result = m_engine.generate(request);
        QCOMPARE(result.images.size(), std::size_t(1));
        const auto& picture = result.images[0];
        QCOMPARE(picture.image.width, 256);
        QCOMPARE(picture.image.height, 256);
        QCOMPARE(picture.image.channels, 3);
        QVERIFY(picture.image.isConsistent());
        QVERIFY2(picture.parameters.find("Size: 256x256") != std::string::npos, picture.parameters.c_str());
        QVERIFY2(picture.parameters.find("Seed: 7") != std::string::npos, picture.parameters.c_str());
        // A picture, not a flat field: its pixels vary.
        const auto mean = meanColour(picture.image, 0, 256);
        double variance = 0;
        for (int y = 0; y < 256; ++y)
            for (int x = 0; x < 256; ++x) variance += std::pow(picture.image.pixel(x, y)[1] - mean.g, 2);
        QVERIFY(std::sqrt(variance / (256.0 * 256.0)) > 10.0);
    }

    void sameSeedSamePictureOtherSeedAnother() {
        const auto a = draw("a dog in a room", 11, 6);
        const auto b = draw("a dog in a room", 11, 6);
        const auto c = draw("a dog in a room", 12, 6);
        QVERIFY(a.pixels == b.pixels);
        QVERIFY(meanAbsDifference(a, c) > 5.0);
    }

    void theSceneFollowsThePrompt() {
        // Sea: the lower part of the picture is water (blue); snow: it is white. Two seeds each, same noise.
        for (std::uint64_t seed : {1u, 2u}) {
            const auto sea = draw("a fish in the sea", seed);
            const auto snow = draw("一只小猫在雪地里", seed);
            const auto seaBottom = meanColour(sea, 208, 256);
            const auto snowBottom = meanColour(snow, 208, 256);
            QVERIFY2(seaBottom.b > seaBottom.r + 40,
                     qPrintable(QStringLiteral("sea bottom r %1 b %2").arg(seaBottom.r).arg(seaBottom.b)));
            QVERIFY2(snowBottom.r > 190 && snowBottom.g > 190 && snowBottom.b > 190,
                     qPrintable(
                         QStringLiteral("snow bottom %1 %2 %3").arg(snowBottom.r).arg(snowBottom.g).arg(snowBottom.b)));
        }
    }

    void itsTokenizerKnowsItsWords() {
        const text::ClipTokenizer tokenizer((std::filesystem::u8path(io::builtinModelDir()) / "tokenizer").u8string());
        // Words of its captions are single tokens; an unknown word still encodes (byte by byte).
        QCOMPARE(tokenizer.encode("frog").size(), std::size_t(1));
        QCOMPARE(tokenizer.encode("elephant").size(), std::size_t(1));
        QVERIFY(tokenizer.encode("青蛙").size() <= 2);
        QVERIFY(tokenizer.encode("xylophonist").size() > 1);
        QCOMPARE(tokenizer.bosId(), tokenizer.vocabSize() - 2);
    }
};

QTEST_GUILESS_MAIN(TestBuiltinModel)
#include "tst_builtin_model.moc"
