// Argon2id PIN hashes and the wrong-try back-off.
#include "app/adult_lock.h"

#include <QtCore/QRegularExpression>
#include <QtCore/QSettings>

#include <sodium.h>

#include <algorithm>

namespace storybrush {

namespace {
const QString kHashKey = QStringLiteral("safety/pinHash");
const QString kFailuresKey = QStringLiteral("safety/wrongTries");
const QString kNotBeforeKey = QStringLiteral("safety/nextTryAt");
constexpr int kFreeTries = 3;          // tries before waiting starts
constexpr int kLongestWait = 15 * 60;  // seconds

// 30 s after the third wrong try, doubling with each further one, at most 15 minutes.
int waitAfter(int wrongTries) {
    if (wrongTries < kFreeTries) return 0;
    const int doublings = std::min(wrongTries - kFreeTries, 10);
    return std::min(30 << doublings, kLongestWait);
}
}  // namespace

AdultLock::AdultLock(QSettings& settings) : m_settings(settings) {
    if (sodium_init() < 0) qWarning("libsodium could not start: PINs cannot be checked");
}

QDateTime AdultLock::now() const { return m_testNow.isValid() ? m_testNow : QDateTime::currentDateTimeUtc(); }

bool AdultLock::hasPin() const { return !m_settings.value(kHashKey).toString().isEmpty(); }

bool AdultLock::setPin(const QString& pin, QString* error) {
    static const QRegularExpression digits(QStringLiteral("^[0-9]{4,12}$"));
    if (!digits.match(pin).hasMatch()) {
        if (error) *error = QStringLiteral("A PIN is 4 to 12 digits.");
        return false;
    }
    const QByteArray secret = pin.toUtf8();
    char hash[crypto_pwhash_STRBYTES];
    // Interactive limits: about a tenth of a second and 64 MiB on a school laptop, far too slow to guess in bulk.
    if (crypto_pwhash_str(hash, secret.constData(), static_cast<unsigned long long>(secret.size()),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        if (error) *error = QStringLiteral("There was not enough memory to protect the PIN.");
        return false;
    }
    m_settings.setValue(kHashKey, QString::fromLatin1(hash));
    m_settings.remove(kFailuresKey);
    m_settings.remove(kNotBeforeKey);
    m_settings.sync();
    return true;
}

int AdultLock::secondsUntilNextTry() const {
    const QDateTime notBefore = m_settings.value(kNotBeforeKey).toDateTime();
    if (!notBefore.isValid()) return 0;
    return static_cast<int>(std::max<qint64>(0, now().secsTo(notBefore)));
}

AdultLock::Check AdultLock::check(const QString& pin, int* waitSeconds) {
    if (const int wait = secondsUntilNextTry(); wait > 0) {
        if (waitSeconds) *waitSeconds = wait;
        return Check::WaitFirst;
    }
    const QByteArray hash = m_settings.value(kHashKey).toString().toLatin1();
    const QByteArray secret = pin.toUtf8();
    const bool right = !hash.isEmpty() && crypto_pwhash_str_verify(hash.constData(), secret.constData(),
                                                                   static_cast<unsigned long long>(secret.size())) == 0;
    if (right) {
        m_settings.remove(kFailuresKey);
        m_settings.remove(kNotBeforeKey);
        return Check::Accepted;
    }
    const int wrongTries = m_settings.value(kFailuresKey, 0).toInt() + 1;
    m_settings.setValue(kFailuresKey, wrongTries);
    const int wait = waitAfter(wrongTries);
    if (wait > 0) m_settings.setValue(kNotBeforeKey, now().addSecs(wait));
    m_settings.sync();
    if (waitSeconds) *waitSeconds = wait;
    return Check::Wrong;
}

void AdultLock::reset() {
    m_settings.remove(kHashKey);
    m_settings.remove(kFailuresKey);
    m_settings.remove(kNotBeforeKey);
    m_settings.sync();
}

}  // namespace storybrush
