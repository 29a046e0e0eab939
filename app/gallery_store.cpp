// GalleryStore (see gallery_store.h). Qt SQL with the QSQLITE driver; PNG text through QImageWriter/QImageReader.
#include "app/gallery_store.h"

#include <storybrush/image_io.h>
#include <storybrush/parameters.h>

#include "app/image_convert.h"

#include <QtCore/QDir>
#include <QtCore/QFileInfo>
#include <QtCore/QRegularExpression>
#include <QtCore/QStandardPaths>
#include <QtCore/QUuid>
#include <QtGui/QImageReader>
#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlError>
#include <QtSql/QSqlQuery>

namespace storybrush {
namespace {

const QString kParametersKey = QStringLiteral("parameters");

GalleryRecord recordFromQuery(const QSqlQuery& query) {
    GalleryRecord record;
    record.id = query.value(0).toLongLong();
    record.file = query.value(1).toString();
    record.prompt = query.value(2).toString();
    record.negativePrompt = query.value(3).toString();
    record.seed = query.value(4).toULongLong();
    record.size = QSize(query.value(5).toInt(), query.value(6).toInt());
    record.model = query.value(7).toString();
    record.created = QDateTime::fromMSecsSinceEpoch(query.value(8).toLongLong());
    record.favourite = query.value(9).toBool();
    record.trashed = query.value(10).toBool();
    return record;
}

const char* kColumns = "id, file, prompt, negative, seed, width, height, model, created, favourite, trashed";

}  // namespace

GalleryStore::GalleryStore(QString folder)
    : m_folder(std::move(folder)), m_connection(QStringLiteral("gallery-") + QUuid::createUuid().toString()) {}

GalleryStore::~GalleryStore() {
    if (QSqlDatabase::contains(m_connection)) {
        QSqlDatabase::database(m_connection, false).close();
        QSqlDatabase::removeDatabase(m_connection);
    }
}

QString GalleryStore::defaultFolder() { return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation); }

QString GalleryStore::picturesFolder() const { return m_folder + QStringLiteral("/pictures"); }

bool GalleryStore::exec(const QString& sql, const QVariantList& values) const {
    QSqlQuery query(QSqlDatabase::database(m_connection));
    if (!query.prepare(sql)) return false;
    for (const auto& value : values) query.addBindValue(value);
    return query.exec();
}

bool GalleryStore::openDatabase() {
    auto db = QSqlDatabase::contains(m_connection) ? QSqlDatabase::database(m_connection, false)
                                                   : QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    db.setDatabaseName(m_folder + QStringLiteral("/gallery.sqlite"));
    if (!db.open()) return false;
    QSqlQuery check(db);
    if (!check.exec(QStringLiteral("PRAGMA quick_check")) || !check.next() ||
        check.value(0).toString() != QStringLiteral("ok"))
        return false;
    exec(QStringLiteral("PRAGMA journal_mode=WAL"));
    return exec(
        QStringLiteral("CREATE TABLE IF NOT EXISTS pictures (id INTEGER PRIMARY KEY, file TEXT UNIQUE NOT NULL, "
                       "prompt TEXT, negative TEXT, seed INTEGER, width INTEGER, height INTEGER, model TEXT, "
                       "created INTEGER, favourite INTEGER DEFAULT 0, trashed INTEGER DEFAULT 0)"));
}

bool GalleryStore::open(QString* error) {
    if (!QDir().mkpath(picturesFolder())) {
        if (error) *error = QStringLiteral("Cannot create the picture folder %1").arg(picturesFolder());
        return false;
    }
    if (!openDatabase()) {
        // Corrupt or unreadable: keep it aside for whoever wants to look, then start a new index from the PNGs.
        QSqlDatabase::database(m_connection, false).close();
        const QString path = m_folder + QStringLiteral("/gallery.sqlite");
        QFile::remove(path + QStringLiteral(".corrupt"));
        QFile::rename(path, path + QStringLiteral(".corrupt"));
        QFile::remove(path + QStringLiteral("-wal"));
        QFile::remove(path + QStringLiteral("-shm"));
        if (!openDatabase()) {
            if (error) *error = QStringLiteral("Cannot open the picture index in %1").arg(m_folder);
            return false;
        }
    }
    QSqlQuery count(QSqlDatabase::database(m_connection));
    if (count.exec(QStringLiteral("SELECT COUNT(*) FROM pictures")) && count.next() && count.value(0).toInt() == 0) {
        rebuildIndex();
    }
    return true;
}

