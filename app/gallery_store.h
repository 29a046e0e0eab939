// Keeps every picture a person made: PNG files in the user's data folder, each carrying its generation
// parameters in the `parameters` text chunk exactly as A1111 writes it (so A1111's PNG Info reads ours), and an
// SQLite index (WAL) for listing and search. The PNGs are the truth: a lost or corrupt index is rebuilt from them.
#pragma once

#include <QtCore/QDateTime>
#include <QtCore/QList>
#include <QtCore/QSize>
#include <QtCore/QString>
#include <QtGui/QImage>

#include <optional>

namespace storybrush {

struct GalleryRecord {
    qint64 id = 0;
    QString file;  // path of the PNG
    QString prompt;
    QString negativePrompt;
    quint64 seed = 0;
    QSize size;
    QString model;
    int steps = 0;        // 0 when the text does not say
    double cfgScale = 0;  // 0 when the text does not say
    QString sampler;      // storybrush-cli's name ("dpmpp2m_karras"); empty when unknown
    QDateTime created;
    bool favourite = false;
    bool trashed = false;
};

// Thread contract: a GalleryStore is created, used and destroyed on one thread (the studio's GUI thread): its
// SQLite connection (named per store) belongs to the thread that opened it, as Qt SQL requires. Pictures and index
// rows are written on that thread, synchronously, inside add(); moving the PNG write to a worker means giving the
// worker its own store (its own connection), never sharing this one across threads.
class GalleryStore {
public:
    // `folder` holds pictures/ and gallery.sqlite; defaultFolder() is the user's data folder.
    explicit GalleryStore(QString folder);
    ~GalleryStore();
    GalleryStore(const GalleryStore&) = delete;
    GalleryStore& operator=(const GalleryStore&) = delete;

    static QString defaultFolder();

    // Creates what is missing; a missing, empty or corrupt index is (re)built from the PNG files (a corrupt one is
    // kept beside as gallery.sqlite.corrupt). False with a message when the folder cannot be used at all.
    bool open(QString* error = nullptr);

    // Writes the PNG atomically (a temporary file renamed into place), then the index row: nothing half-written is
    // ever listed. nullopt with a message (disk full, read-only folder); pictures already kept are untouched.
    std::optional<GalleryRecord> add(const QImage& picture, const QString& parameters, QString* error = nullptr);

    // Newest first; `search` matches the prompt (case-insensitive, any part).
    QList<GalleryRecord> list(const QString& search = {}, bool trashed = false) const;
    bool setFavourite(qint64 id, bool favourite);
    bool setFavourite(const QString& file, bool favourite);
    bool moveToTrash(qint64 id);
    bool moveToTrash(const QString& file);
    bool restore(qint64 id);
    bool restore(const QString& file);
    int emptyTrash();    // deletes the trashed pictures' files; returns how many
    int rebuildIndex();  // returns how many pictures were indexed

    // Prompt, negative prompt, seed, size and model read back from A1111 parameters text.
    static GalleryRecord parseParameters(const QString& parameters);

    QString picturesFolder() const;

private:
    bool exec(const QString& sql, const QVariantList& values = {}) const;
    std::optional<qint64> insertRecord(const GalleryRecord& record);
    bool openDatabase();

    QString m_folder;
    QString m_connection;
};

}  // namespace storybrush
