// The models-folder scan.
#include "app/model_folder.h"

#include <QtCore/QDir>
#include <QtCore/QDirIterator>
#include <QtCore/QFileInfo>
#include <QtCore/QSet>

#include <algorithm>

namespace storybrush {

namespace {

// Add-ons and parts kept in the same trees: never offered as a model to draw with.
bool isAddOnFolder(const QString& name) {
    static const QSet<QString> addOns = {
        QStringLiteral("loras"),         QStringLiteral("lora"),         QStringLiteral("vae"),
        QStringLiteral("embeddings"),    QStringLiteral("controlnet"),   QStringLiteral("upscale_models"),
        QStringLiteral("clip"),          QStringLiteral("clip_vision"),  QStringLiteral("unet"),
        QStringLiteral("text_encoders"), QStringLiteral("hypernetworks")};
    return addOns.contains(name.toLower());
}

void scan(const QDir& dir, int depth, QStringList& found, QSet<QString>& seen) {
    const QString canonical = QFileInfo(dir.absolutePath()).canonicalFilePath();
    if (canonical.isEmpty() || seen.contains(canonical)) return;
    seen.insert(canonical);
    if (dir.exists(QStringLiteral("model_index.json"))) {
        found.append(dir.absolutePath());  // a diffusers folder is one model
        return;
    }
    for (const QFileInfo& file : dir.entryInfoList({QStringLiteral("*.safetensors")}, QDir::Files | QDir::Readable)) {
        found.append(file.absoluteFilePath());
    }
    if (depth == 0) return;
    for (const QFileInfo& sub : dir.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::Readable)) {
        if (!isAddOnFolder(sub.fileName())) scan(QDir(sub.absoluteFilePath()), depth - 1, found, seen);
    }
}

}  // namespace

QStringList findModels(const QString& folder) {
    QStringList found;
    if (folder.isEmpty() || !QFileInfo(folder).isDir()) return found;
    const QDir root(folder);
    QSet<QString> seen;
    // The tools' own layouts first, so their models are found however deep the tool's folder is.
    for (const QString& layout : {QStringLiteral("models/checkpoints"), QStringLiteral("checkpoints"),
                                  QStringLiteral("models/diffusers"), QStringLiteral("models/Stable-diffusion")}) {
        if (root.exists(layout)) scan(QDir(root.filePath(layout)), 2, found, seen);
    }
    scan(root, 2, found, seen);
    std::sort(found.begin(), found.end(), [](const QString& a, const QString& b) {
        return QFileInfo(a).fileName().compare(QFileInfo(b).fileName(), Qt::CaseInsensitive) < 0;
    });
    found.removeDuplicates();
    return found;
}

QStringList findLoras(const QString& folder) {
    QStringList found;
    if (folder.isEmpty() || !QFileInfo(folder).isDir()) return found;
    const QDir root(folder);
    for (const QString& layout : {QStringLiteral("models/loras"), QStringLiteral("loras"),
                                  QStringLiteral("models/Lora"), QStringLiteral("Lora")}) {
        if (!root.exists(layout)) continue;
        QDirIterator files(root.filePath(layout), {QStringLiteral("*.safetensors")}, QDir::Files,
                           QDirIterator::Subdirectories);
        while (files.hasNext()) found.append(files.next());
    }
    found.removeDuplicates();
    std::sort(found.begin(), found.end(), [](const QString& a, const QString& b) {
        return QFileInfo(a).fileName().compare(QFileInfo(b).fileName(), Qt::CaseInsensitive) < 0;
    });
    return found;
}

}  // namespace storybrush
