// The pixel side of inpainting and outpainting on real pictures made here (gradients, shapes, text):
// masks grown and feathered, crop boxes at the edges, paste-back that keeps every unmasked pixel, the
// extended canvas, colour matching, and the files masks come in.
#include "imaging/image_ops.h"
#include "imaging/repaint.h"

#include "common/fixtures.h"

#include <storybrush/engine.h>
#include <storybrush/error.h>

#include <opencv2/imgproc.hpp>

#include <QtTest/QtTest>

#include <random>

using namespace storybrush;
using namespace storybrush::imaging;

namespace {

cv::Mat view(Image& image) { return cv::Mat(image.height, image.width, CV_8UC(image.channels), image.pixels.data()); }

// A picture with everything that shows a seam: a diagonal gradient, filled shapes and text.
Image testPicture(int width, int height) {
    Image picture(width, height, 3);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            std::uint8_t* p = picture.pixel(x, y);
            p[0] = static_cast<std::uint8_t>(40 + 180 * x / std::max(1, width - 1));
            p[1] = static_cast<std::uint8_t>(60 + 150 * y / std::max(1, height - 1));
            p[2] = static_cast<std::uint8_t>(200 - 100 * (x + y) / std::max(1, width + height - 2));
        }
    }
    cv::Mat mat = view(picture);
    cv::circle(mat, {width / 3, height / 2}, std::min(width, height) / 5, cv::Scalar(250, 220, 40), cv::FILLED);
    cv::rectangle(mat, cv::Rect(width / 2, height / 4, width / 4, height / 3), cv::Scalar(30, 90, 200), cv::FILLED);
    cv::putText(mat, "Storybrush", {4, height - 8}, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(10, 10, 10), 1);
    return picture;
}

Image filledMask(int width, int height, const cv::Rect& painted, std::uint8_t value = 255) {
    Image mask(width, height, 1);
    view(mask)(painted & cv::Rect(0, 0, width, height)).setTo(value);
    return mask;
}

Image noisePicture(int width, int height, unsigned seed) {
    Image picture(width, height, 3);
    std::mt19937 random(seed);
    for (auto& byte : picture.pixels) byte = static_cast<std::uint8_t>(random() & 0xff);
    return picture;
}

int countDifferent(const Image& a, const Image& b) {
    int different = 0;
    for (int y = 0; y < a.height; ++y) {
        for (int x = 0; x < a.width; ++x) {
            if (std::memcmp(a.pixel(x, y), b.pixel(x, y), 3) != 0) ++different;
        }
    }
    return different;
}

// Every pixel the mask does not touch is exactly the original's.
void verifyUntouchedOutsideMask(const Image& result, const Image& original, const Image& mask) {
    QCOMPARE(result.width, original.width);
    QCOMPARE(result.height, original.height);
    for (int y = 0; y < mask.height; ++y) {
        for (int x = 0; x < mask.width; ++x) {
            if (*mask.pixel(x, y) != 0) continue;
            if (std::memcmp(result.pixel(x, y), original.pixel(x, y), 3) != 0) {
                QFAIL(qPrintable(QStringLiteral("pixel (%1, %2) outside the mask changed").arg(x).arg(y)));
            }
        }
    }
}

GenerationRequest repaintRequest(const Image& picture, const Image& mask) {
    GenerationRequest request;
    request.prompt = "a hat";
    request.initImage = picture;
    request.mask = mask;
    return request;
}

}  // namespace

