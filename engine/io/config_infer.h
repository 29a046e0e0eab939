// Configs for single-file checkpoints, read from the tensor shapes (diffusers config.json field names),
// with the family defaults for what shapes cannot tell (head counts, GroupNorm groups, sample sizes).
#pragma once

#include "io/checkpoint.h"

#include <nlohmann/json.hpp>

#include <cstdint>

namespace storybrush::io {

// Each returns null for an empty StateDict; throws Error(ModelFile) when a tensor the structure needs is absent.
// pooledTextDim: SDXL's pooled text embedding width (the second text encoder's projection), 0 if unknown.
nlohmann::json inferUnetConfig(const StateDict& unet, ModelFamily family, Prediction prediction,
                               std::int64_t pooledTextDim = 0);
nlohmann::json inferVaeConfig(const StateDict& vae, ModelFamily family, Prediction prediction);
// CLIP-L (SD 1.x, SDXL's first encoder) or OpenCLIP (SD 2.x; SDXL's second encoder, with its projection).
enum class TextTower { ClipL, OpenClip, OpenClipWithProjection };
nlohmann::json inferTextEncoderConfig(const StateDict& textEncoder, TextTower tower);
// The training schedule of SD 1.x / 2.x / SDXL (ref: the CompVis/Stability v1/v2 yaml: linear_start 0.00085,
// linear_end 0.012, 1000 timesteps) in the shape of diffusers' scheduler_config.json.
nlohmann::json defaultSchedulerConfig(ModelFamily family, Prediction prediction);

}  // namespace storybrush::io
