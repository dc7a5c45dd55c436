#include "core/engine/sam3/sam3_model.h"

#include "core/engine/sam3_parts.h"

#include <ATen/record_function.h>

#include <algorithm>
#include <stdexcept>

namespace samlabel::engine::sam3 {
namespace {

// The trunk both paths describe must be the one the checkpoint stores once.
void require_same_trunk(const TrunkConfig& tracker, const TrunkConfig& detector) {
    if (tracker.image_size != detector.image_size)
        throw std::invalid_argument("config.json: the tracker runs the trunk at " + std::to_string(tracker.image_size) +
                                    " px and the detector at " + std::to_string(detector.image_size) +
                                    " px; one image encode cannot serve both (tracker_config.image_size vs "
                                    "detector_config.vision_config.backbone_config.image_size)");
}

// The decoder and scoring run in fp32 whatever the weights' dtype (precision
// of every query's score and box, 13 M parameters). On the CPU the other
// per-prompt modules (geometry, DETR encoder, mask head: 17 M parameters) do
// too: their work is large GEMMs and attention over the 1x level, where
// libtorch's CPU kernels are as fast or faster in fp32 than in bf16 (measured:
// SDPA over 5184 tokens 318 ms fp32 vs 475 ms bf16; a 5184x256x2048 GEMM 74 vs
// 83 ms), and bf16 would only lose precision. On CUDA they keep the weights'
// dtype, where fp16/bf16 tensor cores are several times faster.
DetectorPrecision detector_precision(const torch::TensorOptions& options) {
    const torch::TensorOptions f32 = options.dtype(torch::kFloat);
    const bool cpu = options.device().is_cpu() || options.device().is_meta();
    return DetectorPrecision{options, cpu ? f32 : options, f32};
}

}  // namespace

Sam3Model::Sam3Model(const Sam3CheckpointConfig& config, PartSet parts,
                     const torch::TensorOptions& options, const torch::TensorOptions& heads_options)
    : config_(config), options_(options), heads_options_(heads_options) {
    // The trunk's config comes from whichever path is built first; add_parts checks the other agrees.
    if (part_set_has_click(parts)) {
        const TrackerConfig& tracker = config_.tracker();
        trunk_config_ = tracker.trunk;
        processor_ = tracker.processor;
    } else {
        const DetectorConfig& detector = config_.detector();
        trunk_config_ = detector.trunk;
        processor_ = detector.processor;
    }
    trunk_ = VisionTrunk(trunk_config_, options);
    add_parts(parts);
}

NamedTensors Sam3Model::add_parts(PartSet parts) {
    NamedTensors added;
    auto collect = [&added](const NamedTensors& tensors) { added.insert(added.end(), tensors.begin(), tensors.end()); };
    const bool first = !tracker_ && !detector_;
    if (first) {
        for (const auto& p : trunk_->named_parameters(/*recurse=*/true)) added.emplace_back(kTrunkPrefix + p.key(), p.value());
        for (const auto& b : trunk_->named_buffers(/*recurse=*/true)) added.emplace_back(kTrunkPrefix + b.key(), b.value());
    }
    if (part_set_has_click(parts) && !tracker_) {
        const TrackerConfig& config = config_.tracker();
        if (!first) require_same_trunk(config.trunk, trunk_config_);
        tracker_ = std::make_unique<TrackerModel>(config, options_, heads_options_);
        collect(tracker_->named_tensors());
        tracker_ready_ = false;
    }
    if (part_set_has_detect(parts) && !detector_) {
        const DetectorConfig& config = config_.detector();
        if (tracker_) require_same_trunk(tracker_->config().trunk, config.trunk);
        detector_ = std::make_unique<DetectorModel>(config, detector_precision(options_));
        collect(detector_->named_tensors());
        detector_ready_ = false;
    }
    std::sort(added.begin(), added.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return added;
}

void Sam3Model::keep_only(PartSet parts) {
    if (!part_set_has_click(parts)) tracker_.reset();
    if (!part_set_has_detect(parts)) detector_.reset();
}

NamedTensors Sam3Model::named_tensors() const {
    NamedTensors out;
    for (const auto& p : trunk_->named_parameters(/*recurse=*/true)) out.emplace_back(kTrunkPrefix + p.key(), p.value());
    for (const auto& b : trunk_->named_buffers(/*recurse=*/true)) out.emplace_back(kTrunkPrefix + b.key(), b.value());
    if (tracker_) {
        const NamedTensors t = tracker_->named_tensors();
        out.insert(out.end(), t.begin(), t.end());
    }
    if (detector_) {
        const NamedTensors d = detector_->named_tensors();
        out.insert(out.end(), d.begin(), d.end());
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

void Sam3Model::weights_loaded() {
    if (tracker_ && !tracker_ready_) {
        tracker_->weights_loaded();
        tracker_ready_ = true;
    }
    if (detector_ && !detector_ready_) {
        detector_->weights_loaded();
        detector_ready_ = true;
    }
}

PartSet Sam3Model::parts() const {
    if (tracker_ && detector_) return PartSet::ClickAndDetect;
    return detector_ ? PartSet::DetectOnly : PartSet::ClickToSegment;
}

EncodedImage Sam3Model::encode(const torch::Tensor& pixels, const EncodeStepFn& between_steps) {
    torch::Tensor features;
    int steps = 0;
    {
        // The named scopes cost nothing unless a profiler runs (bench --profile-*).
        RECORD_USER_SCOPE("sam3.trunk");
        std::function<void(int, int)> trunk_steps;
        if (between_steps)
            trunk_steps = [&](int step, int trunk_total) {
                steps = trunk_total + 1;  // and one for the path features
                between_steps(step, steps);
            };
        features = trunk_->forward(pixels, trunk_steps);
    }
    EncodedImage out;
    if (tracker_) out.tracker = tracker_->prepare_image(features);
    if (detector_) out.detector = detector_->prepare_image(features);
    if (between_steps && steps > 0) between_steps(steps, steps);
    return out;
}

}  // namespace samlabel::engine::sam3