class TestRepaint : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void gridSizeSnapsToMultiplesOfEight() {
        QCOMPARE(gridSize(512, 512), (Size{512, 512}));
        QCOMPARE(gridSize(300, 203), (Size{304, 200}));
        QCOMPARE(gridSize(40, 30), (Size{88, 64}));  // too small: scaled up, keeping 4:3
        QCOMPARE(gridSize(1, 1), (Size{64, 64}));
        QVERIFY_EXCEPTION_THROWN(gridSize(0, 10), Error);
    }

    void resizeKeepsContent() {
        const Image picture = testPicture(120, 90);
        const Image smaller = resizeImage(picture, 60, 45);
        QCOMPARE(smaller.width, 60);
        QCOMPARE(smaller.channels, 3);
        const Image back = resizeImage(smaller, 120, 90);
        // The big yellow circle survives a round trip through half size.
        const std::uint8_t* centre = back.pixel(40, 45);
        QVERIFY(centre[0] > 200 && centre[1] > 180 && centre[2] < 100);
    }

    void growShrinkAndFeather() {
        const Image dot = filledMask(64, 64, cv::Rect(32, 32, 1, 1));
        QCOMPARE(*maskBounds(prepareMask(dot, 3, 0)), (Box{29, 29, 7, 7}));
        QCOMPARE(*maskBounds(prepareMask(dot, 0, 0)), (Box{32, 32, 1, 1}));

        const Image square = filledMask(64, 64, cv::Rect(20, 20, 10, 10));
        QCOMPARE(*maskBounds(prepareMask(square, -2, 0)), (Box{22, 22, 6, 6}));
        QVERIFY(!maskBounds(prepareMask(square, -5, 0)));  // shrunk away entirely

        // Shrinking pulls the mask away from the picture's edge too.
        const Image corner = filledMask(64, 64, cv::Rect(0, 0, 10, 10));
        QCOMPARE(*maskBounds(prepareMask(corner, -2, 0)), (Box{2, 2, 6, 6}));

        const int blur = 6;
        const Image feathered = prepareMask(square, 0, blur);
        for (int y = 20; y < 30; ++y) {
            for (int x = 20; x < 30; ++x) QCOMPARE(int(*feathered.pixel(x, y)), 255);  // painted stays full
        }
        const Box bounds = *maskBounds(feathered);
        QVERIFY(bounds.x < 20 && bounds.x >= 20 - blur);
        QVERIFY(bounds.right() > 30 && bounds.right() <= 30 + blur);
        for (int x = 30; x < 30 + blur; ++x)
            QVERIFY(*feathered.pixel(x, 25) >= *feathered.pixel(x + 1, 25));  // fades out
        QVERIFY(*feathered.pixel(31, 25) > 0 && *feathered.pixel(31, 25) < 255);
    }

    void boundsOfOddMasks() {
        QVERIFY(!maskBounds(Image(50, 40, 1)));
        QCOMPARE(*maskBounds(filledMask(50, 40, cv::Rect(49, 39, 1, 1))), (Box{49, 39, 1, 1}));
        QCOMPARE(*maskBounds(filledMask(50, 40, cv::Rect(0, 0, 50, 40))), (Box{0, 0, 50, 40}));
    }

    void cropBoxStaysInsideAndKeepsContext() {
        // In the middle: exactly the padded bounds (and at least 64 pixels).
        QCOMPARE(cropBoxAround({100, 100, 10, 10}, 32, 512, 512), (Box{68, 68, 74, 74}));
        QCOMPARE(cropBoxAround({100, 100, 10, 10}, 0, 512, 512), (Box{73, 73, 64, 64}));
        // At the top-left corner the box is moved inwards, not cut: it keeps the padding's worth of context.
        QCOMPARE(cropBoxAround({0, 0, 5, 5}, 32, 512, 512), (Box{0, 0, 69, 69}));
        // At the bottom-right corner.
        const Box corner = cropBoxAround({505, 500, 7, 12}, 16, 512, 512);
        QCOMPARE(corner.right(), 512);
        QCOMPARE(corner.bottom(), 512);
        QVERIFY(corner.width >= 64 && corner.height >= 64);
        // A picture smaller than the minimum: the whole picture.
        QCOMPARE(cropBoxAround({3, 3, 2, 2}, 8, 40, 30), (Box{0, 0, 40, 30}));
        // A one-pixel-high line across the picture gets a box no flatter than 4:1.
        const Box strip = cropBoxAround({0, 200, 512, 1}, 0, 512, 512);
        QCOMPARE(strip.width, 512);
        QCOMPARE(strip.height, 128);
        QVERIFY(strip.y <= 200 && strip.bottom() > 200);

        std::mt19937 random(7);
        for (int i = 0; i < 2000; ++i) {
            const int width = 1 + int(random() % 700), height = 1 + int(random() % 700);
            const int bx = int(random() % width), by = int(random() % height);
            const Box bounds{bx, by, 1 + int(random() % (width - bx)), 1 + int(random() % (height - by))};
            const int padding = int(random() % 100);
            const Box box = cropBoxAround(bounds, padding, width, height);
            QVERIFY(box.x >= 0 && box.y >= 0 && box.right() <= width && box.bottom() <= height);
            // Holds the padded bounds wherever they lie inside the picture.
            QVERIFY(box.x <= std::max(0, bounds.x - padding) &&
                    box.right() >= std::min(width, bounds.right() + padding));
            QVERIFY(box.y <= std::max(0, bounds.y - padding) &&
                    box.bottom() >= std::min(height, bounds.bottom() + padding));
        }
    }

    void pasteBackMixesOnlyWhereMasked() {
        const Image original = testPicture(80, 60);
        Image mask = filledMask(80, 60, cv::Rect(10, 10, 20, 20));
        *mask.pixel(40, 40) = 128;  // half
        const Box box{0, 0, 80, 60};
        Image drawn(80, 60, 3, 0);
        const Image result = pasteBack(original, drawn, mask, box);
        verifyUntouchedOutsideMask(result, original, mask);
        QCOMPARE(int(result.pixel(15, 15)[0]), 0);
        const int half = (original.pixel(40, 40)[0] * 127 + 127) / 255;
        QCOMPARE(int(result.pixel(40, 40)[0]), half);
        QVERIFY_EXCEPTION_THROWN(pasteBack(original, drawn, mask, Box{10, 10, 80, 60}), Error);
    }

    void wholePictureRepaintKeepsEverythingOutsideTheFeatheredMask() {
        const Image picture = testPicture(203, 150);
        Image mask(203, 150, 1);
        cv::circle(view(mask), {120, 70}, 25, cv::Scalar(255), cv::FILLED);
        GenerationRequest request = repaintRequest(picture, mask);
        request.maskOptions.growPixels = 3;
        request.maskOptions.blurPixels = 5;
        const RepaintPlan plan = planRepaint(request, 256);
        QCOMPARE(plan.box, (Box{0, 0, 203, 150}));
        QCOMPARE(plan.drawSize, (Size{200, 152}));
        const Image expectedMask = prepareMask(mask, 3, 5);
        QCOMPARE(plan.mask.pixels, expectedMask.pixels);
        const Image result = finishRepaint(plan, noisePicture(200, 152, 1), false);
        verifyUntouchedOutsideMask(result, picture, plan.mask);
        QVERIFY(countDifferent(result, picture) > 1500);  // the circle (about 2,000 pixels) is repainted
    }

    void onlyMaskedCropsAtTheEdgeAndPastesBack() {
        const Image picture = testPicture(300, 200);
        const Image mask = filledMask(300, 200, cv::Rect(280, 0, 20, 12));  // the top-right corner
        GenerationRequest request = repaintRequest(picture, mask);
        request.maskOptions.onlyMasked = true;
        request.maskOptions.paddingPixels = 24;
        request.maskOptions.blurPixels = 2;
        const RepaintPlan plan = planRepaint(request, 256);
        QCOMPARE(plan.box.right(), 300);
        QCOMPARE(plan.box.y, 0);
        QVERIFY(plan.box.width >= 20 + 2 * 24 && plan.box.height >= 12 + 2 * 24);
        // Drawn at about the model's own number of pixels, in the box's shape.
        const double drawnArea = double(plan.drawSize.width) * plan.drawSize.height;
        QVERIFY(drawnArea > 0.8 * 256 * 256 && drawnArea < 1.25 * 256 * 256);
        QCOMPARE(plan.drawSize.width % 8, 0);
        const Image result = finishRepaint(plan, noisePicture(plan.drawSize.width, plan.drawSize.height, 2), false);
        verifyUntouchedOutsideMask(result, picture, plan.mask);
        QVERIFY(countDifferent(result, picture) >= 20 * 12);
    }

    void oddMasks() {
        const Image picture = testPicture(96, 64);
        // Empty: a message that says what to do.
        try {
            planRepaint(repaintRequest(picture, Image(96, 64, 1)), 256);
            QFAIL("an empty mask was accepted");
        } catch (const Error& error) {
            QCOMPARE(int(error.kind()), int(ErrorKind::InvalidRequest));
            QVERIFY(QString::fromStdString(error.what()).contains(QStringLiteral("empty")));
        }
        // Shrunk to nothing: says so.
        GenerationRequest shrunk = repaintRequest(picture, filledMask(96, 64, cv::Rect(10, 10, 4, 4)));
        shrunk.maskOptions.growPixels = -3;
        QVERIFY_EXCEPTION_THROWN(planRepaint(shrunk, 256), Error);
        // One pixel, no feather: exactly that pixel may change.
        GenerationRequest one = repaintRequest(picture, filledMask(96, 64, cv::Rect(95, 63, 1, 1)));
        one.maskOptions.blurPixels = 0;
        for (const bool onlyMasked : {false, true}) {
            one.maskOptions.onlyMasked = onlyMasked;
            const RepaintPlan plan = planRepaint(one, 256);
            const Image result = finishRepaint(plan, Image(plan.drawSize.width, plan.drawSize.height, 3, 0), false);
            QCOMPARE(countDifferent(result, picture), 1);
            QCOMPARE(int(result.pixel(95, 63)[0]), 0);
        }
        // Full: everything is drawn.
        GenerationRequest full = repaintRequest(picture, Image(96, 64, 1, 255));
        full.maskOptions.onlyMasked = true;
        const RepaintPlan plan = planRepaint(full, 256);
        QCOMPARE(plan.box, (Box{0, 0, 96, 64}));
        const Image result = finishRepaint(plan, Image(plan.drawSize.width, plan.drawSize.height, 3, 7), false);
        QCOMPARE(countDifferent(result, picture), 96 * 64);
        // Larger than the picture: refused with both sizes named.
        GenerationRequest larger = repaintRequest(picture, Image(128, 64, 1, 255));
        try {
            validateRequest(larger);
            QFAIL("a mask larger than the picture was accepted");
        } catch (const Error& error) {
            QVERIFY(QString::fromStdString(error.what()).contains(QStringLiteral("128x64")));
        }
        // A grey or colour mask file is refused by the engine until made one channel.
        GenerationRequest colour = repaintRequest(picture, picture);
        QVERIFY_EXCEPTION_THROWN(validateRequest(colour), Error);
    }

    void outpaintKeepsTheOldPictureOutsideTheBlendBand_data() {
        QTest::addColumn<int>("fill");
        QTest::newRow("telea") << int(OutpaintFill::Telea);
        QTest::newRow("edge-extend") << int(OutpaintFill::EdgeExtend);
    }

    void outpaintKeepsTheOldPictureOutsideTheBlendBand() {
        QFETCH(int, fill);
        const Image picture = testPicture(100, 80);
        GenerationRequest request;
        request.prompt = "more meadow";
        request.initImage = picture;
        request.outpaint = {32, 0, 48, 16, OutpaintFill(fill), 8};
        const RepaintPlan plan = planRepaint(request, 256);
        QCOMPARE(plan.canvas.width, 180);
        QCOMPARE(plan.canvas.height, 96);
        QCOMPARE(plan.drawSize, (Size{184, 96}));
        for (int y = 0; y < 96; ++y) {
            for (int x = 0; x < 180; ++x) {
                const bool old = x >= 32 && x < 132 && y < 80;
                const int mask = *plan.mask.pixel(x, y);
                if (!old) {
                    QCOMPARE(mask, 255);
                    continue;
                }
                QCOMPARE(std::memcmp(plan.canvas.pixel(x, y), picture.pixel(x - 32, y), 3), 0);
                const int distance = std::min({x - 32 + 1, 132 - x, 80 - y});
                if (distance > 8) QCOMPARE(mask, 0);
                if (distance == 1) QVERIFY(mask > 200);
            }
        }
        // The pre-fill continues the picture: no black or unfilled strip next to it.
        for (int y = 0; y < 80; ++y) {
            const std::uint8_t* left = plan.canvas.pixel(31, y);
            const std::uint8_t* edge = picture.pixel(0, y);
            QVERIFY2(std::abs(left[1] - edge[1]) < 60, qPrintable(QStringLiteral("row %1").arg(y)));
        }
        const Image result = finishRepaint(plan, noisePicture(184, 96, 3), false);
        QCOMPARE(result.width, 180);
        for (int y = 0; y < 80; ++y) {
            for (int x = 32 + 9; x < 132 - 9 && y < 80 - 9; ++x) {
                QCOMPARE(std::memcmp(result.pixel(x, y), picture.pixel(x - 32, y), 3), 0);
            }
        }
    }

    void outpaintWithAMaskRepaintsBoth() {
        const Image picture = testPicture(64, 64);
        GenerationRequest request = repaintRequest(picture, filledMask(64, 64, cv::Rect(20, 20, 8, 8)));
        request.maskOptions.blurPixels = 0;
        request.outpaint = {0, 0, 0, 32, OutpaintFill::EdgeExtend, 0};
        const RepaintPlan plan = planRepaint(request, 256);
        QCOMPARE(plan.canvas.height, 96);
        QCOMPARE(int(*plan.mask.pixel(22, 22)), 255);
        QCOMPARE(int(*plan.mask.pixel(22, 70)), 255);
        QCOMPARE(int(*plan.mask.pixel(40, 40)), 0);
    }

    void colourMatchPullsTheRepaintTowardsItsSurroundings() {
        const Image picture = testPicture(128, 96);
        const Image mask = prepareMask(filledMask(128, 96, cv::Rect(40, 30, 40, 30)), 0, 4);
        Image shifted = picture;  // a drawing that came back 25 levels too dark everywhere
        for (auto& value : shifted.pixels) value = static_cast<std::uint8_t>(std::max(0, value - 25));
        const Box box{0, 0, 128, 96};
        const Image matched = matchColours(shifted, picture, mask, box);
        double before = 0, after = 0;
        int count = 0;
        for (int y = 30; y < 60; ++y) {
            for (int x = 40; x < 80; ++x) {
                for (int c = 0; c < 3; ++c) {
                    before += std::abs(shifted.pixel(x, y)[c] - picture.pixel(x, y)[c]);
                    after += std::abs(matched.pixel(x, y)[c] - picture.pixel(x, y)[c]);
                }
                ++count;
            }
        }
        QVERIFY2(after / count < 0.3 * before / count,
                 qPrintable(QStringLiteral("%1 -> %2").arg(before / count).arg(after / count)));
        // Nothing to learn from when the mask covers everything: unchanged.
        QCOMPARE(matchColours(shifted, picture, Image(128, 96, 1, 255), box).pixels, shifted.pixels);
    }

    void masksFromFiles() {
        Image rgba(8, 8, 4, 0);  // strokes on a transparent layer: alpha is the mask
        rgba.pixel(3, 3)[3] = 255;
        QCOMPARE(int(*maskFromImage(rgba).pixel(3, 3)), 255);
        QCOMPARE(int(*maskFromImage(rgba).pixel(4, 4)), 0);
        Image opaque(8, 8, 4, 255);  // opaque white: brightness
        opaque.pixel(1, 1)[0] = opaque.pixel(1, 1)[1] = opaque.pixel(1, 1)[2] = 0;
        QCOMPARE(int(*maskFromImage(opaque).pixel(1, 1)), 0);
        QCOMPARE(int(*maskFromImage(opaque).pixel(2, 2)), 255);
        Image rgb(8, 8, 3, 255);
        QCOMPARE(maskFromImage(rgb).channels, 1);
        // Transparent parts of a starting picture become white paper.
        Image clear(4, 4, 4, 0);
        QCOMPARE(int(toRgb(clear).pixel(0, 0)[0]), 255);
    }

    void pictureFilesOfEveryKind() {
        const QString dir = QDir(test::testOutputDir()).filePath(QStringLiteral("repaint-files"));
        QDir().mkpath(dir);
        const Image picture = testPicture(64, 48);
        const std::string png = QDir(dir).filePath(QStringLiteral("p.png")).toStdString();
        writeImage(png, picture);
        QCOMPARE(readImage(png).pixels, picture.pixels);
        const std::string webp = QDir(dir).filePath(QStringLiteral("p.webp")).toStdString();
        writeImage(webp, picture);
        QCOMPARE(readImage(webp).pixels, picture.pixels);  // lossless
        const std::string jpeg = QDir(dir).filePath(QStringLiteral("p.JPG")).toStdString();
        writeImage(jpeg, picture);
        const Image back = readImage(jpeg);
        QCOMPARE(back.width, 64);
        QCOMPARE(back.channels, 3);
        QVERIFY(std::abs(back.pixel(21, 24)[0] - picture.pixel(21, 24)[0]) < 24);
        // Transparent parts of a picture saved as JPEG become white paper.
        Image clear(8, 8, 4, 0);
        writeImage(jpeg, clear);
        QVERIFY(readImage(jpeg).pixel(4, 4)[0] > 245);
        const std::string broken = QDir(dir).filePath(QStringLiteral("broken.jpg")).toStdString();
        QFile file(QString::fromStdString(broken));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("\xff\xd8\xff this is not really a picture");  // a JPEG signature, then nonsense
        file.close();
        try {
            readImage(broken);
            QFAIL("a broken file was read");
        } catch (const Error& error) {
            QCOMPARE(int(error.kind()), int(ErrorKind::Io));
            QVERIFY(QString::fromStdString(error.what()).contains(QStringLiteral("broken.jpg")));
        }
        QVERIFY_EXCEPTION_THROWN(readImage(QDir(dir).filePath(QStringLiteral("missing.png")).toStdString()), Error);
        QVERIFY_EXCEPTION_THROWN(writeImage(QDir(dir).filePath(QStringLiteral("p.gif")).toStdString(), picture), Error);
    }
};

QTEST_GUILESS_MAIN(TestRepaint)
#include "tst_repaint.moc"
