// Model descriptions, bringing models in, per-model defaults.
#include "app/model_catalog.h"

#include "app/model_folder.h"

#include <storybrush/models.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QDirIterator>
#include <QtCore/QFileInfo>
#include <QtCore/QSettings>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>

#include <optional>

namespace storybrush {

namespace {

// The words this file shows, in their own translation context.
struct ModelCatalog {
    Q_DECLARE_TR_FUNCTIONS(storybrush::ModelCatalog)
};

// The family's own name ("SD 1.x", "Qwen-Image"); only the built-in model's is a word to translate.
QString familyWords(const ModelDescription& model) {
    if (model.family == "builtin") return ModelCatalog::tr("Built-in");
    return QString::fromStdString(model.familyName);
}

qint64 bytesOf(const QString& path) {
    const QFileInfo info(path);
    if (!info.isDir()) return info.size();
    qint64 total = 0;
    QDirIterator files(path, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (files.hasNext()) {
        files.next();
        total += files.fileInfo().size();
    }
    return total;
}

bool isLoraFile(const QString& path) { return storybrush::isLoraFile(QFile::encodeName(path).toStdString()); }

// The first of `layouts` that exists under root, else root/fallback (created), else root itself.
QString folderIn(const QString& root, const QStringList& layouts, const QString& fallback) {
    const QDir dir(root);
    for (const QString& layout : layouts) {
        if (dir.exists(layout)) return dir.filePath(layout);
    }
    if (fallback.isEmpty()) return root;
    dir.mkpath(fallback);
    return dir.filePath(fallback);
}

bool copyTree(const QString& from, const QString& to) {
    if (!QFileInfo(from).isDir()) return QFile::copy(from, to);
    if (!QDir().mkpath(to)) return false;
    for (const QFileInfo& entry :
         QDir(from).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden)) {
        if (!copyTree(entry.absoluteFilePath(), QDir(to).filePath(entry.fileName()))) return false;
    }
    return true;
}

// "name.safetensors", then "name (2).safetensors", ... in `folder`.
QString freeName(const QString& folder, const QFileInfo& source) {
    const QDir dir(folder);
    const QString suffix = source.isDir() ? QString() : QStringLiteral(".") + source.suffix();
    const QString stem = source.isDir() ? source.fileName() : source.completeBaseName();
    QString name = stem + suffix;
    for (int n = 2; dir.exists(name); ++n) name = QStringLiteral("%1 (%2)%3").arg(stem).arg(n).arg(suffix);
    return dir.filePath(name);
}

QString defaultsKey(const QString& modelPath) {
    const QString name = modelPath == QStringLiteral("builtin") ? modelPath : QFileInfo(modelPath).fileName();
    return QStringLiteral("modelDefaults/") + QString::fromLatin1(name.toUtf8().toPercentEncoding());
}

}  // namespace

QStringList offeredModels(const QString& modelsFolder) {
    QStringList models;
    if (!builtinModelFolder().empty()) models.append(QStringLiteral("builtin"));
    QStringList installed =
        findModels(QCoreApplication::applicationDirPath() + QStringLiteral("/../share/storybrush/models"));
    installed.removeIf([](const QString& path) { return QFileInfo(path).fileName() == QStringLiteral("builtin"); });
    models += installed;
    models += findModels(modelsFolder);
    models.removeDuplicates();
    return models;
}

ModelEntry describeModel(const QString& path) {
    ModelEntry entry;
    entry.path = path;
    const bool builtin = path == QStringLiteral("builtin");
    const QString onDisk = builtin ? QString::fromStdString(builtinModelFolder()) : path;
    entry.name = builtin ? ModelCatalog::tr("Built-in model") : QFileInfo(QDir::cleanPath(path)).completeBaseName();
    if (QFileInfo(path).isDir()) entry.name = QFileInfo(QDir::cleanPath(path)).fileName();
    entry.bytes = bytesOf(onDisk);
    try {
        const ModelDescription model = storybrush::describeModel(QFile::encodeName(onDisk).toStdString());
        entry.kind = familyWords(model);
        entry.inpainting = model.inpainting;
        entry.nativeSize = model.nativeSize;
    } catch (const std::exception& error) {
        entry.problem = QString::fromUtf8(error.what());
    }
    return entry;
}

QString defaultModelsFolder() {
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath(QStringLiteral("models"));
}

ImportOutcome importModel(const QString& source, const QString& modelsFolder) {
    ImportOutcome outcome;
    const QFileInfo info(source);
    const QString name = info.fileName();
    const std::string sourcePath = QFile::encodeName(source).toStdString();
    if (!info.exists()) {
        outcome.message = ModelCatalog::tr("%1 was not found.").arg(source);
        return outcome;
    }
    if (isPickleFile(sourcePath)) {
        outcome.message = QString::fromStdString(pickleRefusal(sourcePath, "is a pickle file"));
        return outcome;
    }
    if (info.isDir() && !QFileInfo::exists(QDir(source).filePath(QStringLiteral("model_index.json")))) {
        outcome.message =
            ModelCatalog::tr("%1 is a folder but not a diffusers model (it has no model_index.json).").arg(name);
        return outcome;
    }
    if (!info.isDir() && info.suffix().compare(QStringLiteral("safetensors"), Qt::CaseInsensitive) != 0) {
        outcome.message =
            ModelCatalog::tr("%1 is not a .safetensors file. Storybrush brings in .safetensors models and LoRAs only.")
                .arg(name);
        return outcome;
    }
    try {
        outcome.lora = !info.isDir() && isLoraFile(source);
    } catch (const std::exception& error) {
        outcome.message = ModelCatalog::tr("%1 cannot be used: %2").arg(name, QString::fromUtf8(error.what()));
        return outcome;
    }

    if (!QDir().mkpath(modelsFolder)) {
        outcome.message = ModelCatalog::tr("The models folder %1 cannot be made.").arg(modelsFolder);
        return outcome;
    }
    const QString destinationFolder =
        outcome.lora ? folderIn(modelsFolder,
                                {QStringLiteral("models/loras"), QStringLiteral("models/Lora"), QStringLiteral("loras"),
                                 QStringLiteral("Lora")},
                                QStringLiteral("loras"))
                     : folderIn(modelsFolder,
                                {QStringLiteral("models/checkpoints"), QStringLiteral("models/Stable-diffusion"),
                                 QStringLiteral("checkpoints")},
                                QString());
    if (QFileInfo(info.absolutePath()) == QFileInfo(destinationFolder)) {
        outcome.ok = true;
        outcome.path = info.absoluteFilePath();
        outcome.message = ModelCatalog::tr("%1 is already in your models folder.").arg(name);
        return outcome;
    }

    // Copied next to its final place first (same disk, so the last step is a rename), checked there, then moved.
    QTemporaryDir staging(QDir(destinationFolder).filePath(QStringLiteral(".storybrush-import-XXXXXX")));
    if (!staging.isValid()) {
        outcome.message = ModelCatalog::tr("%1 cannot be written to: %2").arg(destinationFolder, staging.errorString());
        return outcome;
    }
    const QString staged = staging.filePath(name);
    if (!copyTree(source, staged)) {
        outcome.message =
            ModelCatalog::tr("%1 could not be copied into %2. Is the disk full?").arg(name, destinationFolder);
        return outcome;
    }
    try {
        if (outcome.lora) {
            (void)isLoraFile(staged);  // readable as safetensors, or it says why not
        } else {
            (void)storybrush::describeModel(QFile::encodeName(staged).toStdString());
        }
    } catch (const std::exception& error) {
        outcome.message = ModelCatalog::tr("%1 was not brought in: %2")
                              .arg(name, QString::fromUtf8(error.what()).replace(staged, name));
        return outcome;
    }
    const QString destination = freeName(destinationFolder, info);
    if (!QDir().rename(staged, destination)) {
        outcome.message = ModelCatalog::tr("%1 could not be put into %2.").arg(name, destinationFolder);
        return outcome;
    }
    outcome.ok = true;
    outcome.path = destination;
    outcome.message = outcome.lora
                          ? ModelCatalog::tr("%1 is in your style add-ons now.").arg(QFileInfo(destination).fileName())
                          : ModelCatalog::tr("%1 is in your models now.").arg(QFileInfo(destination).fileName());
    return outcome;
}

ModelDefaults readModelDefaults(const QSettings& settings, const QString& modelPath) {
    const QString key = defaultsKey(modelPath);
    ModelDefaults defaults;
    defaults.side = settings.value(key + QStringLiteral("/side"), 0).toInt();
    defaults.sampler = settings.value(key + QStringLiteral("/sampler")).toString();
    defaults.cfgScale = settings.value(key + QStringLiteral("/cfg"), 0.0).toDouble();
    defaults.steps = settings.value(key + QStringLiteral("/steps"), 0).toInt();
    return defaults;
}

void writeModelDefaults(QSettings& settings, const QString& modelPath, const ModelDefaults& defaults) {
    const QString key = defaultsKey(modelPath);
    settings.setValue(key + QStringLiteral("/side"), defaults.side);
    settings.setValue(key + QStringLiteral("/sampler"), defaults.sampler);
    settings.setValue(key + QStringLiteral("/cfg"), defaults.cfgScale);
    settings.setValue(key + QStringLiteral("/steps"), defaults.steps);
}

ModelDefaults startingPoint(const QSettings& settings, const QString& modelPath) {
    ModelDefaults defaults = readModelDefaults(settings, modelPath);
    const JobRequest standard;
    std::optional<ModelDescription> model;
    try {
        model = storybrush::describeModel(QFile::encodeName(modelPath).toStdString());
    } catch (const std::exception&) {
        // A model that does not load says why when it is used; here it gets the standard settings.
    }
    if (defaults.cfgScale <= 0) defaults.cfgScale = model ? model->defaultGuidance : standard.cfgScale;
    if (defaults.steps <= 0) defaults.steps = model ? model->defaultSteps : standard.steps;
    defaults.ownSampler = model && model->ownSampler;
    return defaults;
}

}  // namespace storybrush
