#pragma once
// What an auto-label run asks the model, and with which model: the classes to
// find with their prompt text and score threshold, the mask threshold, and the
// model's identity. Its id (recipe_id) decides whether two runs' results are
// interchangeable: a resumed run skips images done under the same id, and
// merge refuses to mix results of different ids unless told.
#include "core/annotation/project.h"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace samlabel::autolabel {

// SAM3's own predictor keeps detections above 0.5; so do proposals by default.
inline constexpr float kDefaultThreshold = 0.5f;
// A candidate overlapping an existing instance of its class above this mask IoU is not proposed.
inline constexpr float kDefaultOverlapIou = 0.7f;
inline constexpr float kDefaultMaskThreshold = 0.5f;

struct ClassPrompt {
    std::string class_name;  // the class the detections become
    std::string prompt;      // the text SAM3 is given (the class name unless the class saved another)
    float threshold = kDefaultThreshold;
    bool operator==(const ClassPrompt&) const = default;
};

// The model that made a set of detections. Machine independent: the same
// checkpoint files give the same fingerprint on every machine (unlike the
// embedding cache's model id, which includes the local path).
struct ModelIdentity {
    std::string fingerprint;  // model_fingerprint.h
    std::string dtype;        // "float32", "bfloat16", "float16": results differ slightly between them
    bool operator==(const ModelIdentity&) const = default;
};

struct Recipe {
    ModelIdentity model;
    std::vector<ClassPrompt> classes;  // in run order
    float mask_threshold = kDefaultMaskThreshold;
    bool operator==(const Recipe&) const = default;
};

// 16 hex digits: a hash of the recipe's canonical JSON (every field above).
std::string recipe_id(const Recipe& recipe);

nlohmann::json recipe_to_json(const Recipe& recipe);
// Throws std::invalid_argument "<where>: <field>: <problem>".
Recipe recipe_from_json(const nlohmann::json& json, const std::string& where);

// Says how two recipes differ ("class 'car': prompt 'car' vs 'red car'; model
// dtype float32 vs bfloat16"), empty when they are equal.
std::string describe_recipe_difference(const Recipe& a, const Recipe& b);

// The prompt a class is searched with: its saved prompt, else its name.
std::string prompt_for_class(const annotation::LabelClass& cls);
float threshold_for_class(const annotation::LabelClass& cls);

// One --class argument: "NAME" or "NAME=PROMPT".
struct ClassSpec {
    std::string name;
    std::optional<std::string> prompt;
};
ClassSpec parse_class_spec(const std::string& text);  // throws std::invalid_argument

// The classes to run: the given specs (a class the project lacks is created
// at merge; a spec without a prompt uses the class's saved prompt, else its
// name), or, with no spec, every class of the project. threshold_override
// replaces every class's own threshold. Throws std::invalid_argument for a
// duplicate class, an empty prompt, or a project without classes.
std::vector<ClassPrompt> resolve_class_prompts(const annotation::Project& project, const std::vector<ClassSpec>& specs,
                                               std::optional<float> threshold_override);

}  // namespace samlabel::autolabel
