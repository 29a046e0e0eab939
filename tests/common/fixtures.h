// Where tests find ../shared/fixtures, and the loud skip (in CI: failure) when a fixture is missing.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QDir>
#include <QtCore/QFileInfo>
#include <QtCore/QString>
#include <QtTest/QTest>

#include <string>

namespace storybrush::test {

inline QString fixturesDir() {
    const QByteArray fromEnv = qgetenv("STORYBRUSH_FIXTURES");
    return fromEnv.isEmpty() ? QString::fromUtf8(STORYBRUSH_FIXTURES_DEFAULT) : QString::fromLocal8Bit(fromEnv);
}

inline QString fixturePath(const QString& relative) { return QDir(fixturesDir()).filePath(relative); }

inline std::string fixturePathStd(const QString& relative) { return fixturePath(relative).toStdString(); }

// Where tests write files a person looks at (screenshots) or that later tests read.
inline QString testOutputDir() {
    const QString dir = QString::fromUtf8(STORYBRUSH_TEST_OUTPUT_DIR);
    QDir().mkpath(dir);
    return dir;
}

// Set in CI (.ci/run): a missing fixture then fails the test, so a parity check cannot go unrun unnoticed.
inline bool fixturesRequired() {
    const QByteArray value = qgetenv("STORYBRUSH_REQUIRE_FIXTURES");
    return !value.isEmpty() && value != "0";
}

inline QByteArray missingFixtureMessage(const QString& path) {
    QString message = QStringLiteral("fixture missing: ") + path +
                      QStringLiteral(" (set STORYBRUSH_FIXTURES or put ../shared/fixtures beside the checkout)");
    if (fixturesRequired()) message += QStringLiteral("; STORYBRUSH_REQUIRE_FIXTURES is set, so this fails");
    return message.toUtf8();
}

}  // namespace storybrush::test

// Skips the current test function, loudly, when the fixture is absent; fails it under STORYBRUSH_REQUIRE_FIXTURES.
#define STORYBRUSH_REQUIRE_FIXTURE(relative)                                                                 \
    do {                                                                                                     \
        const QString storybrushFixture = storybrush::test::fixturePath(QStringLiteral(relative));           \
        if (!QFileInfo::exists(storybrushFixture)) {                                                         \
            const QByteArray storybrushMissing = storybrush::test::missingFixtureMessage(storybrushFixture); \
            if (storybrush::test::fixturesRequired()) QFAIL(storybrushMissing.constData());                  \
            QSKIP(storybrushMissing.constData());                                                            \
        }                                                                                                    \
    } while (false)
