// The held-back log as JSON lines.
#include "app/safety_log.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QStandardPaths>

namespace storybrush {

SafetyLog::SafetyLog(QString file) : m_file(std::move(file)) {}

QString SafetyLog::defaultFile() {
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/held-back.log");
}

bool SafetyLog::append(const SafetyLogEntry& entry) {
    QDir().mkpath(QFileInfo(m_file).absolutePath());
    QFile file(m_file);
    if (!file.open(QIODevice::Append | QIODevice::Text)) return false;
    const QJsonObject line{{QStringLiteral("time"), entry.when.toUTC().toString(Qt::ISODate)},
                           {QStringLiteral("kind"), entry.kind},
                           {QStringLiteral("category"), entry.category}};
    return file.write(QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n') > 0;
}

QList<SafetyLogEntry> SafetyLog::entries() const {
    QList<SafetyLogEntry> out;
    QFile file(m_file);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return out;
    while (!file.atEnd()) {
        const QJsonObject line = QJsonDocument::fromJson(file.readLine()).object();
        if (line.isEmpty()) continue;
        out.append({QDateTime::fromString(line.value(QStringLiteral("time")).toString(), Qt::ISODate),
                    line.value(QStringLiteral("kind")).toString(), line.value(QStringLiteral("category")).toString()});
    }
    return out;
}

bool SafetyLog::clear() { return !QFile::exists(m_file) || QFile::remove(m_file); }

}  // namespace storybrush
