// Where tests find ../shared/fixtures, and the loud skip when a fixture is missing.
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

}  // namespace storybrush::test

// Skips the current test function, loudly, when the fixture is absent. Never passes silently.
#define STORYBRUSH_REQUIRE_FIXTURE(relative)                                                                  \
    do {                                                                                                      \
        if (!QFileInfo::exists(storybrush::test::fixturePath(QStringLiteral(relative)))) {                  \
            QSKIP(qPrintable(QStringLiteral("fixture missing: %1 (set STORYBRUSH_FIXTURES or put ../shared/fixtures beside the checkout)") \
                                 .arg(storybrush::test::fixturePath(QStringLiteral(relative)))));            \
        }                                                                                                     \
    } while (false)
