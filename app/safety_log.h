// The grown-ups' log of what the kid-safe checks held back: when, prompt or picture, and the category. No
// pictures and no prompt text are stored (only the category), so the log itself is safe to open.
#pragma once

#include <QtCore/QDateTime>
#include <QtCore/QList>
#include <QtCore/QString>

namespace storybrush {

struct SafetyLogEntry {
    QDateTime when;
    QString kind;      // "prompt" or "picture"
    QString category;  // "sexual", "violence", ... (storybrush-cli's spelling)
};

class SafetyLog {
public:
    explicit SafetyLog(QString file);  // JSON lines, appended
    static QString defaultFile();      // in the app's data folder

    bool append(const SafetyLogEntry& entry);
    QList<SafetyLogEntry> entries() const;  // oldest first; unreadable lines are skipped
    bool clear();
    QString file() const { return m_file; }

private:
    QString m_file;
};

}  // namespace storybrush
