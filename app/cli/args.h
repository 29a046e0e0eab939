// Reading command-line arguments: one parser for storybrush-cli's sub-commands and the trainer (storybrush-train).
// Flags take their value as the next argument or after '=' (--steps 20, --steps=20).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace storybrush::cli {

// Thrown for bad usage; the program prints the message and a --help hint, and exits 2.
struct UsageError {
    std::string message;
};

// Walks argv from `first` on, flag by flag, for commands that read their flags in turn.
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

// Every "--name value" (or --name=value; a flag followed by another flag or nothing reads "1"), looked up by name:
// for tools whose options come in any order (the trainer). A word that is not a flag is bad usage.
class NamedOptions {
public:
    NamedOptions(int argc, char** argv, int first);
    bool has(const std::string& name) const { return m_values.count(name) > 0; }
    std::string text(const std::string& name, const std::string& fallback = "") const;
    std::string required(const std::string& name) const;  // UsageError naming --name when absent
    double number(const std::string& name, double fallback) const;
    int integer(const std::string& name, int fallback) const;

private:
    std::map<std::string, std::string> m_values;
};

}  // namespace storybrush::cli
