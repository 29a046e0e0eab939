// What the model manager shows and does, on the app side: describing models (through the engine's load
// check, without loading them), bringing one in (copied into the models folder, checked, then put in place),
// and each model's own starting settings.
#pragma once

#include "ui/job.h"

#include <QtCore/QStringList>

class QSettings;

namespace storybrush {

// Every model the studio offers: the built-in one (when installed), those an installer brought along and
// those in `modelsFolder` (ComfyUI / A1111 layouts included).
QStringList offeredModels(const QString& modelsFolder);

// Family, size on disk, inpainting, native size, or why it cannot be used. "builtin" is the built-in model.
ModelEntry describeModel(const QString& path);

// Where brought-in models go when no models folder is set: the user's data folder.
QString defaultModelsFolder();

struct ImportOutcome {
    bool ok = false;
    bool lora = false;  // a style add-on: it went into the LoRA folder
    QString path;       // where it is now
    QString message;    // for the person: what happened, or why it was not brought in
};

// Thread contract: everything here is a plain function over files and the engine's checks, safe on any thread.
// The studio runs importModel on a worker thread (a copy of gigabytes and a load check take seconds) and hands the
// outcomes back to the GUI thread; describeModel and startingPoint read model headers and run on the GUI thread.

// Copies `source` (a .safetensors model or LoRA, or a diffusers folder) into `modelsFolder` (its checkpoints
// or LoRA folder in a ComfyUI/A1111 layout), checks that it loads, and only then puts it in place under a name
// not taken yet. A file that fails the check leaves nothing behind. Pickle files are refused with how to convert.
ImportOutcome importModel(const QString& source, const QString& modelsFolder);

// A model's own starting settings, kept by its file or folder name (so they follow it when it is moved).
ModelDefaults readModelDefaults(const QSettings& settings, const QString& modelPath);
void writeModelDefaults(QSettings& settings, const QString& modelPath, const ModelDefaults& defaults);
// What the panel starts from when the model is chosen: its own settings, and for guidance and steps not set
// there, its family's (Qwen-Image's true CFG wants 4, SD's 7.5), so no model inherits another's.
ModelDefaults startingPoint(const QSettings& settings, const QString& modelPath);

}  // namespace storybrush
