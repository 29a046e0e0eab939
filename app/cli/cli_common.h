// Small helpers shared by storybrush-cli's sub-commands: exit codes (CLI.md) and argument reading.
#pragma once

#include <storybrush/request.h>

#include <optional>
#include <string>
#include <vector>

namespace storybrush::cli {

enum ExitCode : int { kDone = 0, kFailed = 1, kBadUsage = 2, kBlocked = 3 };

// Thrown for bad usage; main prints the message and the sub-command's --help hint, exits 2.
struct UsageError {
    std::string message;
};

// Walks argv after the sub-command. Flags take their value as the next argument or after '='.
class Args {
public:
    Args(int argc, char** argv, int first);
    bool done() const { return m_index >= m_items.size(); }
    const std::string& peek() const { return m_items[m_index]; }
    std::string next();
    // When the current item is the flag (or --flag=value), consumes it and returns its value.
    std::optional<std::string> value(const std::string& flag);
    bool flag(const std::string& flag);

private:
    std::vector<std::string> m_items;
    std::size_t m_index = 0;
};

int parseInt(const std::string& flag, const std::string& text, int min, int max);
double parseDouble(const std::string& flag, const std::string& text, double min, double max);
// --device's value: auto, cpu or cuda.
DevicePreference parseDevice(const std::string& text);

// Seconds since the kernel started this process, loading the shared libraries included (libtorch's alone take a
// good part of a cold start); -1 where /proc cannot tell (10 ms resolution).
double secondsSinceProcessStart();

}  // namespace storybrush::cli
