// The scene composer's layout: every thing inside the page, things overlapping only as far as their relation asks,
// relations placed as they read, and the same reading and seed giving the same layout. Run over every prompt of
// tests/data/scene/prompts.tsv with several seeds and page shapes.
#include "scene/layout.h"
#include "scene/prompt_reader.h"
#include "scene/thing_library.h"

#include <QtCore/QFile>
#include <QtCore/QStringList>
#include <QtCore/QTextStream>
#include <QtTest/QtTest>

#include <map>
#include <set>

using namespace storybrush::scene;

namespace {

const ThingLibrary& library() { return ThingLibrary::installed(); }

QStringList prompts() {
    QStringList out;
    QFile file(QStringLiteral(STORYBRUSH_TEST_DATA_DIR "/scene/prompts.tsv"));
    if (!file.open(QIODevice::ReadOnly)) return out;
    QTextStream in(&file);
    while (!in.atEnd()) {
        const QString line = in.readLine();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')) || line.startsWith(QStringLiteral("prompt\t")))
            continue;
        out << line.section(QLatin1Char('\t'), 0, 0);
    }
    return out;
}

const PlacedThing* first(const Layout& layout, int thing) {
    for (const auto& item : layout.items) {
        if (item.thing == thing && item.instance == 0) return &item;
    }
    return nullptr;
}

}  // namespace

class TestSceneLayout : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void layoutsKeepThingsInsideAndApart() {
        const QStringList all = prompts();
        QVERIFY(all.size() >= 100);
        for (const QString& prompt : all) {
            const PromptReading reading = readPrompt(prompt.toStdString(), library());
            std::set<int> related;
            for (const auto& relation : reading.relations) related.insert({relation.subject, relation.object});
            for (const double aspect : {1.0, 1.5, 0.667}) {
                for (const std::uint64_t seed : {1u, 2u, 77u}) {
                    const Layout layout = layOut(reading, library(), seed, aspect);
                    int expected = 0;
                    for (const auto& thing : reading.things) expected += thing.count;
                    QCOMPARE(int(layout.items.size()), expected);
                    for (const auto& item : layout.items) {
                        const Box& b = item.box;
                        QVERIFY2(b.x >= -1e-9 && b.y >= -1e-9 && b.right() <= 1 + 1e-9 && b.bottom() <= 1 + 1e-9,
                                 qPrintable(prompt));
                        QVERIFY2(b.width > 0.02 && b.height > 0.02, qPrintable(prompt));  // big enough to see
                    }
                    // Things in no relation stand apart: another thing may cover at most a tenth of them.
                    for (const auto& a : layout.items) {
                        for (const auto& b : layout.items) {
                            if (&a == &b || a.thing == b.thing || related.count(a.thing) || related.count(b.thing))
                                continue;
                            QVERIFY2(overlapShare(a.box, b.box) <= 0.1,
                                     qPrintable(prompt + QStringLiteral(": ") + QString::fromStdString(a.id) +
                                                QStringLiteral(" covers ") + QString::fromStdString(b.id)));
                        }
                    }
                }
            }
        }
    }

    void relationsArePlacedAsTheyRead() {
        // The subject's and the object's box, when the prompt reads as the one relation expected.
        const auto check = [](const char* prompt, const char* relation) -> std::pair<Box, Box> {
            const PromptReading reading = readPrompt(prompt, library());
            if (reading.relations.size() != 1 || reading.relations[0].relation != relation) return {};
            const Layout layout = layOut(reading, library(), 5);
            const PlacedThing* subject = first(layout, reading.relations[0].subject);
            const PlacedThing* object = first(layout, reading.relations[0].object);
            if (!subject || !object) return {};
            return {subject->box, object->box};
        };
        {
            const auto [cat, bed] = check("a cat on a bed", "on");
            QVERIFY2(cat.height > 0, "read as one 'on'");
            QVERIFY(cat.bottom() < bed.bottom() && cat.bottom() > bed.y);  // sits on its top
            QVERIFY(overlapShare(cat, bed) > 0);
        }
        {
            const auto [girl, balloon] = check("a girl holding a balloon", "holding");
            QVERIFY(overlapShare(girl, balloon) > 0);  // in her hand
            QVERIFY(balloon.height < girl.height);
        }
        {
            const auto [snowman, hat] = check("a snowman wearing a hat", "wearing");
            QVERIFY(hat.y <= snowman.y + snowman.height * 0.1);  // on the head
        }
        {
            const auto [bird, house] = check("a bird above a house", "above");
            QVERIFY(bird.bottom() <= house.y + 1e-9);
        }
        {
            const auto [rabbit, carrot] = check("a rabbit next to a carrot", "next_to");
            QVERIFY(overlapShare(rabbit, carrot) < 0.35);
            QVERIFY(std::abs(rabbit.bottom() - carrot.bottom()) < 0.02);  // on the same ground
        }
        {
            const auto [dog, tree] = check("a dog under a tree", "under");
            QVERIFY(dog.height < tree.height);
            QVERIFY(std::abs(dog.bottom() - tree.bottom()) < 0.02);
        }
        {
            const auto [boy, bicycle] = check("a boy riding a bicycle", "riding");
            QVERIFY(boy.y < bicycle.y && overlapShare(boy, bicycle) > 0);
        }
    }

    void theSameSeedGivesTheSameLayout() {
        const PromptReading reading = readPrompt("three little pigs and a wolf in the forest", library());
        const Layout a = layOut(reading, library(), 9), b = layOut(reading, library(), 9),
                     c = layOut(reading, library(), 10);
        QCOMPARE(a.items.size(), b.items.size());
        bool differs = false;
        for (std::size_t i = 0; i < a.items.size(); ++i) {
            QCOMPARE(a.items[i].box.x, b.items[i].box.x);
            QCOMPARE(a.items[i].box.y, b.items[i].box.y);
            differs = differs || a.items[i].box.x != c.items[i].box.x;
        }
        QVERIFY2(differs, "another seed moves things a little");
    }

    void biggerThingsAreDrawnBigger() {
        const PromptReading reading = readPrompt("a house, a cat and an apple", library());
        const Layout layout = layOut(reading, library(), 1);
        std::map<std::string, double> height;
        for (const auto& item : layout.items) height[item.id] = item.box.height;
        QVERIFY(height.at("house") > height.at("cat"));
        QVERIFY(height.at("cat") > height.at("apple"));
        const Layout small = layOut(readPrompt("a small cat and a big cat", library()), library(), 1);
        QVERIFY(small.items.size() == 2);
    }
};

QTEST_GUILESS_MAIN(TestSceneLayout)
#include "tst_scene_layout.moc"
