// Configs for single-file checkpoints, read from the tensor shapes (diffusers config.json field names),
// with the family defaults for what shapes cannot tell (head counts, GroupNorm groups, sample sizes).
#pragma once

#include "io/checkpoint.h"

#include <nlohmann/json.hpp>

namespace storybrush::io {

// Each returns null for an empty StateDict; throws Error(ModelFile) when a tensor the structure needs is absent.
nlohmann::json inferUnetConfig(const StateDict& unet, ModelFamily family, Prediction prediction);
nlohmann::json inferVaeConfig(const StateDict& vae, ModelFamily family, Prediction prediction);
nlohmann::json inferTextEncoderConfig(const StateDict& textEncoder, ModelFamily family);
// The training schedule of SD 1.x / 2.x (ref: the CompVis/Stability v1/v2 yaml: linear_start 0.00085,
// linear_end 0.012, 1000 timesteps) in the shape of diffusers' scheduler_config.json.
nlohmann::json defaultSchedulerConfig(ModelFamily family, Prediction prediction);

}  // namespace storybrush::io
