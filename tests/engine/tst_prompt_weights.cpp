// A1111's prompt-weight syntax and the packing of long prompts into 75-token chunks of 77 ids.
#include "common/fixtures.h"

#include "text/clip_tokenizer.h"
#include "text/prompt_chunks.h"
#include "text/prompt_weights.h"

#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace storybrush::text;

namespace {

using Expected = std::vector<std::pair<std::string, double>>;  // text, weight; "BREAK" with -1 for a break

QString show(const std::vector<PromptPiece>& pieces) {
    QStringList parts;
    for (const auto& piece : pieces)
        parts
            << (piece.isBreak
                    ? QStringLiteral("<BREAK>")
                    : QStringLiteral("'%1':%2").arg(QString::fromStdString(piece.text)).arg(piece.weight, 0, 'g', 17));
    return parts.join(QStringLiteral(", "));
}

QString show(const Expected& pieces) {
    QStringList parts;
    for (const auto& [text, weight] : pieces)
        parts << (weight < 0 && text == "BREAK"
                      ? QStringLiteral("<BREAK>")
                      : QStringLiteral("'%1':%2").arg(QString::fromStdString(text)).arg(weight, 0, 'g', 17));
    return parts.join(QStringLiteral(", "));
}

bool same(const std::vector<PromptPiece>& got, const Expected& want) {
    if (got.size() != want.size()) return false;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const bool wantBreak = want[i].first == "BREAK" && want[i].second < 0;
        if (got[i].isBreak != wantBreak) return false;
        if (wantBreak) continue;
        if (got[i].text != want[i].first || std::abs(got[i].weight - want[i].second) > 1e-12) return false;
    }
    return true;
}

nlohmann::json tokenizerCases() {
    std::ifstream in(storybrush::test::fixturePathStd(QStringLiteral("tokenizer_cases.json")), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str())["cases"];
}

ClipTokenizer fixtureTokenizer() {
    return ClipTokenizer(storybrush::test::fixturePathStd(QStringLiteral("clip_tokenizer")));
}

// The tokens between BOS and the first EOS of a chunk.
std::vector<int> content(const TokenChunk& chunk, const ClipTokenizer& tokenizer) {
    std::vector<int> out;
    for (std::size_t i = 1; i < chunk.ids.size() && chunk.ids[i] != tokenizer.eosId(); ++i) out.push_back(chunk.ids[i]);
    return out;
}

std::string repeatWords(const std::string& word, int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out += (i ? " " : "") + word;
    return out;
}

}  // namespace

Q_DECLARE_METATYPE(Expected)

