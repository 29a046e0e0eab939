// What the sub-commands share besides argument reading (args.cpp).
#include "app/cli/cli_common.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include <unistd.h>

namespace storybrush::cli {

DevicePreference parseDevice(const std::string& text) {
    if (text == "auto") return DevicePreference::Auto;
    if (text == "cpu") return DevicePreference::Cpu;
    if (text == "cuda") return DevicePreference::Cuda;
    throw UsageError{"--device expects auto, cpu or cuda, got '" + text + "'"};
}

double secondsSinceProcessStart() {
    // proc(5): field 22 of /proc/self/stat is the start time in clock ticks after boot; the command name before it
    // is in parentheses and may hold spaces, so the fields are counted from the last ')'.
    std::ifstream statFile("/proc/self/stat");
    std::ifstream uptimeFile("/proc/uptime");
    const std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
    double uptime = 0.0;
    const auto close = stat.rfind(')');
    if (!(uptimeFile >> uptime) || close == std::string::npos) return -1.0;
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i < 22) continue;
        const long ticksPerSecond = sysconf(_SC_CLK_TCK);
        if (ticksPerSecond <= 0) return -1.0;
        return uptime - std::strtod(field.c_str(), nullptr) / static_cast<double>(ticksPerSecond);
    }
    return -1.0;
}

}  // namespace storybrush::cli
