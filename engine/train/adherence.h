// Prompt adherence of a model, measured: a small classifier learns to tell the animals apart on fresh sticker
// compositions, then labels pictures the model drew for "a <animal> ..." prompts; the figure is how often the
// label is the animal the prompt asked for (top-1), beside chance.
#pragma once

#include "train/train_common.h"

namespace storybrush::train {

int measureAdherence(const Arguments& args);

}  // namespace storybrush::train
