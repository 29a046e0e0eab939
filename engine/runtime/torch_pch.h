// Precompiled header for engine parts that use libtorch (see storybrush_engine_part in engine/CMakeLists.txt).
#pragma once
#include <torch/torch.h>
