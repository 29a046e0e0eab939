// Model descriptions, bringing models in, per-model defaults.
#include "app/model_catalog.h"

#include "app/model_folder.h"

#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "pipeline/loaded_model.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QDirIterator>
#include <QtCore/QFileInfo>
#include <QtCore/QSettings>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>

namespace storybrush {

namespace {

// The words this file shows, in their own translation context.
struct ModelCatalog {
    Q_DECLARE_TR_FUNCTIONS(storybrush::ModelCatalog)
};

QString familyWords(io::ModelFamily family) {
    switch (family) {
    case io::ModelFamily::SD1: return QStringLiteral("SD 1.x");
    case io::ModelFamily::SD2: return QStringLiteral("SD 2.x");
    case io::ModelFamily::SDXL: return QStringLiteral("SDXL");
    case io::ModelFamily::Builtin: return ModelCatalog::tr("Built-in");
    case io::ModelFamily::QwenImage: return QStringLiteral("Qwen-Image");
    case io::ModelFamily::Unknown: break;
    }
    return {};
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

// A LoRA names its weights lora_down/lora_up (kohya) or lora_A/lora_B (PEFT); a model never does.
bool isLoraFile(const QString& path) {
    const auto file = io::SafetensorsFile::open(QFile::encodeName(path).toStdString());
    for (const auto& info : file->tensors()) {
        for (const char* part : {".lora_down.", ".lora_up.", ".lora_A.", ".lora_B."}) {
            if (info.name.find(part) != std::string::npos) return true;
        }
    }
    return false;
}

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
    for (const QFileInfo& entry : QDir(from).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden)) {
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
    if (!io::builtinModelDir().empty()) models.append(QStringLiteral("builtin"));
    QStringList installed = findModels(QCoreApplication::applicationDirPath() + QStringLiteral("/../share/storybrush/models"));
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
    const QString onDisk = builtin ? QString::fromStdString(io::builtinModelDir()) : path;
    entry.name = builtin ? ModelCatalog::tr("Built-in model") : QFileInfo(QDir::cleanPath(path)).completeBaseName();
    if (QFileInfo(path).isDir()) entry.name = QFileInfo(QDir::cleanPath(path)).fileName();
    entry.bytes = bytesOf(onDisk);
    try {
        const auto summary = pipeline::checkModel(QFile::encodeName(onDisk).toStdString());
        entry.kind = familyWords(summary.family);
        entry.inpainting = summary.inpainting;
        entry.nativeSize = summary.nativeSize;
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
    if (io::isPicklePath(sourcePath)) {
        outcome.message = QString::fromStdString(io::pickleRefusal(sourcePath, "is a pickle file"));
        return outcome;
    }
    if (info.isDir() && !QFileInfo::exists(QDir(source).filePath(QStringLiteral("model_index.json")))) {
        outcome.message = ModelCatalog::tr("%1 is a folder but not a diffusers model (it has no model_index.json).").arg(name);
        return outcome;
    }
    if (!info.isDir() && info.suffix().compare(QStringLiteral("safetensors"), Qt::CaseInsensitive) != 0) {
        outcome.message = ModelCatalog::tr("%1 is not a .safetensors file. Storybrush brings in .safetensors models and LoRAs only.").arg(name);
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
        outcome.lora ? folderIn(modelsFolder, {QStringLiteral("models/loras"), QStringLiteral("models/Lora"), QStringLiteral("loras"),
                                               QStringLiteral("Lora")},
                                QStringLiteral("loras"))
                     : folderIn(modelsFolder, {QStringLiteral("models/checkpoints"), QStringLiteral("models/Stable-diffusion"),
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
        outcome.message = ModelCatalog::tr("%1 could not be copied into %2. Is the disk full?").arg(name, destinationFolder);
        return outcome;
    }
    try {
        if (outcome.lora) {
            io::SafetensorsFile::open(QFile::encodeName(staged).toStdString());
        } else {
            pipeline::checkModel(QFile::encodeName(staged).toStdString());
        }
    } catch (const std::exception& error) {
        outcome.message = ModelCatalog::tr("%1 was not brought in: %2").arg(name, QString::fromUtf8(error.what()).replace(staged, name));
        return outcome;
    }
    const QString destination = freeName(destinationFolder, info);
    if (!QDir().rename(staged, destination)) {
        outcome.message = ModelCatalog::tr("%1 could not be put into %2.").arg(name, destinationFolder);
        return outcome;
    }
    outcome.ok = true;
    outcome.path = destination;
    outcome.message = outcome.lora ? ModelCatalog::tr("%1 is in your style add-ons now.").arg(QFileInfo(destination).fileName())
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
    io::ModelFamily family = io::ModelFamily::Unknown;
    try {
        const bool builtin = modelPath == QStringLiteral("builtin");
        const std::string onDisk = builtin ? io::builtinModelDir() : QFile::encodeName(modelPath).toStdString();
        if (!onDisk.empty()) family = pipeline::checkModel(onDisk).family;
    } catch (const std::exception&) {
        // A model that does not load says why when it is used; here it gets the standard settings.
    }
    // Qwen-Image's own pipeline: true_cfg_scale 4 (it takes 50 steps; 30 keep a picture in reach of a child's wait).
    const bool qwen = family == io::ModelFamily::QwenImage;
    if (defaults.cfgScale <= 0) defaults.cfgScale = qwen ? 4.0 : standard.cfgScale;
    if (defaults.steps <= 0) defaults.steps = qwen ? 30 : standard.steps;
    defaults.ownSampler = qwen;
    return defaults;
}

}  // namespace storybrush