class TestPromptWeights : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The examples in A1111's parse_prompt_attention docstring, then the syntax corners the brief lists.
    void parsesLikeA1111_data() {
        QTest::addColumn<QString>("prompt");
        QTest::addColumn<Expected>("expected");
        const double r = 1.1;
        QTest::newRow("plain") << QStringLiteral("normal text") << Expected{{"normal text", 1.0}};
        QTest::newRow("round") << QStringLiteral("an (important) word")
                               << Expected{{"an ", 1.0}, {"important", r}, {" word", 1.0}};
        QTest::newRow("unbalanced open") << QStringLiteral("(unbalanced") << Expected{{"unbalanced", r}};
        QTest::newRow("escapes") << QStringLiteral("\\(literal\\]") << Expected{{"(literal]", 1.0}};
        QTest::newRow("adjacent equal weights")
            << QStringLiteral("(unnecessary)(parens)") << Expected{{"unnecessaryparens", r}};
        QTest::newRow("docstring mix") << QStringLiteral("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).")
                                       << Expected{{"a ", 1.0},    {"house", 1.3 * r * r},
                                                   {" ", r},       {"on", r / r},
                                                   {" a ", r},     {"hill", 0.5 * r},
                                                   {", sun, ", r}, {"sky", r * r * r * r},
                                                   {".", r}};
        QTest::newRow("explicit weight") << QStringLiteral("(word:1.2)") << Expected{{"word", 1.2}};
        QTest::newRow("small weight") << QStringLiteral("(a:0.5) b") << Expected{{"a", 0.5}, {" b", 1.0}};
        QTest::newRow("spaces around weight") << QStringLiteral("(a : 0.5 )") << Expected{{"a ", 0.5}};
        QTest::newRow("signed weights") << QStringLiteral("(a:-1)(b:+2)") << Expected{{"a", -1.0}, {"b", 2.0}};
        QTest::newRow("double round") << QStringLiteral("((word))") << Expected{{"word", r * r}};
        QTest::newRow("square") << QStringLiteral("[word]") << Expected{{"word", 1.0 / r}};
        QTest::newRow("nested weight in round")
            << QStringLiteral("((cat:1.5) hat)") << Expected{{"cat", 1.5 * r}, {" hat", r}};
        QTest::newRow("stray close round") << QStringLiteral("a) b") << Expected{{"a) b", 1.0}};
        QTest::newRow("stray close square") << QStringLiteral("a] [b") << Expected{{"a] ", 1.0}, {"b", 1.0 / r}};
        QTest::newRow("weight without open bracket") << QStringLiteral("a:1.2) b") << Expected{{"a:1.2) b", 1.0}};
        QTest::newRow("colon text") << QStringLiteral("time: noon") << Expected{{"time: noon", 1.0}};
        QTest::newRow("escaped backslash") << QStringLiteral("a\\\\b") << Expected{{"a\\b", 1.0}};
        QTest::newRow("lone backslash dropped") << QStringLiteral("a\\b") << Expected{{"ab", 1.0}};
        QTest::newRow("escaped in weight") << QStringLiteral("(\\(x\\):1.5)") << Expected{{"(x)", 1.5}};
        QTest::newRow("empty") << QString() << Expected{{"", 1.0}};
        QTest::newRow("break") << QStringLiteral("a cat  BREAK  a dog")
                               << Expected{{"a cat", 1.0}, {"BREAK", -1}, {"a dog", 1.0}};
        QTest::newRow("break needs a whole word")
            << QStringLiteral("BREAKFAST aBREAK break") << Expected{{"BREAKFAST aBREAK break", 1.0}};
        QTest::newRow("break beside punctuation")
            << QStringLiteral("a,BREAK,b") << Expected{{"a,", 1.0}, {"BREAK", -1}, {",b", 1.0}};
        QTest::newRow("break inside brackets")
            << QStringLiteral("(a BREAK b)") << Expected{{"a", r}, {"BREAK", -1}, {"b", r}};
        QTest::newRow("two breaks") << QStringLiteral("a BREAK BREAK b")
                                    << Expected{{"a", 1.0}, {"BREAK", -1}, {"", 1.0}, {"BREAK", -1}, {"b", 1.0}};
        QTest::newRow("unreadable number") << QStringLiteral("(a:1.2.3)") << Expected{{"a:1.2.3)", r}};
        QTest::newRow("unicode") << QStringLiteral("(小熊:1.3) 🐼") << Expected{{"小熊", 1.3}, {" 🐼", 1.0}};
    }

    void parsesLikeA1111() {
        QFETCH(QString, prompt);
        QFETCH(Expected, expected);
        const auto pieces = parsePromptWeights(prompt.toStdString());
        QVERIFY2(same(pieces, expected),
                 qPrintable(QStringLiteral("got  ") + show(pieces) + QStringLiteral("\nwant ") + show(expected)));
    }

    void garbageNeverCrashes() {
        const std::string nasty[] = {"((((((((", "))))]]]]",   "(:",   "(a:",   "(a:1",
                                     "\\",       "[(])",       ":::)", "(a:.)", std::string("\xff\xfe(\x80:1)", 7),
                                     "BREAK",    "(((BREAK)))"};
        for (const auto& text : nasty) {
            const auto pieces = parsePromptWeights(text);
            QVERIFY(!pieces.empty());
        }
    }

    // A plain prompt of at most 75 tokens gives exactly the reference's slow_ids_77, with and without parsing.
    void plainPromptIsOneReferenceChunk() {
        STORYBRUSH_REQUIRE_FIXTURE("tokenizer_cases.json");
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        const ClipTokenizer tokenizer = fixtureTokenizer();
        int checked = 0;
        for (const auto& item : tokenizerCases()) {
            const auto expected = item["slow_ids"].get<std::vector<int>>();
            if (expected.size() > 77) continue;
            const std::string prompt = item["prompt"].get<std::string>();
            const bool plain = prompt.find_first_of("()[]:\\") == std::string::npos &&
                               prompt.find("BREAK") == std::string::npos;
            for (bool parse : {false, true}) {
                if (parse && !plain) continue;
                const EncodedPrompt encoded = encodePrompt(tokenizer, prompt, parse);
                QCOMPARE(encoded.chunks.size(), std::size_t(1));
                QCOMPARE(encoded.chunks[0].ids, item["slow_ids_77"].get<std::vector<int>>());
                QCOMPARE(encoded.chunks[0].weights, std::vector<float>(77, 1.0f));
                QCOMPARE(encoded.tokenCount, static_cast<int>(expected.size()) - 2);
                ++checked;
            }
        }
        QVERIFY(checked >= 12);
    }

    void weightsFollowTheirTokens() {
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        const ClipTokenizer tokenizer = fixtureTokenizer();
        const EncodedPrompt encoded = encodePrompt(tokenizer, "(cute:1.2) bunny, [red] overalls", true);
        QCOMPARE(encoded.chunks.size(), std::size_t(1));
        std::vector<int> ids{tokenizer.bosId()};
        std::vector<float> weights{1.0f};
        const std::pair<const char*, double> pieces[] = {
            {"cute", 1.2}, {" bunny, ", 1.0}, {"red", 1 / 1.1}, {" overalls", 1.0}};
        for (const auto& [text, weight] : pieces)
            for (int id : tokenizer.encode(text)) {
                ids.push_back(id);
                weights.push_back(static_cast<float>(weight));
            }
        ids.push_back(tokenizer.eosId());
        weights.push_back(1.0f);
        QCOMPARE(encoded.tokenCount, static_cast<int>(ids.size()) - 2);
        ids.resize(77, tokenizer.padId());
        weights.resize(77, 1.0f);
        QCOMPARE(encoded.chunks[0].ids, ids);
        QCOMPARE(encoded.chunks[0].weights, weights);
        // without parsing, the syntax is text: the reference ids of the whole string, all weights 1
        const EncodedPrompt raw = encodePrompt(tokenizer, "(cute:1.2) bunny, [red] overalls", false);
        QCOMPARE(raw.chunks[0].ids, tokenizer.encodePadded("(cute:1.2) bunny, [red] overalls"));
        QCOMPARE(raw.chunks[0].weights, std::vector<float>(77, 1.0f));
    }

    // The 200-token fixture prompt: 3 chunks of 77, BOS first, EOS after the tokens, the reference's tokens in
    // order, cut only at 75 tokens or after a comma at most 20 tokens back.
    void longPromptMakesThreeChunks() {
        STORYBRUSH_REQUIRE_FIXTURE("tokenizer_cases.json");
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        const ClipTokenizer tokenizer = fixtureTokenizer();
        const int comma = *tokenizer.tokenId(",</w>");
        for (const auto& item : tokenizerCases()) {
            const auto reference = item["slow_ids"].get<std::vector<int>>();
            if (reference.size() <= 77) continue;
            const std::string prompt = item["prompt"].get<std::string>();
            const std::pair<std::string, float> variants[] = {{prompt, 1.0f}, {"(" + prompt + ":0.8)", 0.8f}};
            for (const auto& [text, weight] : variants) {
                const EncodedPrompt encoded = encodePrompt(tokenizer, text, true);
                QCOMPARE(encoded.chunks.size(), std::size_t(3));
                std::vector<int> joined;
                for (std::size_t c = 0; c < encoded.chunks.size(); ++c) {
                    const TokenChunk& chunk = encoded.chunks[c];
                    QCOMPARE(chunk.ids.size(), std::size_t(77));
                    QCOMPARE(chunk.weights.size(), std::size_t(77));
                    QCOMPARE(chunk.ids.front(), tokenizer.bosId());
                    const std::vector<int> tokens = content(chunk, tokenizer);
                    QVERIFY(tokens.size() <= 75);
                    QCOMPARE(chunk.length, static_cast<int>(tokens.size()));
                    QCOMPARE(chunk.ids[tokens.size() + 1], tokenizer.eosId());
                    for (std::size_t i = tokens.size() + 2; i < 77; ++i) QCOMPARE(chunk.ids[i], tokenizer.padId());
                    QCOMPARE(chunk.weights.front(), 1.0f);
                    for (std::size_t i = 1; i <= tokens.size(); ++i) QCOMPARE(chunk.weights[i], weight);
                    for (std::size_t i = tokens.size() + 1; i < 77; ++i) QCOMPARE(chunk.weights[i], 1.0f);
                    if (c + 1 < encoded.chunks.size())
                        QVERIFY2(tokens.size() == 75 ||
                                     (tokens.back() == comma && tokens.size() >= 75 - kCommaBacktrack),
                                 qPrintable(QStringLiteral("chunk %1 cut after %2 tokens").arg(c).arg(tokens.size())));
                    joined.insert(joined.end(), tokens.begin(), tokens.end());
                }
                QCOMPARE(joined, std::vector<int>(reference.begin() + 1, reference.end() - 1));
                const int lastTokens = static_cast<int>(content(encoded.chunks.back(), tokenizer).size());
                QCOMPARE(encoded.tokenCount, 2 * kChunkTokens + lastTokens);
            }
        }
    }

    // A chunk that fills up mid-phrase moves the words after its last comma into the next chunk.
    void commaBacktrackMovesThePhrase() {
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        const ClipTokenizer tokenizer = fixtureTokenizer();
        QCOMPARE(tokenizer.encode("cat").size(), std::size_t(1));
        QCOMPARE(tokenizer.encode("dog").size(), std::size_t(1));
        const int cat = tokenizer.encode("cat")[0];
        const int dog = tokenizer.encode("dog")[0];
        const int comma = *tokenizer.tokenId(",</w>");
        // 70 cats, a comma (token 71), then 10 dogs: the chunk is full after 4 dogs, the comma 5 back
        const EncodedPrompt near =
            encodePrompt(tokenizer, repeatWords("cat", 70) + ", " + repeatWords("dog", 10), true);
        QCOMPARE(near.chunks.size(), std::size_t(2));
        std::vector<int> first(70, cat);
        first.push_back(comma);
        QCOMPARE(content(near.chunks[0], tokenizer), first);
        QCOMPARE(content(near.chunks[1], tokenizer), std::vector<int>(10, dog));
        QCOMPARE(near.tokenCount, kChunkTokens + 10);
        // a comma 30 tokens back is too far: the chunk is cut at 75 tokens
        const EncodedPrompt far = encodePrompt(tokenizer, repeatWords("cat", 44) + ", " + repeatWords("dog", 40), true);
        QCOMPARE(far.chunks.size(), std::size_t(2));
        QCOMPARE(content(far.chunks[0], tokenizer).size(), std::size_t(75));
        QCOMPARE(content(far.chunks[1], tokenizer), std::vector<int>(10, dog));
    }

    void breakStartsANewChunk() {
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        const ClipTokenizer tokenizer = fixtureTokenizer();
        const EncodedPrompt encoded = encodePrompt(tokenizer, "a cute panda BREAK a tiny (frog:1.3)", true);
        QCOMPARE(encoded.chunks.size(), std::size_t(2));
        QCOMPARE(encoded.chunks[0].ids, tokenizer.encodePadded("a cute panda"));
        std::vector<int> second = tokenizer.encode("a tiny ");
        const std::size_t plainCount = second.size();
        for (int id : tokenizer.encode("frog")) second.push_back(id);
        QCOMPARE(content(encoded.chunks[1], tokenizer), second);
        for (std::size_t i = 1; i <= second.size(); ++i)
            QCOMPARE(encoded.chunks[1].weights[i], i <= plainCount ? 1.0f : 1.3f);
        QCOMPARE(encoded.tokenCount, kChunkTokens + static_cast<int>(second.size()));
        // a leading BREAK closes an empty chunk, as A1111 does
        const EncodedPrompt leading = encodePrompt(tokenizer, "BREAK a cat", true);
        QCOMPARE(leading.chunks.size(), std::size_t(2));
        QCOMPARE(leading.chunks[0].ids, tokenizer.encodePadded(""));
        // without parsing, BREAK is a word
        QCOMPARE(encodePrompt(tokenizer, "a cute panda BREAK a tiny frog", false).chunks.size(), std::size_t(1));
    }

    void emptyPromptIsOnePaddedChunk() {
        STORYBRUSH_REQUIRE_FIXTURE("clip_tokenizer/vocab.json");
        const ClipTokenizer tokenizer = fixtureTokenizer();
        for (bool parse : {false, true}) {
            const EncodedPrompt encoded = encodePrompt(tokenizer, "", parse);
            QCOMPARE(encoded.chunks.size(), std::size_t(1));
            QCOMPARE(encoded.tokenCount, 0);
            QCOMPARE(encoded.chunks[0].ids.front(), tokenizer.bosId());
            QCOMPARE(encoded.chunks[0].ids[1], tokenizer.eosId());
            QCOMPARE(encoded.chunks[0].ids.size(), std::size_t(77));
        }
    }

    // SD 2.x pads chunks with its own pad id ("!"), after one EOS.
    void chunksUseTheTokenizersPadId() {
        STORYBRUSH_REQUIRE_FIXTURE("tiny-sd2v-diffusers/tokenizer/vocab.json");
        const ClipTokenizer tokenizer(
            storybrush::test::fixturePathStd(QStringLiteral("tiny-sd2v-diffusers/tokenizer")));
        QVERIFY(tokenizer.padId() != tokenizer.eosId());
        const EncodedPrompt encoded = encodePrompt(tokenizer, "a cute panda", true);
        QCOMPARE(encoded.chunks[0].ids, tokenizer.encodePadded("a cute panda"));
        QCOMPARE(encoded.chunks[0].ids[4], tokenizer.eosId());
        QCOMPARE(encoded.chunks[0].ids[5], tokenizer.padId());
    }
};

QTEST_GUILESS_MAIN(TestPromptWeights)
#include "tst_prompt_weights.moc"