std::optional<qint64> GalleryStore::insertRecord(const GalleryRecord& record) {
    QSqlQuery query(QSqlDatabase::database(m_connection));
    query.prepare(
        QStringLiteral("INSERT OR REPLACE INTO pictures (file, prompt, negative, seed, width, height, model, created, "
                       "favourite, trashed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const QVariant& value : QVariantList{
             record.file, record.prompt, record.negativePrompt,
             QVariant::fromValue<qint64>(static_cast<qint64>(record.seed)), record.size.width(), record.size.height(),
             record.model, record.created.toMSecsSinceEpoch(), record.favourite ? 1 : 0, record.trashed ? 1 : 0}) {
        query.addBindValue(value);
    }
    if (!query.exec()) return std::nullopt;
    return query.lastInsertId().toLongLong();
}

std::optional<GalleryRecord> GalleryStore::add(const QImage& picture, const QString& parameters, QString* error) {
    GalleryRecord record = parseParameters(parameters);
    record.created = QDateTime::currentDateTime();
    record.size = picture.size();
    const QString name = record.created.toString(QStringLiteral("yyyyMMdd-HHmmss-zzz")) + QLatin1Char('-') +
                         QString::number(record.seed) + QStringLiteral(".png");
    record.file = picturesFolder() + QLatin1Char('/') + name;

    // libpng rather than QImageWriter: Qt folds the newlines of text chunks on reading, and A1111's format needs
    // them. writePng writes NAME.part and renames it into place.
    try {
        writePngFile(QFile::encodeName(record.file).toStdString(), toEngineImage(picture),
                     {{kParametersKey.toStdString(), parameters.toStdString()}});
    } catch (const std::exception& failure) {
        if (error) {
            *error = QStringLiteral("Could not save the picture in %1 (%2). Is the disk full or the folder read-only?")
                         .arg(picturesFolder(), QString::fromUtf8(failure.what()));
        }
        return std::nullopt;
    }
    const auto id = insertRecord(record);
    if (!id) {
        // The PNG is kept: the next rebuild of the index lists it.
        if (error)
            *error = QStringLiteral("The picture was saved as %1 but the index could not be updated").arg(record.file);
        return std::nullopt;
    }
    record.id = *id;
    return record;
}

QList<GalleryRecord> GalleryStore::list(const QString& search, bool trashed) const {
    QSqlQuery query(QSqlDatabase::database(m_connection));
    query.prepare(QStringLiteral("SELECT %1 FROM pictures WHERE trashed = ? AND prompt LIKE ? ESCAPE '\\' "
                                 "ORDER BY created DESC, id DESC")
                      .arg(QLatin1String(kColumns)));
    QString pattern = search;
    pattern.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
        .replace(QLatin1Char('%'), QStringLiteral("\\%"))
        .replace(QLatin1Char('_'), QStringLiteral("\\_"));
    query.addBindValue(trashed ? 1 : 0);
    query.addBindValue(QString(QLatin1Char('%') + pattern + QLatin1Char('%')));
    QList<GalleryRecord> records;
    if (!query.exec()) return records;
    while (query.next()) records.append(recordFromQuery(query));
    return records;
}

bool GalleryStore::setFavourite(qint64 id, bool favourite) {
    return exec(QStringLiteral("UPDATE pictures SET favourite = ? WHERE id = ?"), {favourite ? 1 : 0, id});
}

bool GalleryStore::setFavourite(const QString& file, bool favourite) {
    return exec(QStringLiteral("UPDATE pictures SET favourite = ? WHERE file = ?"), {favourite ? 1 : 0, file});
}

bool GalleryStore::moveToTrash(qint64 id) {
    return exec(QStringLiteral("UPDATE pictures SET trashed = 1 WHERE id = ?"), {id});
}

bool GalleryStore::moveToTrash(const QString& file) {
    return exec(QStringLiteral("UPDATE pictures SET trashed = 1 WHERE file = ?"), {file});
}

