// The grown-ups' PIN: turning kid mode off and changing settings (models folder, safety) ask for it. Stored
// only as an Argon2id hash (libsodium's crypto_pwhash_str) in the app's settings; wrong guesses make the next
// try wait longer, so a child cannot try all 10,000 four-digit PINs.
#pragma once

#include <QtCore/QDateTime>
#include <QtCore/QString>

class QSettings;

namespace storybrush {

class AdultLock {
public:
    explicit AdultLock(QSettings& settings);

    bool hasPin() const;
    // 4 to 12 digits. False (with a reason) when the PIN is not acceptable or hashing failed.
    bool setPin(const QString& pin, QString* error = nullptr);

    enum class Check { Accepted, Wrong, WaitFirst };
    // WaitFirst: too many wrong tries; `waitSeconds` says how long until the next try is heard.
    Check check(const QString& pin, int* waitSeconds = nullptr);
    int secondsUntilNextTry() const;

    // Forgotten PIN: removes it and the wrong-try count. The caller turns kid mode back on (the safe default).
    void reset();

    // For tests: the clock the back-off measures with.
    void setClockForTests(QDateTime now) { m_testNow = now; }

private:
    QDateTime now() const;

    QSettings& m_settings;
    QDateTime m_testNow;
};

}  // namespace storybrush
