// The training stages of the built-in model, each a subcommand of storybrush-train (engine/train/README.md).
#pragma once

#include "train/train_common.h"

namespace storybrush::train {

// VAE: reconstruction (L1 + L2 + edge L1) with a tiny KL term, on composed pictures. Writes MODEL/vae/ and sets
// scaling_factor in MODEL/vae/config.json to 1/std of the latents, as SD's VAE does.
int trainVae(const Arguments& args);

// Text encoder + UNet together, epsilon prediction on SD's noise schedule, caption dropout for CFG, min-SNR
// weighting, EMA. Needs MODEL/vae/ and MODEL/tokenizer/. Writes MODEL/unet/ and MODEL/text_encoder/.
int trainDiffusion(const Arguments& args);

}  // namespace storybrush::train
