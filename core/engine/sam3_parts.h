#pragma once
// Which part of the SAM3 model each tensor of the facebook/sam3 hub checkpoint
// belongs to, and what each part costs. No torch here.
//
// Hub layout (model_type sam3_video; see ../shared/reference/README.md):
//   detector_model.vision_encoder.backbone.*  vision trunk (ViT), shared by both paths
//   detector_model.vision_encoder.neck.fpn_layers.{0,1,2}.*
//                                             detector neck (FPN for concept detection)
//   detector_model.text_encoder.text_model.*, detector_model.text_projection.*
//                                             text encoder (CLIP) and its projection
//   detector_model.detr_decoder.*, .dot_product_scoring.*
//                                             detector decoder: every query's box and score
//                                             (run in fp32 whatever the weights' dtype)
//   detector_model.* (the rest)               detector: geometry encoder, DETR encoder, its
//                                             mask decoder (fp32 on the CPU)
//   tensors of detector_model.* the detection path never reads (DetectorUnused):
//     the neck's 0.5x level (vision_encoder.neck.fpn_layers.3), CLIP's own pooled
//     projection (text_encoder.text_projection), the mask decoder's third
//     pixel-decoder stage (pixel_decoder.{conv_layers,norms}.2) and its semantic
//     head (mask_decoder.semantic_projection), which instance results do not use
//   tracker_neck.fpn_layers.{0,1,2}.*         tracker neck (FPN for click-to-segment: 4x, 2x, 1x)
//   tracker_neck.fpn_layers.{3..}.*           tracker neck levels below 1x (0.5x): the
//                                             tracker drops them (Sam3TrackerModel keeps
//                                             backbone_feature_sizes = 3 levels), so no
//                                             part set loads them
//   tracker_model.{prompt_encoder, mask_decoder, no_memory_embedding,
//                  shared_image_embedding}    tracker heads: what transformers'
//                                             Sam3TrackerModel runs on one image
//   tracker_model.* (the rest)                video memory: memory attention/encoder,
//                                             object pointers, temporal encodings;
//                                             Sam3TrackerModel ignores them on load
#include "core/engine/engine_types.h"
#include "core/engine/safetensors_file.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace samlabel::engine {

class Checkpoint;

enum class ModelPart {
    VisionTrunk = 0,
    TrackerNeck,
    TrackerNeckUnusedLevels,
    TrackerHeads,
    TrackerVideoMemory,
    DetectorNeck,
    TextEncoder,
    Detector,
    DetectorDecoder,
    DetectorUnused,
    Unknown,  // not a tensor of the sam3 layout
};
inline constexpr std::size_t kModelPartCount = 11;
inline constexpr std::array<ModelPart, kModelPartCount> kAllModelParts{
    ModelPart::VisionTrunk, ModelPart::TrackerNeck, ModelPart::TrackerNeckUnusedLevels, ModelPart::TrackerHeads,
    ModelPart::TrackerVideoMemory, ModelPart::DetectorNeck, ModelPart::TextEncoder, ModelPart::Detector,
    ModelPart::DetectorDecoder, ModelPart::DetectorUnused, ModelPart::Unknown};

// tracker_neck.fpn_layers.N with N below this is read by the click path (the
// native predictor builds exactly these levels: sam3::TrackerConfig::kUsedNeckLevels).
inline constexpr int kTrackerNeckLevelsUsed = 3;
// The same for detector_model.vision_encoder.neck.fpn_layers.N (sam3::DetectorConfig::kUsedNeckLevels),
// and the pixel-decoder stages its mask head runs (one per finer level).
inline constexpr int kDetectorNeckLevelsUsed = 3;
inline constexpr int kDetectorPixelStagesUsed = kDetectorNeckLevelsUsed - 1;

ModelPart part_of(std::string_view tensor_name);
std::string_view model_part_name(ModelPart part);  // "vision trunk", ...

// The parts a session with this PartSet loads.
std::vector<ModelPart> parts_for(PartSet set);
bool part_in(ModelPart part, PartSet set);
std::string_view part_set_name(PartSet set);  // "click-to-segment", "click + detect", "detect"
// "click", "detect", "click+detect" (also "click+text", the old name) -> PartSet; nullopt otherwise.
std::optional<PartSet> parse_part_set(std::string_view text);
std::string_view part_set_cli_name(PartSet set);  // "click", "detect", "click+detect"

// Bytes of one element of a target dtype (F32 4, BF16/F16 2). Auto must be
// resolved first (see memory_budget.h).
std::size_t weight_dtype_size(WeightDType dtype);
std::string_view weight_dtype_name(WeightDType dtype);  // "fp32", "bf16", "fp16", "auto"

struct PartFigures {
    std::size_t tensors = 0;
    std::uint64_t parameters = 0;                     // elements
    std::uint64_t stored_bytes = 0;                   // as stored in the checkpoint
    std::map<TensorDType, std::uint64_t> bytes_per_dtype;  // stored bytes by stored dtype
    std::map<TensorDType, std::uint64_t> parameters_per_dtype;
    std::uint64_t largest_tensor_stored_bytes = 0;

    // Bytes once floating-point tensors are cast to `target` (integer and
    // bool tensors keep their type, as the loader keeps them).
    std::uint64_t bytes_in(WeightDType target) const;
    // Stored bytes of the tensors a load to `target` keeps in their stored
    // type: on the CPU those are the mapped file itself, not a copy.
    std::uint64_t bytes_kept_as_stored(WeightDType target) const;
};

struct PartSummary {
    std::array<PartFigures, kModelPartCount> parts{};
    PartFigures total;

    const PartFigures& of(ModelPart part) const { return parts[static_cast<std::size_t>(part)]; }
    // The sum over the parts a PartSet loads.
    PartFigures of(PartSet set) const;

    static PartSummary of_tensors(const std::vector<const TensorEntry*>& tensors);
    static PartSummary of_checkpoint(const Checkpoint& checkpoint);
};

}  // namespace samlabel::engine
