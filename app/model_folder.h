// Finding the models a person already has: a folder of .safetensors files, or the model folder of ComfyUI
// (models/checkpoints, models/diffusers) or A1111 (models/Stable-diffusion), with diffusers folders among them.
#pragma once

#include <QtCore/QStringList>

namespace storybrush {

// Model files (.safetensors) and diffusers folders (with model_index.json), sorted by name. Looks in `folder`
// itself and, when present, its checkpoints folders (ComfyUI: models/checkpoints or checkpoints; A1111:
// models/Stable-diffusion), two levels down; LoRA, VAE and other add-on folders are not models and are skipped.
QStringList findModels(const QString& folder);

// Style add-ons (.safetensors) in the LoRA folders of the same layouts (models/loras, loras, models/Lora, Lora),
// sorted by name.
QStringList findLoras(const QString& folder);

}  // namespace storybrush
