#pragma once
// A SAM3 checkpoint's config.json (with its processor config) parsed once,
// when the checkpoint is opened, into what every reader needs: the model builds
// its modules from it and the memory estimate takes its geometry from it, so
// the preflight can never describe another network than the one that loads.
// Each path is parsed on its own (a tracker-only checkpoint has no detector):
// a path whose config cannot work keeps its error, thrown when it is asked
// for. No torch here.
#include "core/engine/sam3/common/sam3_config.h"
#include "core/engine/sam3/detector/detector_config.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace samlabel::engine::sam3 {

class Sam3CheckpointConfig {
public:
    // An empty config: neither path can be built (their errors say so).
    Sam3CheckpointConfig();
    // `config` is config.json's JSON, `processor` the processor JSON (may be null), both of the
    // checkpoint folder `folder` (named in errors).
    Sam3CheckpointConfig(const nlohmann::json& config, const nlohmann::json& processor, const std::filesystem::path& folder);

    // The click path's config; throws CheckpointError naming the folder, config.json and
    // the field at fault when it cannot be built from this checkpoint.
    const TrackerConfig& tracker() const;
    // The detection path's config; throws like tracker().
    const DetectorConfig& detector() const;
    // Whether tracker() / detector() answer (they throw otherwise).
    bool has_tracker() const { return tracker_.has_value(); }
    bool has_detector() const { return detector_.has_value(); }

private:
    std::filesystem::path folder_;
    std::optional<TrackerConfig> tracker_;
    std::optional<DetectorConfig> detector_;
    std::string tracker_error_, detector_error_;
};

}  // namespace samlabel::engine::sam3
