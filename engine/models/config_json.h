// Reading the fields of a diffusers / transformers config.json with messages that name the file and field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace storybrush::models {

// Reads one config.json (or JSON text). Absent and null fields take the default the reference library
// uses, so a config written by any diffusers version reads the same; a field of the wrong type throws
// Error(ModelFile) naming the field and the file.
class JsonConfig {
public:
    static JsonConfig fromFile(const std::string& path);
    static JsonConfig fromText(const std::string& text, const std::string& source);
    static JsonConfig fromJson(const nlohmann::json& json, const std::string& source);

    const std::string& source() const { return m_source; }
    const nlohmann::json& raw() const { return m_json; }
    bool has(const std::string& field) const;     // present and not null
    bool isNull(const std::string& field) const;  // present and explicitly null

    std::int64_t integer(const std::string& field, std::int64_t fallback) const;
    std::int64_t requiredInteger(const std::string& field) const;
    double number(const std::string& field, double fallback) const;
    bool boolean(const std::string& field, bool fallback) const;
    std::string string(const std::string& field, const std::string& fallback) const;
    std::optional<std::string> optionalString(const std::string& field) const;
    std::vector<std::int64_t> integers(const std::string& field, const std::vector<std::int64_t>& fallback) const;
    std::vector<std::string> strings(const std::string& field, const std::vector<std::string>& fallback) const;
    // An int applied to every block, or a list with one entry per block (diffusers' convention for
    // attention_head_dim, transformer_layers_per_block, layers_per_block, ...).
    std::vector<std::int64_t> perBlock(const std::string& field, std::size_t blocks, std::int64_t fallback) const;
    std::vector<bool> perBlockBool(const std::string& field, std::size_t blocks, bool fallback) const;

    [[noreturn]] void fail(const std::string& field, const std::string& problem) const;

private:
    JsonConfig(nlohmann::json json, std::string source);
    const nlohmann::json* find(const std::string& field) const;

    nlohmann::json m_json;
    std::string m_source;
};

}  // namespace storybrush::models
