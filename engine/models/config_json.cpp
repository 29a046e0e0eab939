// Reading the fields of a diffusers / transformers config.json with messages that name the file and field.
#include "models/config_json.h"

#include <storybrush/error.h>

#include <fstream>
#include <sstream>

namespace storybrush::models {

JsonConfig::JsonConfig(nlohmann::json json, std::string source) : m_json(std::move(json)), m_source(std::move(source)) {
    if (!m_json.is_object()) {
        throw Error(ErrorKind::ModelFile, m_source + " is not a JSON object; expected a model config.json");
    }
}

JsonConfig JsonConfig::fromFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::ModelFile, "cannot open " + path + "; the model folder is incomplete");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return fromText(text.str(), path);
}

JsonConfig JsonConfig::fromText(const std::string& text, const std::string& source) {
    auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
        throw Error(ErrorKind::ModelFile, source + " is not valid JSON; re-download the model's config.json");
    }
    return JsonConfig(std::move(json), source);
}

JsonConfig JsonConfig::fromJson(const nlohmann::json& json, const std::string& source) {
    return JsonConfig(json, source);
}

void JsonConfig::fail(const std::string& field, const std::string& problem) const {
    throw Error(ErrorKind::ModelFile, "field \"" + field + "\" in " + m_source + ": " + problem);
}

const nlohmann::json* JsonConfig::find(const std::string& field) const {
    const auto it = m_json.find(field);
    if (it == m_json.end() || it->is_null()) {
        return nullptr;
    }
    return &*it;
}

bool JsonConfig::has(const std::string& field) const { return find(field) != nullptr; }

bool JsonConfig::isNull(const std::string& field) const {
    const auto it = m_json.find(field);
    return it != m_json.end() && it->is_null();
}

std::int64_t JsonConfig::integer(const std::string& field, std::int64_t fallback) const {
    const auto* value = find(field);
    if (value == nullptr) {
        return fallback;
    }
    if (!value->is_number_integer()) {
        fail(field, "expected an integer, got " + value->dump());
    }
    return value->get<std::int64_t>();
}

std::int64_t JsonConfig::requiredInteger(const std::string& field) const {
    if (!has(field)) {
        fail(field, "missing; the config does not describe this model");
    }
    return integer(field, 0);
}

double JsonConfig::number(const std::string& field, double fallback) const {
    const auto* value = find(field);
    if (value == nullptr) {
        return fallback;
    }
    if (!value->is_number()) {
        fail(field, "expected a number, got " + value->dump());
    }
    return value->get<double>();
}

bool JsonConfig::boolean(const std::string& field, bool fallback) const {
    const auto* value = find(field);
    if (value == nullptr) {
        return fallback;
    }
    if (!value->is_boolean()) {
        fail(field, "expected true or false, got " + value->dump());
    }
    return value->get<bool>();
}

std::string JsonConfig::string(const std::string& field, const std::string& fallback) const {
    return optionalString(field).value_or(fallback);
}

std::optional<std::string> JsonConfig::optionalString(const std::string& field) const {
    const auto* value = find(field);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (!value->is_string()) {
        fail(field, "expected a string, got " + value->dump());
    }
    return value->get<std::string>();
}

std::vector<std::int64_t> JsonConfig::integers(const std::string& field,
                                               const std::vector<std::int64_t>& fallback) const {
    const auto* value = find(field);
    if (value == nullptr) {
        return fallback;
    }
    if (!value->is_array()) {
        fail(field, "expected a list of integers, got " + value->dump());
    }
    std::vector<std::int64_t> out;
    for (const auto& item : *value) {
        if (!item.is_number_integer()) {
            fail(field, "expected a list of integers, got " + value->dump());
        }
        out.push_back(item.get<std::int64_t>());
    }
    return out;
}

std::vector<std::string> JsonConfig::strings(const std::string& field, const std::vector<std::string>& fallback) const {
    const auto* value = find(field);
    if (value == nullptr) {
        return fallback;
    }
    if (!value->is_array()) {
        fail(field, "expected a list of strings, got " + value->dump());
    }
    std::vector<std::string> out;
    for (const auto& item : *value) {
        if (!item.is_string()) {
            fail(field, "expected a list of strings, got " + value->dump());
        }
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::vector<std::int64_t> JsonConfig::perBlock(const std::string& field, std::size_t blocks,
                                               std::int64_t fallback) const {
    const auto* value = find(field);
    if (value == nullptr) {
        return std::vector<std::int64_t>(blocks, fallback);
    }
    if (value->is_number_integer()) {
        return std::vector<std::int64_t>(blocks, value->get<std::int64_t>());
    }
    auto out = integers(field, {});
    if (out.size() != blocks) {
        fail(field,
             "has " + std::to_string(out.size()) + " entries, expected one per block (" + std::to_string(blocks) + ")");
    }
    return out;
}

std::vector<bool> JsonConfig::perBlockBool(const std::string& field, std::size_t blocks, bool fallback) const {
    const auto* value = find(field);
    if (value == nullptr) {
        return std::vector<bool>(blocks, fallback);
    }
    if (value->is_boolean()) {
        return std::vector<bool>(blocks, value->get<bool>());
    }
    if (!value->is_array() || value->size() != blocks) {
        fail(field, "expected true/false or a list of one per block (" + std::to_string(blocks) + ")");
    }
    std::vector<bool> out;
    for (const auto& item : *value) {
        if (!item.is_boolean()) {
            fail(field, "expected a list of true/false, got " + value->dump());
        }
        out.push_back(item.get<bool>());
    }
    return out;
}

}  // namespace storybrush::models
