#include "core/engine/sam3/detector/detector_config.h"

#include "core/engine/sam3/common/config_fields.h"

namespace samlabel::engine::sam3 {
namespace {

using nlohmann::json;
using namespace config_fields;

DetectorStackConfig parse_stack(const json& j, const std::string& path, DetectorStackConfig s) {
    s.hidden_size = value(j, "hidden_size", s.hidden_size, path);
    s.num_layers = value(j, "num_layers", value(j, "num_hidden_layers", s.num_layers, path), path);
    s.num_attention_heads = value(j, "num_attention_heads", s.num_attention_heads, path);
    s.intermediate_size = value(j, "intermediate_size", s.intermediate_size, path);
    s.hidden_act = value(j, "hidden_act", s.hidden_act, path);
    return s;
}

void validate_stack(const DetectorStackConfig& s, int width, const std::string& path, bool allow_zero_layers) {
    if (s.hidden_size != width)
        fail(path + ".hidden_size", "must equal the FPN width " + std::to_string(width) + ", got " + std::to_string(s.hidden_size));
    require_positive(s.num_attention_heads, path + ".num_attention_heads");
    if (s.hidden_size % s.num_attention_heads != 0)
        fail(path + ".num_attention_heads", "does not divide hidden_size " + std::to_string(s.hidden_size));
    if (!allow_zero_layers) require_positive(s.num_layers, path + ".num_layers");
    if (s.num_layers < 0) fail(path + ".num_layers", "must not be negative");
    require_positive(s.intermediate_size, path + ".intermediate_size");
    if (s.hidden_act != "relu") fail(path + ".hidden_act", "activation '" + s.hidden_act + "' is not supported (only \"relu\")");
}

}  // namespace

DetectorConfig parse_detector_config(const json& config, const json& processor) {
    if (!config.is_object()) throw std::invalid_argument("config.json: not a JSON object");
    const std::string model_type = value(config, "model_type", std::string(), "");
    const json* detector = &config;
    std::string root;
    if (model_type == "sam3_video") {
        detector = &child(config, "detector_config");
        root = "detector_config.";
    } else if (model_type != "sam3") {
        throw std::invalid_argument("config.json: model_type \"" + model_type +
                                    "\" is not a SAM3 checkpoint with a detector (expected sam3_video or sam3)");
    }

    DetectorConfig c;
    const json& vision = child(*detector, "vision_config");
    c.trunk = parse_trunk_config(child(vision, "backbone_config"), root + "vision_config.backbone_config");
    c.neck = parse_neck_config(vision, root + "vision_config");

    const std::string tp = root + "text_config";
    const json& text = child(*detector, "text_config");
    TextEncoderConfig& t = c.text;
    t.vocab_size = value(text, "vocab_size", t.vocab_size, tp);
    t.hidden_size = value(text, "hidden_size", t.hidden_size, tp);
    t.intermediate_size = value(text, "intermediate_size", t.intermediate_size, tp);
    t.num_hidden_layers = value(text, "num_hidden_layers", t.num_hidden_layers, tp);
    t.num_attention_heads = value(text, "num_attention_heads", t.num_attention_heads, tp);
    t.max_position_embeddings = value(text, "max_position_embeddings", t.max_position_embeddings, tp);
    t.layer_norm_eps = value(text, "layer_norm_eps", t.layer_norm_eps, tp);
    t.hidden_act = value(text, "hidden_act", t.hidden_act, tp);

    GeometryEncoderConfig geometry;
    static_cast<DetectorStackConfig&>(geometry) =
        parse_stack(child(*detector, "geometry_encoder_config"), root + "geometry_encoder_config", geometry);
    geometry.roi_size = value(child(*detector, "geometry_encoder_config"), "roi_size", geometry.roi_size,
                              root + "geometry_encoder_config");
    c.geometry = geometry;
    c.detr_encoder = parse_stack(child(*detector, "detr_encoder_config"), root + "detr_encoder_config", c.detr_encoder);
    DetrDecoderConfig decoder;
    static_cast<DetectorStackConfig&>(decoder) =
        parse_stack(child(*detector, "detr_decoder_config"), root + "detr_decoder_config", decoder);
    decoder.num_queries = value(child(*detector, "detr_decoder_config"), "num_queries", decoder.num_queries,
                                root + "detr_decoder_config");
    c.detr_decoder = decoder;
    const json& md = child(*detector, "mask_decoder_config");
    const std::string mp = root + "mask_decoder_config";
    c.mask_decoder.hidden_size = value(md, "hidden_size", c.mask_decoder.hidden_size, mp);
    c.mask_decoder.num_upsampling_stages = value(md, "num_upsampling_stages", c.mask_decoder.num_upsampling_stages, mp);
    c.mask_decoder.num_attention_heads = value(md, "num_attention_heads", c.mask_decoder.num_attention_heads, mp);

    c.processor = parse_processor_config(processor, c.trunk.image_size);
    validate_processor_config(c.processor, c.trunk.image_size);

    // Validation: what the native modules assume.
    validate_trunk_config(c.trunk, root + "vision_config.backbone_config");
    const int width = c.neck.fpn_hidden_size;
    require_positive(width, root + "vision_config.fpn_hidden_size");
    const std::string np = root + "vision_config";
    if (c.neck.scale_factors.size() < DetectorConfig::kUsedNeckLevels)
        fail(np + ".scale_factors", "the detector needs at least the 4x, 2x and 1x levels");
    const double expected[DetectorConfig::kUsedNeckLevels] = {4.0, 2.0, 1.0};
    for (int i = 0; i < DetectorConfig::kUsedNeckLevels; ++i)
        if (c.neck.scale_factors[i] != expected[i]) fail(np + ".scale_factors", "must start with 4.0, 2.0, 1.0");
    if (c.trunk.hidden_size % 4 != 0) fail(np + ".backbone_config.hidden_size", "the 4x FPN level needs a multiple of 4");
    if (width % 2 != 0) fail(np + ".fpn_hidden_size", "must be even (sine position encodings: half x, half y)");

    require_positive(t.vocab_size, tp + ".vocab_size");
    require_positive(t.hidden_size, tp + ".hidden_size");
    require_positive(t.num_hidden_layers, tp + ".num_hidden_layers");
    require_positive(t.num_attention_heads, tp + ".num_attention_heads");
    require_positive(t.intermediate_size, tp + ".intermediate_size");
    if (t.hidden_size % t.num_attention_heads != 0) fail(tp + ".num_attention_heads", "does not divide hidden_size");
    if (t.max_position_embeddings < 3) fail(tp + ".max_position_embeddings", "must leave room for start, end and one token");
    // transformers' CLIPTextConfig defaults to quick_gelu; SAM3 sets "gelu" explicitly.
    if (t.hidden_act != "gelu")
        fail(tp + ".hidden_act", "activation '" + t.hidden_act + "' is not SAM3's text encoder activation (\"gelu\")");

    validate_stack(c.geometry, width, root + "geometry_encoder_config", /*allow_zero_layers=*/true);
    require_positive(c.geometry.roi_size, root + "geometry_encoder_config.roi_size");
    validate_stack(c.detr_encoder, width, root + "detr_encoder_config", false);
    validate_stack(c.detr_decoder, width, root + "detr_decoder_config", false);
    require_positive(c.detr_decoder.num_queries, root + "detr_decoder_config.num_queries");
    if (c.mask_decoder.hidden_size != width) fail(mp + ".hidden_size", "must equal the FPN width " + std::to_string(width));
    if (width % 8 != 0) fail(mp + ".hidden_size", "GroupNorm(8) needs a multiple of 8, got " + std::to_string(width));
    require_positive(c.mask_decoder.num_attention_heads, mp + ".num_attention_heads");
    if (width % c.mask_decoder.num_attention_heads != 0) fail(mp + ".num_attention_heads", "does not divide hidden_size");
    if (c.mask_decoder.num_upsampling_stages < DetectorConfig::kUsedNeckLevels - 1)
        fail(mp + ".num_upsampling_stages", "the pixel decoder needs one stage per upsampling step (at least 2)");
    return c;
}

}  // namespace samlabel::engine::sam3
