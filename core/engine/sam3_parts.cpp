#include "core/engine/sam3_parts.h"

#include "core/engine/checkpoint.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace samlabel::engine {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The numbered entry N of `prefix`N.* (e.g. a neck level or a pixel-decoder stage), or -1.
int index_after(std::string_view name, std::string_view prefix) {
    if (!starts_with(name, prefix)) return -1;
    name.remove_prefix(prefix.size());
    int index = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), index);
    return error == std::errc() && end != name.data() && end != name.data() + name.size() && *end == '.' ? index : -1;
}

// tracker_neck.fpn_layers.<N>.* at a level the click path never reads.
bool is_unused_tracker_neck_level(std::string_view name) {
    return index_after(name, "tracker_neck.fpn_layers.") >= kTrackerNeckLevelsUsed;
}

bool is_floating(TensorDType dtype) {
    switch (dtype) {
        case TensorDType::F64:
        case TensorDType::F32:
        case TensorDType::F16:
        case TensorDType::BF16:
        case TensorDType::F8_E4M3:
        case TensorDType::F8_E5M2: return true;
        default: return false;
    }
}

void add(PartFigures& into, const PartFigures& from) {
    into.tensors += from.tensors;
    into.parameters += from.parameters;
    into.stored_bytes += from.stored_bytes;
    for (const auto& [dtype, bytes] : from.bytes_per_dtype) into.bytes_per_dtype[dtype] += bytes;
    for (const auto& [dtype, count] : from.parameters_per_dtype) into.parameters_per_dtype[dtype] += count;
    into.largest_tensor_stored_bytes = std::max(into.largest_tensor_stored_bytes, from.largest_tensor_stored_bytes);
}

bool is_unused_detector_tensor(std::string_view name) {
    return index_after(name, "detector_model.vision_encoder.neck.fpn_layers.") >= kDetectorNeckLevelsUsed ||
           starts_with(name, "detector_model.text_encoder.text_projection.") ||
           starts_with(name, "detector_model.mask_decoder.semantic_projection.") ||
           index_after(name, "detector_model.mask_decoder.pixel_decoder.conv_layers.") >= kDetectorPixelStagesUsed ||
           index_after(name, "detector_model.mask_decoder.pixel_decoder.norms.") >= kDetectorPixelStagesUsed;
}

}  // namespace

ModelPart part_of(std::string_view name) {
    if (starts_with(name, "detector_model.vision_encoder.backbone.")) return ModelPart::VisionTrunk;
    if (is_unused_detector_tensor(name)) return ModelPart::DetectorUnused;
    if (starts_with(name, "detector_model.vision_encoder.neck.")) return ModelPart::DetectorNeck;
    if (starts_with(name, "detector_model.text_encoder.") || starts_with(name, "detector_model.text_projection."))
        return ModelPart::TextEncoder;
    if (starts_with(name, "detector_model.detr_decoder.") || starts_with(name, "detector_model.dot_product_scoring."))
        return ModelPart::DetectorDecoder;
    if (starts_with(name, "detector_model.")) return ModelPart::Detector;
    if (is_unused_tracker_neck_level(name)) return ModelPart::TrackerNeckUnusedLevels;
    if (starts_with(name, "tracker_neck.")) return ModelPart::TrackerNeck;
    // Exactly what transformers' Sam3TrackerModel keeps for one image; it lists
    // the rest of tracker_model under _keys_to_ignore_on_load_unexpected.
    if (starts_with(name, "tracker_model.prompt_encoder.") || starts_with(name, "tracker_model.mask_decoder.") ||
        starts_with(name, "tracker_model.shared_image_embedding.") || name == "tracker_model.no_memory_embedding")
        return ModelPart::TrackerHeads;
    if (starts_with(name, "tracker_model.")) return ModelPart::TrackerVideoMemory;
    return ModelPart::Unknown;
}

std::string_view model_part_name(ModelPart part) {
    switch (part) {
        case ModelPart::VisionTrunk: return "vision trunk";
        case ModelPart::TrackerNeck: return "tracker neck";
        case ModelPart::TrackerNeckUnusedLevels: return "tracker neck 0.5x level (unused)";
        case ModelPart::TrackerHeads: return "tracker heads";
        case ModelPart::TrackerVideoMemory: return "tracker video memory";
        case ModelPart::DetectorNeck: return "detector neck";
        case ModelPart::TextEncoder: return "text encoder";
        case ModelPart::Detector: return "detector (geometry, DETR encoder, masks)";
        case ModelPart::DetectorDecoder: return "detector decoder + scoring";
        case ModelPart::DetectorUnused: return "detector tensors not read (unused)";
        case ModelPart::Unknown: return "unknown";
    }
    return "unknown";
}

