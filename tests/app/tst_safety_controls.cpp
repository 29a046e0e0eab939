// The grown-ups' side of kid mode: the PIN (Argon2id hash, wrong tries wait longer, reset), the header badge that
// turns kid mode off only with the PIN and back on at once, and the held-back log (categories only).
#include "app/adult_lock.h"
#include "app/engine_worker.h"
#include "app/safety_log.h"
#include "app/studio/studio.h"
#include "ui/main_window.h"
#include "ui/pin_dialog.h"
#include "ui/safety_log_dialog.h"
#include "ui/theme.h"

#include "common/fixtures.h"
#include "fake_backend.h"

#include <QtCore/QSettings>
#include <QtCore/QTemporaryDir>
#include <QtCore/QTimer>
#include <QtGui/QAction>
#include <QtTest/QtTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QMenu>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QToolButton>

using namespace storybrush;

namespace {
// Answers the next PIN dialog that opens: types `pin` (twice when choosing), then OK; or cancels.
void answerPinDialog(const QString& pin, bool cancel = false, QString* problemSeen = nullptr) {
    QTimer::singleShot(0, [pin, cancel, problemSeen] {
        auto* dialog = qobject_cast<PinDialog*>(QApplication::activeModalWidget());
        if (!dialog) return;
        if (problemSeen) *problemSeen = dialog->findChild<QLabel*>(QStringLiteral("pinProblem"))->text();
        if (cancel) {
            dialog->reject();
            return;
        }
        dialog->findChild<QLineEdit*>(QStringLiteral("pinEdit"))->setText(pin);
        if (auto* repeat = dialog->findChild<QLineEdit*>(QStringLiteral("pinRepeat"))) repeat->setText(pin);
        dialog->tryAccept();
    });
}
}  // namespace

