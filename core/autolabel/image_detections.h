#pragma once
// What the model found in one image for an auto-label run: every detection
// above its class's threshold, with its score, box and lossless mask. This is
// what a results file stores per image and what merge turns into instances
// (after checking them against the instances already there).
#include "core/annotation/annotation_types.h"
#include "core/autolabel/autolabel_recipe.h"
#include "core/engine/engine_types.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace samlabel::autolabel {

struct Detection {
    std::string class_name;
    int query = 0;                 // the decoder query (results keep the model's query order per class)
    float score = 0.f;             // sigmoid(logit) x sigmoid(presence)
    std::array<float, 4> box{};    // xyxy, image pixels
    annotation::RleMask mask;      // image size
    bool operator==(const Detection&) const = default;
};

struct ImageDetections {
    std::string image;        // relative path (UTF-8, '/')
    int width = 0, height = 0;
    std::vector<Detection> detections;  // recipe class order, then query order
    bool operator==(const ImageDetections&) const = default;
};

// From the model's answers, one DetectResult per recipe class (same order).
// Keeps the detections scoring above their class's threshold (strict, as the
// model does) whose mask is not empty. Throws std::invalid_argument when the
// counts or mask sizes do not fit.
ImageDetections image_detections_from(const std::string& image, int width, int height, const Recipe& recipe,
                                      const std::vector<engine::DetectResult>& results);

nlohmann::json image_detections_to_json(const ImageDetections& detections);
// Throws std::invalid_argument "<where>: <field>: <problem>".
ImageDetections image_detections_from_json(const nlohmann::json& json, const std::string& where);

}  // namespace samlabel::autolabel