std::vector<ModelPart> parts_for(PartSet set) {
    std::vector<ModelPart> parts{ModelPart::VisionTrunk};
    if (part_set_has_click(set)) {
        parts.push_back(ModelPart::TrackerNeck);
        parts.push_back(ModelPart::TrackerHeads);
    }
    if (part_set_has_detect(set)) {
        parts.push_back(ModelPart::DetectorNeck);
        parts.push_back(ModelPart::TextEncoder);
        parts.push_back(ModelPart::Detector);
        parts.push_back(ModelPart::DetectorDecoder);
    }
    return parts;
}

bool part_in(ModelPart part, PartSet set) {
    const auto parts = parts_for(set);
    return std::find(parts.begin(), parts.end(), part) != parts.end();
}

std::string_view part_set_name(PartSet set) {
    switch (set) {
        case PartSet::ClickToSegment: return "click-to-segment";
        case PartSet::ClickAndDetect: return "click + detect";
        case PartSet::DetectOnly: return "detect";
    }
    return "click-to-segment";
}

std::string_view part_set_cli_name(PartSet set) {
    switch (set) {
        case PartSet::ClickToSegment: return "click";
        case PartSet::ClickAndDetect: return "click+detect";
        case PartSet::DetectOnly: return "detect";
    }
    return "click";
}

std::optional<PartSet> parse_part_set(std::string_view text) {
    if (text == "click") return PartSet::ClickToSegment;
    if (text == "detect") return PartSet::DetectOnly;
    if (text == "click+detect" || text == "click+text" || text == "detect+click") return PartSet::ClickAndDetect;
    return std::nullopt;
}

std::size_t weight_dtype_size(WeightDType dtype) {
    switch (dtype) {
        case WeightDType::F32: return 4;
        case WeightDType::BF16:
        case WeightDType::F16: return 2;
        case WeightDType::Auto: break;
    }
    throw std::invalid_argument("weight_dtype_size: resolve WeightDType::Auto first");
}

std::string_view weight_dtype_name(WeightDType dtype) {
    switch (dtype) {
        case WeightDType::F32: return "fp32";
        case WeightDType::BF16: return "bf16";
        case WeightDType::F16: return "fp16";
        case WeightDType::Auto: return "auto";
    }
    return "auto";
}

std::uint64_t PartFigures::bytes_in(WeightDType target) const {
    std::uint64_t total = 0;
    for (const auto& [dtype, count] : parameters_per_dtype)
        total += count * (is_floating(dtype) ? weight_dtype_size(target) : tensor_dtype_size(dtype));
    return total;
}

namespace {
TensorDType stored_type_of(WeightDType dtype) {
    switch (dtype) {
        case WeightDType::BF16: return TensorDType::BF16;
        case WeightDType::F16: return TensorDType::F16;
        default: return TensorDType::F32;
    }
}
}  // namespace

std::uint64_t PartFigures::bytes_kept_as_stored(WeightDType target) const {
    std::uint64_t total = 0;
    for (const auto& [dtype, bytes] : bytes_per_dtype)
        if (!is_floating(dtype) || dtype == stored_type_of(target)) total += bytes;
    return total;
}

PartFigures PartSummary::of(PartSet set) const {
    PartFigures sum;
    for (const ModelPart part : parts_for(set)) add(sum, of(part));
    return sum;
}

PartSummary PartSummary::of_tensors(const std::vector<const TensorEntry*>& tensors) {
    PartSummary summary;
    for (const TensorEntry* entry : tensors) {
        PartFigures& figures = summary.parts[static_cast<std::size_t>(part_of(entry->name))];
        figures.tensors += 1;
        figures.parameters += entry->element_count();
        figures.stored_bytes += entry->byte_size();
        figures.bytes_per_dtype[entry->dtype] += entry->byte_size();
        figures.parameters_per_dtype[entry->dtype] += entry->element_count();
        figures.largest_tensor_stored_bytes = std::max(figures.largest_tensor_stored_bytes, entry->byte_size());
    }
    for (const PartFigures& figures : summary.parts) add(summary.total, figures);
    return summary;
}

PartSummary PartSummary::of_checkpoint(const Checkpoint& checkpoint) {
    std::vector<const TensorEntry*> entries;
    for (const auto& ref : checkpoint.tensors()) entries.push_back(ref.entry);
    return of_tensors(entries);
}

}  // namespace samlabel::engine
