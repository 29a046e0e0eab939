// The one argument parser of storybrush-cli and storybrush-train.
#include "app/cli/args.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

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
        throw UsageError{flag + " expects a number from " + shortest(min) + " to " + shortest(max) + ", got '" + text +
                         "'"};
    }
    return value;
}

NamedOptions::NamedOptions(int argc, char** argv, int first) {
    Args args(argc, argv, first);
    while (!args.done()) {
        std::string name = args.next();
        if (name.rfind("--", 0) != 0) throw UsageError{"unexpected argument '" + name + "' (options are --name value)"};
        name = name.substr(2);
        if (const auto equals = name.find('='); equals != std::string::npos) {
            m_values[name.substr(0, equals)] = name.substr(equals + 1);
        } else if (!args.done() && args.peek().rfind("--", 0) != 0) {
            m_values[name] = args.next();
        } else {
            m_values[name] = "1";
        }
    }
}

std::string NamedOptions::text(const std::string& name, const std::string& fallback) const {
    const auto it = m_values.find(name);
    return it == m_values.end() ? fallback : it->second;
}

std::string NamedOptions::required(const std::string& name) const {
    const auto it = m_values.find(name);
    if (it == m_values.end()) throw UsageError{"missing --" + name};
    return it->second;
}

double NamedOptions::number(const std::string& name, double fallback) const {
    if (!has(name)) return fallback;
    return parseDouble("--" + name, text(name), -std::numeric_limits<double>::max(),
                       std::numeric_limits<double>::max());
}

int NamedOptions::integer(const std::string& name, int fallback) const {
    if (!has(name)) return fallback;
    return parseInt("--" + name, text(name), std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
}

}  // namespace storybrush::cli
