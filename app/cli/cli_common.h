// Small helpers shared by storybrush-cli's sub-commands: exit codes (docs/cli.md), the device flag, the process's age.
#pragma once

#include "app/cli/args.h"

#include <storybrush/request.h>

#include <optional>
#include <string>
#include <vector>

namespace storybrush::cli {

enum ExitCode : int { kDone = 0, kFailed = 1, kBadUsage = 2, kBlocked = 3 };

// --device's value: auto, cpu or cuda.
DevicePreference parseDevice(const std::string& text);

// Seconds since the kernel started this process, loading the shared libraries included (libtorch's alone take a
// good part of a cold start); -1 where /proc cannot tell (10 ms resolution).
double secondsSinceProcessStart();

}  // namespace storybrush::cli
