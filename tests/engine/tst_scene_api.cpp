// Scenes through the public API: composed the same for the same prompt and seed, saved and read back as JSON,
// refused clearly when the file is damaged or newer, drawn the same way twice, in the colours asked for.
#include <storybrush/error.h>
#include <storybrush/scene.h>

#include <QtTest/QtTest>

using namespace storybrush;

class TestSceneApi : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void theSamePromptAndSeedGiveTheSameScene() {
        const Scene a = composeScene("two cats and a dog in the garden", 4);
        const Scene b = composeScene("two cats and a dog in the garden", 4);
        QCOMPARE(sceneToJson(a), sceneToJson(b));
        QCOMPARE(a.place, std::string("garden"));
        QCOMPARE(a.items.size(), std::size_t(3));
        QVERIFY(sceneToJson(composeScene("two cats and a dog in the garden", 5)) != sceneToJson(a));
    }

    void aSceneFileReadsBackAsItWasWritten() {
        const Scene scene = composeScene("a girl holding a red balloon next to a dog", 2, 1.5);
        const Scene again = sceneFromJson(sceneToJson(scene));
        QCOMPARE(sceneToJson(again), sceneToJson(scene));
        QCOMPARE(again.schema, kSceneSchemaVersion);
        QCOMPARE(again.relations.size(), scene.relations.size());
    }

    void damagedOrNewerSceneFilesAreRefusedWithAReason() {
        const auto refusal = [](const std::string& text) {
            try {
                sceneFromJson(text);
            } catch (const Error& error) {
                return QString::fromUtf8(error.what());
            }
            return QString();
        };
        QVERIFY(refusal("not json").contains(QStringLiteral("not JSON")));
        QVERIFY(refusal("[1,2]").contains(QStringLiteral("not a scene")));
        std::string newer = sceneToJson(composeScene("a cat", 1));
        newer.replace(newer.find("\"schema\": 1"), 11, "\"schema\": 99");
        QVERIFY(refusal(newer).contains(QStringLiteral("Update Storybrush")));
        std::string broken = sceneToJson(composeScene("a cat on a bed", 1));
        broken.replace(broken.find("\"subject\": 0"), 12, "\"subject\": 7");
        QVERIFY(refusal(broken).contains(QStringLiteral("does not list")));
        std::string far = sceneToJson(composeScene("a cat", 1));
        const auto at = far.find("\"x\": ");
        far.replace(at, far.find(',', at) - at, "\"x\": 1e300");
        QVERIFY(refusal(far).contains(QStringLiteral("off any page")));
    }

    void aSceneIsDrawnTheSameTwiceInTheColourAsked() {
        if (!canDrawScenes()) QSKIP("this build has no scene renderer (librsvg)");
        const Scene scene = composeScene("a blue car", 3);
        const Image a = drawScene(scene, 256, 256), b = drawScene(scene, 256, 256);
        QCOMPARE(a.pixels, b.pixels);
        QCOMPARE(a.channels, 3);
        // The car's pixels (inside its box) lean blue.
        const SceneItem& car = scene.items.at(0);
        long blue = 0, red = 0;
        for (int y = int(car.y * 256); y < int((car.y + car.height) * 256); ++y) {
            for (int x = int(car.x * 256); x < int((car.x + car.width) * 256); ++x) {
                const std::uint8_t* p = a.pixel(x, y);
                blue += p[2] > p[0] + 40;
                red += p[0] > p[2] + 40;
            }
        }
        QVERIFY2(blue > red * 3, qPrintable(QStringLiteral("blue %1, red %2").arg(blue).arg(red)));
        try {
            drawScene(scene, 10, 10);
            QFAIL("a 10x10 scene must be refused");
        } catch (const Error& error) {
            QCOMPARE(error.kind(), ErrorKind::InvalidRequest);
        }
    }

    void creditsNameTheArtUsed() {
        const auto credits = sceneCredits(composeScene("a rabbit", 1));
        QCOMPARE(credits.size(), std::size_t(1));
        QVERIFY(QString::fromStdString(credits[0]).contains(QStringLiteral("Twemoji")));
    }
};

QTEST_GUILESS_MAIN(TestSceneApi)
#include "tst_scene_api.moc"