class TestSafetyControls : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { applyTheme(*qApp); }

    void pinIsHashedCheckedAndWrongTriesWait() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
        AdultLock lock(settings);
        QVERIFY(!lock.hasPin());
        QVERIFY(!lock.setPin(QStringLiteral("12")));    // too short
        QVERIFY(!lock.setPin(QStringLiteral("12ab")));  // digits only
        QVERIFY(lock.setPin(QStringLiteral("2468")));
        QVERIFY(lock.hasPin());
        const QString stored = settings.value(QStringLiteral("safety/pinHash")).toString();
        QVERIFY(stored.startsWith(QStringLiteral("$argon2id$")));
        QVERIFY(!stored.contains(QStringLiteral("2468")));

        QDateTime clock = QDateTime::currentDateTimeUtc();
        lock.setClockForTests(clock);
        QCOMPARE(lock.check(QStringLiteral("2468")), AdultLock::Check::Accepted);
        int wait = -1;
        QCOMPARE(lock.check(QStringLiteral("1111"), &wait), AdultLock::Check::Wrong);
        QCOMPARE(wait, 0);
        QCOMPARE(lock.check(QStringLiteral("2222"), &wait), AdultLock::Check::Wrong);
        QCOMPARE(lock.check(QStringLiteral("3333"), &wait), AdultLock::Check::Wrong);
        QCOMPARE(wait, 30);  // the third wrong try starts the waiting
        // During the wait even the right PIN is not heard.
        QCOMPARE(lock.check(QStringLiteral("2468"), &wait), AdultLock::Check::WaitFirst);
        lock.setClockForTests(clock.addSecs(31));
        QCOMPARE(lock.check(QStringLiteral("4444"), &wait), AdultLock::Check::Wrong);
        QCOMPARE(wait, 60);  // and it doubles
        lock.setClockForTests(clock.addSecs(31 + 61));
        QCOMPARE(lock.check(QStringLiteral("2468")), AdultLock::Check::Accepted);
        QCOMPARE(lock.secondsUntilNextTry(), 0);
        // The waiting survives a restart: it is in the settings, not in memory.
        QCOMPARE(lock.check(QStringLiteral("0"), &wait), AdultLock::Check::Wrong);
        lock.check(QStringLiteral("0"));
        lock.check(QStringLiteral("0"));
        AdultLock restarted(settings);
        restarted.setClockForTests(clock.addSecs(31 + 61 + 1));
        QVERIFY(restarted.secondsUntilNextTry() > 0);
        // A forgotten PIN is reset (storybrush --reset-pin): none is set, the count is gone.
        restarted.reset();
        QVERIFY(!restarted.hasPin());
        QCOMPARE(restarted.secondsUntilNextTry(), 0);
    }

    void badgeNeedsThePinToTurnKidModeOff() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
        AdultLock lock(settings);
        SafetyLog log(dir.filePath(QStringLiteral("held-back.log")));
        test::FakeBackendState state;
        EngineWorker worker(std::make_unique<test::FakeBackend>(state, std::chrono::milliseconds(1)));
        MainWindow window;
        connectSafety(window, worker, lock, log);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* badge = window.findChild<QToolButton*>(QStringLiteral("kidBadge"));
        QVERIFY(window.isKidMode());

        // The first time, a PIN is chosen, and kid mode goes off.
        answerPinDialog(QStringLiteral("13579"));
        badge->click();
        QVERIFY(!window.isKidMode());
        QVERIFY(lock.hasPin());
        QCOMPARE(badge->text(), QStringLiteral("Kid mode off"));
        // Back on at once, no PIN.
        badge->click();
        QVERIFY(window.isKidMode());
        // A wrong PIN keeps it on (the dialog says so; then the child gives up).
        QString problem;
        QTimer::singleShot(0, [&problem] {
            auto* dialog = qobject_cast<PinDialog*>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            dialog->findChild<QLineEdit*>(QStringLiteral("pinEdit"))->setText(QStringLiteral("00000"));
            dialog->tryAccept();
            QTimer::singleShot(50, [&problem] {  // the dialog is asked again, saying why
                if (auto* again = qobject_cast<PinDialog*>(QApplication::activeModalWidget())) {
                    problem = again->findChild<QLabel*>(QStringLiteral("pinProblem"))->text();
                    again->reject();
                }
            });
        });
        badge->click();
        QVERIFY(window.isKidMode());
        QVERIFY2(problem.contains(QStringLiteral("not the PIN")), qPrintable(problem));
        // The right one turns it off.
        answerPinDialog(QStringLiteral("13579"));
        badge->click();
        QVERIFY(!window.isKidMode());
        // In kid mode, bringing in a model file asks for the PIN too (here the child gives up: no file dialog).
        badge->click();
        QVERIFY(window.isKidMode());
        bool asked = false;
        QTimer::singleShot(0, [&asked] {
            if (auto* dialog = qobject_cast<PinDialog*>(QApplication::activeModalWidget()))
                asked = true, dialog->reject();
        });
        auto* modelButton = window.findChild<QToolButton*>(QStringLiteral("modelLabel"));
        const auto action = [modelButton](const QString& text) -> QAction* {
            for (QAction* candidate : modelButton->menu()->actions())
                if (candidate->text() == text) return candidate;
            return nullptr;
        };
        QVERIFY(action(QStringLiteral("Choose a model file…")));
        action(QStringLiteral("Choose a model file…"))->trigger();
        QVERIFY(asked);
        // The model manager too: no PIN, no manager.
        asked = false;
        bool managerOpened = false;
        connect(&window, &MainWindow::manageModelsRequested, this, [&managerOpened] { managerOpened = true; });
        QTimer::singleShot(0, [&asked] {
            if (auto* dialog = qobject_cast<PinDialog*>(QApplication::activeModalWidget()))
                asked = true, dialog->reject();
        });
        QVERIFY(action(QStringLiteral("Manage models…")));
        action(QStringLiteral("Manage models…"))->trigger();
        QVERIFY(asked);
        QVERIFY(!managerOpened);
    }

    void heldBackLogKeepsCategoriesOnly() {
        QTemporaryDir dir;
        SafetyLog log(dir.filePath(QStringLiteral("held-back.log")));
        QVERIFY(log.entries().isEmpty());
        QVERIFY(log.append({QDateTime::currentDateTimeUtc(), QStringLiteral("prompt"), QStringLiteral("violence")}));
        QVERIFY(log.append({QDateTime::currentDateTimeUtc(), QStringLiteral("picture"), QString()}));
        const auto entries = log.entries();
        QCOMPARE(entries.size(), 2);
        QCOMPARE(entries.at(0).category, QStringLiteral("violence"));
        QCOMPARE(entries.at(1).kind, QStringLiteral("picture"));
        QFile file(log.file());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(!file.readAll().contains("gun"));  // nothing but time, kind and category is written

        SafetyLogDialog dialog({QStringLiteral("a"), QStringLiteral("b")});
        QSignalSpy cleared(&dialog, &SafetyLogDialog::clearRequested);
        dialog.show();
        QCOMPARE(dialog.lineCount(), 2);
        dialog.findChild<QPushButton*>(QStringLiteral("clearLogButton"))->click();
        QCOMPARE(cleared.count(), 1);
        QVERIFY(log.clear());
        QVERIFY(log.entries().isEmpty());
    }
};

QTEST_MAIN(TestSafetyControls)
#include "tst_safety_controls.moc"
