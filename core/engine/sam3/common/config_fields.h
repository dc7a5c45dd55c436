#pragma once
// INTERNAL. Reading config.json fields with the errors samlabel gives for a bad
// checkpoint: "config.json: <field path>: <problem>". Shared by the tracker's
// and the detector's config parsers. No torch here.
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace samlabel::engine::sam3::config_fields {

[[noreturn]] inline void fail(const std::string& field, const std::string& problem) {
    throw std::invalid_argument("config.json: " + field + ": " + problem);
}

// The object at `key`, or an empty object when it is absent or null.
inline const nlohmann::json& child(const nlohmann::json& parent, const char* key) {
    static const nlohmann::json empty = nlohmann::json::object();
    if (!parent.is_object()) return empty;
    const auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return empty;
    return *it;
}

// obj[key] as T; `fallback` when absent or null; a clear error for a wrong type.
template <typename T>
T value(const nlohmann::json& obj, const char* key, T fallback, const std::string& path) {
    if (!obj.is_object()) return fallback;
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    try {
        return it->get<T>();
    } catch (const nlohmann::json::exception&) {
        fail(path + "." + key, "has the wrong type (" + std::string(it->type_name()) + ")");
    }
}

// transformers accepts an int or an [h, w] pair for sizes; samlabel needs square inputs.
inline int square_size(const nlohmann::json& obj, const char* key, int fallback, const std::string& path) {
    if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return fallback;
    const nlohmann::json& v = obj[key];
    if (v.is_number_integer()) return v.get<int>();
    if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[0] == v[1]) return v[0].get<int>();
    fail(path + "." + key, "must be an integer or a square [n, n] pair, got " + v.dump());
}

inline void require_positive(int v, const std::string& field) {
    if (v <= 0) fail(field, "must be positive, got " + std::to_string(v));
}

}  // namespace samlabel::engine::sam3::config_fields
