#include "core/autolabel/autolabel_recipe.h"

#include "core/io/dataset_split.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <set>

namespace samlabel::autolabel {

using nlohmann::json;

namespace {

std::string hex64(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

[[noreturn]] void bad(const std::string& where, const std::string& field, const std::string& problem) {
    throw std::invalid_argument(where + ": " + field + ": " + problem);
}

const json& member(const json& j, const char* key, const std::string& where, const std::string& path) {
    const auto it = j.find(key);
    if (it == j.end()) bad(where, path, std::string("missing \"") + key + "\"");
    return *it;
}

std::string string_at(const json& j, const char* key, const std::string& where, const std::string& path) {
    const json& v = member(j, key, where, path);
    if (!v.is_string()) bad(where, path + "." + key, "expected a string");
    return v.get<std::string>();
}

float fraction_at(const json& j, const char* key, const std::string& where, const std::string& path) {
    const json& v = member(j, key, where, path);
    if (!v.is_number()) bad(where, path + "." + key, "expected a number");
    const double x = v.get<double>();
    if (!(x >= 0.0 && x <= 1.0)) bad(where, path + "." + key, std::to_string(x) + " is outside [0, 1]");
    return static_cast<float>(x);
}

}  // namespace

json recipe_to_json(const Recipe& recipe) {
    json classes = json::array();
    for (const ClassPrompt& c : recipe.classes)
        classes.push_back({{"class", c.class_name}, {"prompt", c.prompt}, {"threshold", c.threshold}});
    return {{"model", {{"fingerprint", recipe.model.fingerprint}, {"dtype", recipe.model.dtype}}},
            {"classes", std::move(classes)},
            {"mask_threshold", recipe.mask_threshold}};
}

Recipe recipe_from_json(const json& j, const std::string& where) {
    if (!j.is_object()) bad(where, "recipe", "expected an object");
    Recipe r;
    const json& model = member(j, "model", where, "recipe");
    if (!model.is_object()) bad(where, "recipe.model", "expected an object");
    r.model.fingerprint = string_at(model, "fingerprint", where, "recipe.model");
    r.model.dtype = string_at(model, "dtype", where, "recipe.model");
    const json& classes = member(j, "classes", where, "recipe");
    if (!classes.is_array() || classes.empty()) bad(where, "recipe.classes", "expected a non-empty array");
    for (std::size_t i = 0; i < classes.size(); ++i) {
        const std::string path = "recipe.classes[" + std::to_string(i) + "]";
        if (!classes[i].is_object()) bad(where, path, "expected an object");
        ClassPrompt c;
        c.class_name = string_at(classes[i], "class", where, path);
        c.prompt = string_at(classes[i], "prompt", where, path);
        c.threshold = fraction_at(classes[i], "threshold", where, path);
        if (c.class_name.empty()) bad(where, path + ".class", "empty class name");
        r.classes.push_back(std::move(c));
    }
    r.mask_threshold = fraction_at(j, "mask_threshold", where, "recipe");
    return r;
}

std::string recipe_id(const Recipe& recipe) {
    // nlohmann's dump is canonical here: object keys sorted, floats in shortest round-trip form.
    return hex64(io::fnv1a_64(recipe_to_json(recipe).dump()));
}

std::string describe_recipe_difference(const Recipe& a, const Recipe& b) {
    std::vector<std::string> parts;
    if (a.model.fingerprint != b.model.fingerprint)
        parts.push_back("model " + a.model.fingerprint + " vs " + b.model.fingerprint + " (another checkpoint)");
    if (a.model.dtype != b.model.dtype) parts.push_back("model dtype " + a.model.dtype + " vs " + b.model.dtype);
    if (a.mask_threshold != b.mask_threshold)
        parts.push_back("mask threshold " + std::to_string(a.mask_threshold) + " vs " + std::to_string(b.mask_threshold));
    if (a.classes.size() != b.classes.size()) {
        auto names = [](const Recipe& r) {
            std::string s;
            for (const auto& c : r.classes) s += (s.empty() ? "" : ", ") + c.class_name;
            return s;
        };
        parts.push_back("classes [" + names(a) + "] vs [" + names(b) + "]");
    } else {
        for (std::size_t i = 0; i < a.classes.size(); ++i) {
            const ClassPrompt& x = a.classes[i];
            const ClassPrompt& y = b.classes[i];
            if (x.class_name != y.class_name) parts.push_back("class " + x.class_name + " vs " + y.class_name);
            else if (x.prompt != y.prompt) parts.push_back("class '" + x.class_name + "': prompt '" + x.prompt + "' vs '" + y.prompt + "'");
            else if (x.threshold != y.threshold)
                parts.push_back("class '" + x.class_name + "': threshold " + std::to_string(x.threshold) + " vs " + std::to_string(y.threshold));
        }
    }
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
    return out;
}

std::string prompt_for_class(const annotation::LabelClass& cls) { return cls.prompt.empty() ? cls.name : cls.prompt; }

float threshold_for_class(const annotation::LabelClass& cls) { return cls.threshold.value_or(kDefaultThreshold); }

ClassSpec parse_class_spec(const std::string& text) {
    ClassSpec spec;
    const auto eq = text.find('=');
    spec.name = text.substr(0, eq);
    if (spec.name.empty()) throw std::invalid_argument("--class '" + text + "': the class name is empty");
    if (eq != std::string::npos) {
        spec.prompt = text.substr(eq + 1);
        if (spec.prompt->empty()) throw std::invalid_argument("--class '" + text + "': the prompt after '=' is empty");
    }
    return spec;
}

std::vector<ClassPrompt> resolve_class_prompts(const annotation::Project& project, const std::vector<ClassSpec>& specs,
                                               std::optional<float> threshold_override) {
    std::vector<ClassPrompt> out;
    std::set<std::string> seen;
    auto add = [&](const std::string& name, const std::string& prompt, float threshold) {
        if (!seen.insert(name).second) throw std::invalid_argument("class '" + name + "' is given twice");
        if (prompt.empty()) throw std::invalid_argument("class '" + name + "' has an empty prompt");
        out.push_back({name, prompt, threshold_override.value_or(threshold)});
    };
    if (specs.empty()) {
        if (project.classes().empty()) throw std::invalid_argument("the project has no classes: name them with --class NAME[=PROMPT]");
        for (const annotation::LabelClass& c : project.classes()) add(c.name, prompt_for_class(c), threshold_for_class(c));
        return out;
    }
    for (const ClassSpec& spec : specs) {
        const annotation::LabelClass* cls = project.find_class_by_name(spec.name);
        const std::string prompt = spec.prompt ? *spec.prompt : cls ? prompt_for_class(*cls) : spec.name;
        add(spec.name, prompt, cls ? threshold_for_class(*cls) : kDefaultThreshold);
    }
    return out;
}

}  // namespace samlabel::autolabel