bool GalleryStore::restore(qint64 id) {
    return exec(QStringLiteral("UPDATE pictures SET trashed = 0 WHERE id = ?"), {id});
}

bool GalleryStore::restore(const QString& file) {
    return exec(QStringLiteral("UPDATE pictures SET trashed = 0 WHERE file = ?"), {file});
}

int GalleryStore::emptyTrash() {
    int removed = 0;
    for (const auto& record : list({}, true)) {
        if (QFile::exists(record.file) && !QFile::remove(record.file)) continue;  // kept listed: nothing lost silently
        if (exec(QStringLiteral("DELETE FROM pictures WHERE id = ?"), {record.id})) ++removed;
    }
    return removed;
}

int GalleryStore::rebuildIndex() {
    int indexed = 0;
    const QDir dir(picturesFolder());
    for (const QFileInfo& info : dir.entryInfoList({QStringLiteral("*.png")}, QDir::Files, QDir::Name)) {
        QString parameters;
        try {
            const auto texts = readPngTextChunks(QFile::encodeName(info.absoluteFilePath()).toStdString());
            const auto found = texts.find(kParametersKey.toStdString());
            if (found != texts.end()) parameters = QString::fromStdString(found->second);
        } catch (const std::exception&) {
            continue;  // not a readable PNG: not one of ours
        }
        GalleryRecord record = parseParameters(parameters);
        record.file = info.absoluteFilePath();
        record.size = QImageReader(info.absoluteFilePath()).size();
        record.created = info.lastModified();
        if (insertRecord(record)) ++indexed;
    }
    return indexed;
}

GalleryRecord GalleryStore::parseParameters(const QString& parameters) {
    // ref: A1111 modules/infotext_utils.parse_generation_parameters: prompt lines, then "Negative prompt: ...",
    // then the last line of "Key: value" pairs.
    GalleryRecord record;
    QStringList lines = parameters.split(QLatin1Char('\n'));
    QString settings;
    if (!lines.isEmpty() && lines.last().startsWith(QStringLiteral("Steps: "))) settings = lines.takeLast();
    QStringList prompt, negative;
    bool inNegative = false;
    for (const QString& line : lines) {
        if (line.startsWith(QStringLiteral("Negative prompt: "))) {
            inNegative = true;
            negative.append(line.mid(17));
        } else {
            (inNegative ? negative : prompt).append(line);
        }
    }
    record.prompt = prompt.join(QLatin1Char('\n')).trimmed();
    record.negativePrompt = negative.join(QLatin1Char('\n')).trimmed();
    static const QRegularExpression seed(QStringLiteral("(?:^|, )Seed: (\\d+)"));
    static const QRegularExpression size(QStringLiteral("(?:^|, )Size: (\\d+)x(\\d+)"));
    static const QRegularExpression model(QStringLiteral("(?:^|, )Model: ([^,]*)"));
    if (const auto m = seed.match(settings); m.hasMatch()) record.seed = m.captured(1).toULongLong();
    if (const auto m = size.match(settings); m.hasMatch())
        record.size = QSize(m.captured(1).toInt(), m.captured(2).toInt());
    if (const auto m = model.match(settings); m.hasMatch()) record.model = m.captured(1).trimmed();
    static const QRegularExpression steps(QStringLiteral("(?:^|, )Steps: (\\d+)"));
    static const QRegularExpression cfg(QStringLiteral("(?:^|, )CFG scale: ([0-9.]+)"));
    static const QRegularExpression sampler(QStringLiteral("(?:^|, )Sampler: ([^,]*)"));
    if (const auto m = steps.match(settings); m.hasMatch()) record.steps = m.captured(1).toInt();
    if (const auto m = cfg.match(settings); m.hasMatch()) record.cfgScale = m.captured(1).toDouble();
    if (const auto m = sampler.match(settings); m.hasMatch()) {
        // A1111's sampler names, as the engine writes them, back to ours.
        const std::string name = m.captured(1).trimmed().toStdString();
        for (const Sampler candidate : allSamplers()) {
            if (a1111SamplerName(candidate) == name) record.sampler = QString::fromUtf8(samplerName(candidate).data());
        }
    }
    return record;
}

}  // namespace storybrush
