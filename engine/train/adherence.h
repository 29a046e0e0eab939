// Prompt adherence of a model, measured: a small classifier learns to tell the animals apart on fresh sticker
// compositions, then labels pictures the model drew for "a <animal> ..." prompts; the figure is how often the
// label is the animal the prompt asked for (top-1), beside chance.
#pragma once

#include "train/train_common.h"

namespace storybrush::train {

int measureAdherence(const Arguments& args);

// Colour adherence: for each thing that has stickers of a colour, pictures drawn for "a <colour> <thing> in the
// snow" / "雪地里的一<量词><颜色>的<thing>", judged by the colour most of the drawn thing is (as captions name
// stickers: dominantColours). Beside it, what a model that ignores the colour word would score: the share of the
// thing's stickers that have the colour asked for.
int measureColourAdherence(const Arguments& args);

}  // namespace storybrush::train
