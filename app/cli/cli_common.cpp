// Argument reading shared by the sub-commands.
#include "app/cli/cli_common.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include <unistd.h>

namespace storybrush::cli {

Args::Args(int argc, char** argv, int first) {
    for (int i = first; i < argc; ++i) m_items.emplace_back(argv[i]);
}

std::string Args::next() { return m_items[m_index++]; }

std::optional<std::string> Args::value(const std::string& flag) {
    if (done()) return std::nullopt;
    const std::string& item = m_items[m_index];
    if (item == flag) {
        if (m_index + 1 >= m_items.size()) throw UsageError{flag + " needs a value"};
        m_index += 2;
        return m_items[m_index - 1];
    }
    if (item.size() > flag.size() && item.compare(0, flag.size(), flag) == 0 && item[flag.size()] == '=') {
        ++m_index;
        return item.substr(flag.size() + 1);
    }
    return std::nullopt;
}

bool Args::flag(const std::string& flag) {
    if (done() || m_items[m_index] != flag) return false;
    ++m_index;
    return true;
}

int parseInt(const std::string& flag, const std::string& text, int min, int max) {
    errno = 0;
    char* end = nullptr;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || value < min || value > max) {
        throw UsageError{flag + " expects a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                         ", got '" + text + "'"};
    }
    return static_cast<int>(value);
}

double parseDouble(const std::string& flag, const std::string& text, double min, double max) {
    errno = 0;
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || errno != 0 || !std::isfinite(value) || value < min || value > max) {
        const auto shortest = [](double x) {  // 0 and 50, not 0.000000 and 50.000000
            std::ostringstream out;
            out << x;
            return out.str();
        };
        throw UsageError{flag + " expects a number from " + shortest(min) + " to " + shortest(max) + ", got '" + text + "'"};
    }
    return value;
}

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
