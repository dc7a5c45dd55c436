#include "core/engine/sam3/sam3_checkpoint_config.h"

#include "core/engine/safetensors_file.h"

#include <exception>

namespace samlabel::engine::sam3 {

Sam3CheckpointConfig::Sam3CheckpointConfig()
    : tracker_error_("config.json is missing"), detector_error_("config.json is missing") {}

Sam3CheckpointConfig::Sam3CheckpointConfig(const nlohmann::json& config, const nlohmann::json& processor,
                                           const std::filesystem::path& folder)
    : folder_(folder) {
    // The parsers throw std::invalid_argument for a config the path cannot run;
    // anything else a malformed file provokes is kept the same way.
    try {
        tracker_ = parse_tracker_config(config, processor);
    } catch (const std::exception& e) {
        tracker_error_ = e.what();
    }
    try {
        detector_ = parse_detector_config(config, processor);
    } catch (const std::exception& e) {
        detector_error_ = e.what();
    }
}

const TrackerConfig& Sam3CheckpointConfig::tracker() const {
    if (!tracker_) throw CheckpointError(folder_, "", "cannot build the click-to-segment path: " + tracker_error_);
    return *tracker_;
}

const DetectorConfig& Sam3CheckpointConfig::detector() const {
    if (!detector_) throw CheckpointError(folder_, "", "cannot build the detection path: " + detector_error_);
    return *detector_;
}

}  // namespace samlabel::engine::sam3
