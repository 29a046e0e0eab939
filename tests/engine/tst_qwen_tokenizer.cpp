// Qwen2's tokenizer gives transformers' ids on every fixture text (Chinese, emoji, special tokens, odd
// whitespace), its pre-tokenizer loses no character, and missing files are refused with a clear message.
#include "common/fixtures.h"
#include "common/json_file.h"

#include "text/qwen_tokenizer.h"
#include "text/unicode_text.h"

#include <storybrush/error.h>

#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using storybrush::Error;
using storybrush::ErrorKind;
using storybrush::text::QwenTokenizer;

namespace {

QString describe(const std::vector<int>& ids) {
    QStringList parts;
    for (int id : ids) parts << QString::number(id);
    return parts.join(QLatin1Char(' '));
}

std::string tokenizerFolder() { return storybrush::test::fixturePathStd(QStringLiteral("tiny-qwenimage/tokenizer")); }

}  // namespace

class TestQwenTokenizer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesReferenceIds_data() {
        QTest::addColumn<int>("index");
        const std::string path = storybrush::test::fixturePathStd(QStringLiteral("qwen_tokenizer_cases.json"));
        if (!QFileInfo::exists(QString::fromStdString(path))) {
            QTest::newRow("fixture missing") << -1;
            return;
        }
        const auto cases = storybrush::test::readJsonFile(path)["cases"];
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const std::string text = cases[i]["text"].get<std::string>().substr(0, 30);
            QTest::newRow(qPrintable(QString::number(i) + QStringLiteral(": ") + QString::fromStdString(text)))
                << static_cast<int>(i);
        }
    }

    void matchesReferenceIds() {
        STORYBRUSH_REQUIRE_FIXTURE("qwen_tokenizer_cases.json");
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/tokenizer/vocab.json");
        QFETCH(int, index);
        QVERIFY(index >= 0);
        static const QwenTokenizer tokenizer(tokenizerFolder());
        const auto cases = storybrush::test::readJsonFile(
            storybrush::test::fixturePathStd(QStringLiteral("qwen_tokenizer_cases.json")))["cases"];
        const auto& item = cases[static_cast<std::size_t>(index)];
        QCOMPARE(describe(tokenizer.encode(item["text"].get<std::string>())),
                 describe(item["ids"].get<std::vector<int>>()));
    }

    // The pieces join back to the text: unlike CLIP, Qwen keeps every space and newline.
    void preTokenizerKeepsEveryCharacter() {
        const std::u32string text = U"  lots   of\tspaces \n newline  \r\n\r\n x's 'LL 12ab !!\n\n(a)";
        const auto pieces = storybrush::text::qwenPreTokenize(text);
        std::u32string joined;
        for (const auto& piece : pieces) joined += piece;
        QVERIFY(joined == text);
        // "\s+(?!\S)" leaves the last space to the word after it; a contraction is matched case-insensitively
        const std::vector<std::u32string> expected = {U"a", U"  ", U" b", U"'LL"};
        QVERIFY(storybrush::text::qwenPreTokenize(U"a   b'LL") == expected);
    }

    void specialTokensAreKeptWhole() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/tokenizer/vocab.json");
        const QwenTokenizer tokenizer(tokenizerFolder());
        const auto start = tokenizer.tokenId("<|im_start|>");
        QVERIFY(start.has_value());
        const std::vector<int> ids = tokenizer.encode("<|im_start|>user");
        QCOMPARE(ids.front(), *start);
        QCOMPARE(tokenizer.tokenString(tokenizer.padId()), std::string("<|endoftext|>"));
    }

    void refusesMissingOrCorruptFiles() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-qwenimage/tokenizer/vocab.json");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto message = [&] {
            try {
                QwenTokenizer tokenizer(dir.path().toStdString());
            } catch (const Error& error) {
                return error.kind() == ErrorKind::ModelFile ? QString::fromUtf8(error.what()) : QString();
            }
            return QString();
        };
        QVERIFY2(message().contains(QStringLiteral("vocab.json not found")), qPrintable(message()));
        QVERIFY(QFile::copy(QString::fromStdString(tokenizerFolder()) + QStringLiteral("/vocab.json"),
                            dir.filePath(QStringLiteral("vocab.json"))));
        QFile merges(dir.filePath(QStringLiteral("merges.txt")));
        QVERIFY(merges.open(QIODevice::WriteOnly));
        merges.write("#version: 0.2\nnot-a-merge\n");
        merges.close();
        QVERIFY2(message().contains(QStringLiteral("line 2")), qPrintable(message()));
    }
};

QTEST_GUILESS_MAIN(TestQwenTokenizer)
#include "tst_qwen_tokenizer.moc"
