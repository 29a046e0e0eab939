// The CLIP tokenizer gives the reference ids on every fixture prompt and refuses missing or corrupt files.
#include "common/fixtures.h"
#include "common/json_file.h"

#include "text/clip_tokenizer.h"

#include <storybrush/error.h>

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using storybrush::Error;
using storybrush::ErrorKind;
using storybrush::text::ClipTokenizer;

namespace {

QString describe(const std::vector<int>& ids) {
    QStringList parts;
    for (int id : ids) parts << QString::number(id);
    return parts.join(QLatin1Char(' '));
}

// The message of the Error `fn` throws (ModelFile kind checked), or "" when it throws none.
template <typename Fn>
QString modelFileError(Fn fn) {
    try {
        fn();
    } catch (const Error& error) {
        if (error.kind() != ErrorKind::ModelFile)
            return QStringLiteral("wrong kind: ") + QString::fromUtf8(error.what());
        return QString::fromUtf8(error.what());
    }
    return {};
}

bool copyFixtureFile(const QString& name, const QString& toDir) {
    return QFile::copy(storybrush::test::fixturePath(QStringLiteral("clip_tokenizer/") + name),
                       toDir + QLatin1Char('/') + name);
}

}  // namespace

class TestClipTokenizer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesReferenceIds_data() {
        QTest::addColumn<int>("index");
        const std::string path = storybrush::test::fixturePathStd(QStringLiteral("tokenizer_cases.json"));
        if (!QFileInfo::exists(QString::fromStdString(path))) {
            QTest::newRow("fixture missing") << -1;
            return;
        }
        const auto cases = storybrush::test::readJsonFile(path)["cases"];
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const std::string prompt = cases[i]["prompt"].get<std::string>().substr(0, 40);
            QTest::newRow(qPrintable(QString::number(i) + QStringLiteral(": ") + QString::fromStdString(prompt)))
                << static_cast<int>(i);
        }
    }

    // slow_ids (BOS ... EOS, no padding) and slow_ids_77 (padded with EOS, truncated to 77) of every case.
    void matchesReferenceIds() {
        STORYBRUSH_REQUIRE_FIXTURE("tokenizer_cases.json");
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        QFETCH(int, index);
        QVERIFY(index >= 0);
        static const ClipTokenizer tokenizer(storybrush::test::fixturePathStd(QStringLiteral("clip_tokenizer")));
        const auto cases = storybrush::test::readJsonFile(
            storybrush::test::fixturePathStd(QStringLiteral("tokenizer_cases.json")))["cases"];
        const auto& item = cases[static_cast<std::size_t>(index)];
        const std::string prompt = item["prompt"].get<std::string>();
        const auto expected = item["slow_ids"].get<std::vector<int>>();
        const auto expected77 = item["slow_ids_77"].get<std::vector<int>>();

        const std::vector<int> ids = tokenizer.encodeWithSpecials(prompt);
        QCOMPARE(describe(ids), describe(expected));
        const std::vector<int> padded = tokenizer.encodePadded(prompt);
        QCOMPARE(describe(padded), describe(expected77));
        // encode() is the same without BOS/EOS
        const std::vector<int> inner = tokenizer.encode(prompt);
        QCOMPARE(describe(inner), describe(std::vector<int>(expected.begin() + 1, expected.end() - 1)));
    }

    void fixtureCoversLongAndEmptyPrompts() {
        STORYBRUSH_REQUIRE_FIXTURE("tokenizer_cases.json");
        const auto cases = storybrush::test::readJsonFile(
            storybrush::test::fixturePathStd(QStringLiteral("tokenizer_cases.json")))["cases"];
        bool hasLong = false;
        bool hasEmpty = false;
        for (const auto& item : cases) {
            hasLong = hasLong || item["slow_ids"].size() > 77;
            hasEmpty = hasEmpty || item["prompt"].get<std::string>().empty();
        }
        QVERIFY(hasLong);
        QVERIFY(hasEmpty);
    }

    void readsSpecialTokensFromTheFolder() {
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        const ClipTokenizer tokenizer(storybrush::test::fixturePathStd(QStringLiteral("clip_tokenizer")));
        QCOMPARE(tokenizer.tokenString(tokenizer.bosId()), std::string("<|startoftext|>"));
        QCOMPARE(tokenizer.tokenString(tokenizer.eosId()), std::string("<|endoftext|>"));
        QCOMPARE(tokenizer.padId(), tokenizer.eosId());
        QCOMPARE(tokenizer.vocabSize(), 49408);
    }

    // SD 2.x tokenizers name "!" as the pad token: padding uses its id, and "!" in the text maps to it whole
    // (transformers keeps special tokens whole; the folder's tokenizer.json lists "!" as an added token).
    void sd2FolderPadsWithExclamationMark() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-diffusers/tokenizer/special_tokens_map.json");
        const ClipTokenizer tokenizer(
            storybrush::test::fixturePathStd(QStringLiteral("tiny-sd2v-diffusers/tokenizer")));
        const auto exclamation = tokenizer.tokenId("!");
        QVERIFY(exclamation.has_value());
        QCOMPARE(tokenizer.padId(), *exclamation);
        const std::vector<int> padded = tokenizer.encodePadded("a cute panda");
        const std::vector<int> plain = tokenizer.encodeWithSpecials("a cute panda");
        QCOMPARE(padded.size(), std::size_t(77));
        QVERIFY(std::equal(plain.begin(), plain.end(), padded.begin()));
        for (std::size_t i = plain.size(); i < padded.size(); ++i) QCOMPARE(padded[i], *exclamation);
        const std::vector<int> shout = tokenizer.encode("hello!");
        QCOMPARE(shout.back(), *exclamation);
    }

    void missingVocabIsNamed() {
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/merges.txt");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(copyFixtureFile(QStringLiteral("merges.txt"), dir.path()));
        const QString message = modelFileError([&] { ClipTokenizer tokenizer(dir.path().toStdString()); });
        QVERIFY2(message.contains(QStringLiteral("vocab.json")), qPrintable(message));
        QVERIFY2(message.contains(dir.path()), qPrintable(message));
    }

    void missingMergesIsNamed() {
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(copyFixtureFile(QStringLiteral("vocab.json"), dir.path()));
        const QString message = modelFileError([&] { ClipTokenizer tokenizer(dir.path().toStdString()); });
        QVERIFY2(message.contains(QStringLiteral("merges.txt")), qPrintable(message));
    }

    void missingFolderIsNamed() {
        const QString message = modelFileError([] { ClipTokenizer tokenizer("/nonexistent/storybrush/tokenizer"); });
        QVERIFY2(message.contains(QStringLiteral("/nonexistent/storybrush/tokenizer")), qPrintable(message));
    }

    void corruptFilesAreRefused_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("vocab not json") << QStringLiteral("vocab.json") << QByteArray("{\"a\": 1,");
        QTest::newRow("vocab not an object") << QStringLiteral("vocab.json") << QByteArray("[1, 2, 3]");
        QTest::newRow("vocab id not a number") << QStringLiteral("vocab.json") << QByteArray("{\"a\": \"x\"}");
        QTest::newRow("vocab without specials") << QStringLiteral("vocab.json") << QByteArray("{\"a\": 0, \"b\": 1}");
        QTest::newRow("merge with three symbols")
            << QStringLiteral("merges.txt") << QByteArray("#version: 0.2\na b c\n");
        QTest::newRow("merges empty") << QStringLiteral("merges.txt") << QByteArray("#version: 0.2\n");
        QTest::newRow("config not json") << QStringLiteral("special_tokens_map.json") << QByteArray("{oops");
        QTest::newRow("pad not in vocab")
            << QStringLiteral("special_tokens_map.json") << QByteArray("{\"pad_token\": \"<|nothing|>\"}");
    }

    void corruptFilesAreRefused() {
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        QFETCH(QString, file);
        QFETCH(QByteArray, content);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(copyFixtureFile(QStringLiteral("vocab.json"), dir.path()));
        QVERIFY(copyFixtureFile(QStringLiteral("merges.txt"), dir.path()));
        QFile::remove(dir.filePath(file));
        QFile out(dir.filePath(file));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(content);
        out.close();
        const QString message = modelFileError([&] { ClipTokenizer tokenizer(dir.path().toStdString()); });
        QVERIFY2(!message.isEmpty(), "no error for a corrupt file");
        QVERIFY2(!message.startsWith(QStringLiteral("wrong kind")), qPrintable(message));
        QVERIFY2(message.contains(file) || message.contains(QStringLiteral("vocab.json")), qPrintable(message));
    }

    // Bytes that are not UTF-8 never crash: they become U+FFFD, as Python's decoding with "replace" does.
    void invalidUtf8DoesNotCrash() {
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        const ClipTokenizer tokenizer(storybrush::test::fixturePathStd(QStringLiteral("clip_tokenizer")));
        const std::string bad("a \xff\xfe cat \xe4\xb8", 10);
        const std::vector<int> ids = tokenizer.encode(bad);
        QVERIFY(!ids.empty());
        QCOMPARE(ids.front(), tokenizer.encode("a").front());
        const std::vector<int> replaced = tokenizer.encode("a \xef\xbf\xbd\xef\xbf\xbd cat \xef\xbf\xbd");
        QCOMPARE(describe(ids), describe(replaced));
    }

    // Several threads share one tokenizer (its BPE cache is locked).
    void sharedAcrossThreads() {
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        const ClipTokenizer tokenizer(storybrush::test::fixturePathStd(QStringLiteral("clip_tokenizer")));
        const std::string prompt = "a fluffy yellow chick hatching from an egg, watercolour, storybook";
        const std::vector<int> expected = tokenizer.encode(prompt);
        std::vector<std::vector<int>> results(4);
        std::vector<std::thread> threads;
        for (std::size_t t = 0; t < results.size(); ++t)
            threads.emplace_back([&, t] {
                for (int round = 0; round < 50; ++round) results[t] = tokenizer.encode(prompt);
            });
        for (auto& thread : threads) thread.join();
        for (const auto& result : results) QCOMPARE(describe(result), describe(expected));
    }
};

QTEST_GUILESS_MAIN(TestClipTokenizer)
#include "tst_clip_tokenizer.moc"
