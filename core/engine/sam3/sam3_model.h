#pragma once
// INTERNAL (torch). The SAM3 network the predictor runs: the vision trunk,
// stored once in the hub checkpoint and run once per image, with the click
// path (tracker neck + heads) and/or the concept-detection path (detector
// neck, text encoder, detector) on top. A model can start with either path
// and gain the other later; only the new modules' tensors are then streamed.
#include "core/engine/engine_types.h"
#include "core/engine/sam3/detector/detector_model.h"
#include "core/engine/sam3/sam3_checkpoint_config.h"
#include "core/engine/sam3/tracker/tracker_model.h"
#include "core/engine/sam3/trunk/vision_trunk.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace samlabel::engine::sam3 {

inline constexpr const char* kTrunkPrefix = "detector_model.vision_encoder.backbone.";

// One image's features for the paths the model had when it was encoded.
struct EncodedImage {
    TrackerImage tracker;     // undefined without the click path
    DetectorImage detector;   // undefined without the detection path
};

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

class Sam3Model {
public:
    // Builds the trunk and the paths `parts` needs from the checkpoint's parsed
    // config (Checkpoint::sam3_config(), the one the memory estimate reads)
    // with torch::empty parameters (options may be the meta device). The click
    // path's heads use `heads_options` (see TrackerModel). Throws
    // CheckpointError for a config the paths cannot run, naming the field.
    Sam3Model(const Sam3CheckpointConfig& config, PartSet parts, const torch::TensorOptions& options,
              const torch::TensorOptions& heads_options);

    // Builds the paths of `parts` that are missing and returns only their
    // tensors (what a load must still stream). Call weights_loaded() after.
    NamedTensors add_parts(PartSet parts);
    // Drops the paths not in `parts` (a failed or cancelled add_parts); the trunk stays.
    void keep_only(PartSet parts);
    // Every built tensor, sorted by checkpoint key.
    NamedTensors named_tensors() const;
    // Precomputes what depends only on the weights, for the paths whose weights just arrived.
    void weights_loaded();

    bool has_tracker() const { return tracker_ != nullptr; }
    bool has_detector() const { return detector_ != nullptr; }
    PartSet parts() const;
    const TrackerModel& tracker() const { return *tracker_; }
    const DetectorModel& detector() const { return *detector_; }
    const ProcessorConfig& processor() const { return processor_; }
    const TrunkConfig& trunk_config() const { return trunk_config_; }
    int image_size() const { return trunk_config_.image_size; }

    // pixels [1, 3, S, S] fp32 on the model's device -> per-path features.
    // between_steps: the trunk's pause points (a few per layer), then one step
    // for the path features.
    EncodedImage encode(const torch::Tensor& pixels, const EncodeStepFn& between_steps = {});

private:
    Sam3CheckpointConfig config_;
    torch::TensorOptions options_, heads_options_;
    TrunkConfig trunk_config_;
    ProcessorConfig processor_;
    VisionTrunk trunk_{nullptr};
    std::unique_ptr<TrackerModel> tracker_;
    std::unique_ptr<DetectorModel> detector_;
    bool tracker_ready_ = false, detector_ready_ = false;
};

}  // namespace samlabel::engine::sam3
