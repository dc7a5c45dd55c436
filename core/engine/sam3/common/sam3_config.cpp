#include "core/engine/sam3/common/sam3_config.h"
#include "core/engine/utf8_path.h"

#include "core/engine/sam3/common/config_fields.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace samlabel::engine::sam3 {
namespace {

using nlohmann::json;
using namespace config_fields;

void require_gelu(const std::string& act, const std::string& field) {
    if (act != "gelu") fail(field, "activation '" + act + "' is not supported (only \"gelu\")");
}

void validate(const TrackerConfig& c) {
    const TrunkConfig& t = c.trunk;
    const std::string tp = "tracker_config.vision_config.backbone_config";
    validate_trunk_config(t, tp);

    const NeckConfig& n = c.neck;
    const std::string np = "tracker_config.vision_config";
    if (n.scale_factors.size() < TrackerConfig::kUsedNeckLevels)
        fail(np + ".scale_factors", "the click path needs at least 3 levels");
    const std::vector<double> expected{4.0, 2.0, 1.0};
    for (int i = 0; i < TrackerConfig::kUsedNeckLevels; ++i)
        if (n.scale_factors[i] != expected[i]) fail(np + ".scale_factors", "must start with 4.0, 2.0, 1.0");
    for (std::size_t i = TrackerConfig::kUsedNeckLevels; i < n.scale_factors.size(); ++i)
        if (n.scale_factors[i] != 0.5) fail(np + ".scale_factors", "levels after 1.0 may only be 0.5");
    if (n.backbone_feature_sizes.size() != TrackerConfig::kUsedNeckLevels)
        fail(np + ".backbone_feature_sizes", "must list 3 sizes (4x, 2x, 1x)");
    const int g = t.grid_size();
    for (int i = 0; i < TrackerConfig::kUsedNeckLevels; ++i) {
        const int want = g * (4 >> i);
        if (n.backbone_feature_sizes[i][0] != want || n.backbone_feature_sizes[i][1] != want)
            fail(np + ".backbone_feature_sizes", "level " + std::to_string(i) + " must be " + std::to_string(want) +
                                                     " for image_size/patch_size " + std::to_string(g));
    }
    const int fpn = n.fpn_hidden_size;
    require_positive(fpn, np + ".fpn_hidden_size");
    if (t.hidden_size % 4 != 0) fail(tp + ".hidden_size", "the 4x FPN level needs a multiple of 4");

    const PromptEncoderConfig& p = c.prompt_encoder;
    const std::string pp = "tracker_config.prompt_encoder_config";
    if (p.hidden_size != fpn) fail(pp + ".hidden_size", "must equal the FPN width " + std::to_string(fpn));
    if (p.hidden_size % 2 != 0) fail(pp + ".hidden_size", "must be even (sin/cos halves)");
    if (p.image_size != t.image_size || p.patch_size != t.patch_size)
        fail(pp + ".image_size", "must match the vision trunk's image and patch size");
    if (p.num_point_embeddings != 4) fail(pp + ".num_point_embeddings", "must be 4 (negative, positive, box corners)");
    if (p.mask_input_channels % 4 != 0 || p.mask_input_channels <= 0)
        fail(pp + ".mask_input_channels", "must be a positive multiple of 4");
    require_gelu(p.hidden_act, pp + ".hidden_act");

    const MaskDecoderConfig& d = c.mask_decoder;
    const std::string dp = "tracker_config.mask_decoder_config";
    if (d.hidden_size != fpn) fail(dp + ".hidden_size", "must equal the FPN width " + std::to_string(fpn));
    if (d.hidden_size % 8 != 0) fail(dp + ".hidden_size", "must be a multiple of 8 (upscaling to hidden/8)");
    require_positive(d.num_hidden_layers, dp + ".num_hidden_layers");
    require_positive(d.num_multimask_outputs, dp + ".num_multimask_outputs");
    require_positive(d.attention_downsample_rate, dp + ".attention_downsample_rate");
    if (d.num_hidden_layers < 2) fail(dp + ".num_hidden_layers", "is also the two-way MLP depth and must be >= 2");
    if (d.iou_head_depth < 2) fail(dp + ".iou_head_depth", "must be >= 2");
    const int internal = d.hidden_size / d.attention_downsample_rate;
    if (d.hidden_size % d.num_attention_heads != 0 || internal % d.num_attention_heads != 0)
        fail(dp + ".num_attention_heads", "does not divide the attention width");
    require_gelu(d.hidden_act, dp + ".hidden_act");

    validate_processor_config(c.processor, t.image_size);
}

}  // namespace

TrunkConfig parse_trunk_config(const json& j, const std::string& path) {
    TrunkConfig t;
    t.hidden_size = value(j, "hidden_size", t.hidden_size, path);
    t.intermediate_size = value(j, "intermediate_size", t.intermediate_size, path);
    t.num_hidden_layers = value(j, "num_hidden_layers", t.num_hidden_layers, path);
    t.num_attention_heads = value(j, "num_attention_heads", t.num_attention_heads, path);
    t.num_channels = value(j, "num_channels", t.num_channels, path);
    t.image_size = square_size(j, "image_size", t.image_size, path);
    t.patch_size = square_size(j, "patch_size", t.patch_size, path);
    t.pretrain_image_size = square_size(j, "pretrain_image_size", t.pretrain_image_size, path);
    t.window_size = value(j, "window_size", t.window_size, path);
    t.global_attn_indexes = value(j, "global_attn_indexes", t.global_attn_indexes, path);
    t.layer_norm_eps = value(j, "layer_norm_eps", t.layer_norm_eps, path);
    t.hidden_act = value(j, "hidden_act", t.hidden_act, path);
    const json& rope = child(j, "rope_parameters");
    t.rope_type = value(rope, "rope_type", t.rope_type, path + ".rope_parameters");
    t.rope_theta = value(rope, "rope_theta", t.rope_theta, path + ".rope_parameters");
    if (value(j, "layer_scale_init_value", 0.0, path) != 0.0)
        fail(path + ".layer_scale_init_value", "layer scale is not used by Sam3ViTLayer and not supported");
    return t;
}

NeckConfig parse_neck_config(const json& j, const std::string& path) {
    NeckConfig n;
    n.fpn_hidden_size = value(j, "fpn_hidden_size", n.fpn_hidden_size, path);
    n.scale_factors = value(j, "scale_factors", n.scale_factors, path);
    if (j.is_object() && j.contains("backbone_feature_sizes") && !j["backbone_feature_sizes"].is_null()) {
        n.backbone_feature_sizes.clear();
        for (const json& s : j["backbone_feature_sizes"]) {
            if (!s.is_array() || s.size() != 2) fail(path + ".backbone_feature_sizes", "entries must be [h, w]");
            n.backbone_feature_sizes.push_back({s[0].get<int>(), s[1].get<int>()});
        }
    }
    return n;
}

void validate_trunk_config(const TrunkConfig& t, const std::string& tp) {
    for (auto [v, name] : {std::pair{t.hidden_size, "hidden_size"}, {t.intermediate_size, "intermediate_size"},
                           {t.num_hidden_layers, "num_hidden_layers"}, {t.num_attention_heads, "num_attention_heads"},
                           {t.image_size, "image_size"}, {t.patch_size, "patch_size"},
                           {t.pretrain_image_size, "pretrain_image_size"}})
        require_positive(v, tp + "." + name);
    if (t.num_channels != 3) fail(tp + ".num_channels", "must be 3 (RGB)");
    if (t.window_size < 0) fail(tp + ".window_size", "must not be negative");
    if (t.hidden_size % t.num_attention_heads != 0)
        fail(tp + ".num_attention_heads", "does not divide hidden_size " + std::to_string(t.hidden_size));
    if (t.head_dim() % 4 != 0)
        fail(tp + ".num_attention_heads", "the 2D axial rope needs a head dim divisible by 4, got " + std::to_string(t.head_dim()));
    if (t.image_size % t.patch_size != 0) fail(tp + ".image_size", "is not a multiple of patch_size");
    if (t.pretrain_image_size % t.patch_size != 0) fail(tp + ".pretrain_image_size", "is not a multiple of patch_size");
    if (t.rope_type != "axial") fail(tp + ".rope_parameters.rope_type", "only \"axial\" is supported, got \"" + t.rope_type + "\"");
    for (int i : t.global_attn_indexes)
        if (i < 0 || i >= t.num_hidden_layers) fail(tp + ".global_attn_indexes", "index " + std::to_string(i) + " is not a layer");
    require_gelu(t.hidden_act, tp + ".hidden_act");
}

ProcessorConfig parse_processor_config(const json& processor, int image_size) {
    const json& ip = processor.is_object() && processor.contains("image_processor") ? processor["image_processor"] : processor;
    ProcessorConfig pr;
    pr.height = pr.width = image_size;
    if (ip.is_object() && ip.contains("size") && ip["size"].is_object()) {
        pr.height = value(ip["size"], "height", pr.height, "processor.size");
        pr.width = value(ip["size"], "width", pr.width, "processor.size");
    }
    pr.rescale_factor = value(ip, "rescale_factor", pr.rescale_factor, "processor");
    pr.do_rescale = value(ip, "do_rescale", pr.do_rescale, "processor");
    pr.do_normalize = value(ip, "do_normalize", pr.do_normalize, "processor");
    auto triple = [&](const char* key, std::array<double, 3> fallback) {
        if (!ip.is_object() || !ip.contains(key) || ip[key].is_null()) return fallback;
        const json& v = ip[key];
        if (v.is_number()) return std::array<double, 3>{v.get<double>(), v.get<double>(), v.get<double>()};
        if (v.is_array() && v.size() == 3) return std::array<double, 3>{v[0].get<double>(), v[1].get<double>(), v[2].get<double>()};
        throw std::invalid_argument(std::string("processor config: ") + key + " must be a number or 3 numbers");
    };
    pr.image_mean = triple("image_mean", pr.image_mean);
    pr.image_std = triple("image_std", pr.image_std);
    pr.target_size = processor.is_object() ? value(processor, "target_size", pr.height, "processor") : pr.height;
    if (processor.is_object() && processor.contains("target_size") && processor["target_size"].is_null()) pr.target_size = pr.height;

    return pr;
}

void validate_processor_config(const ProcessorConfig& pr, int image_size) {
    if (pr.height != image_size || pr.width != image_size)
        throw std::invalid_argument("processor config: size " + std::to_string(pr.height) + "x" + std::to_string(pr.width) +
                                    " differs from the model's image_size " + std::to_string(image_size));
    for (double s : pr.image_std)
        if (s == 0.0) throw std::invalid_argument("processor config: image_std has a zero");
}

bool TrunkConfig::is_global(int layer) const {
    return std::find(global_attn_indexes.begin(), global_attn_indexes.end(), layer) != global_attn_indexes.end();
}

TrackerConfig parse_tracker_config(const json& config, const json& processor) {
    if (!config.is_object()) throw std::invalid_argument("config.json: not a JSON object");
    const std::string model_type = value(config, "model_type", std::string(), "");
    const json* tracker = &config;
    std::string tracker_path = "";
    bool video_tracker = model_type == "sam3_tracker_video";
    if (model_type == "sam3_video") {
        tracker = &child(config, "tracker_config");
        tracker_path = "tracker_config";
        video_tracker = true;  // Sam3VideoConfig nests a sam3_tracker_video config
    } else if (model_type != "sam3_tracker" && model_type != "sam3_tracker_video") {
        throw std::invalid_argument("config.json: model_type \"" + model_type +
                                    "\" is not a SAM3 video or tracker checkpoint (expected sam3_video)");
    }
    auto sub = [&](const char* key) { return tracker_path.empty() ? std::string(key) : tracker_path + "." + key; };

    TrackerConfig c;
    const json& vision = child(*tracker, "vision_config");
    c.trunk = parse_trunk_config(child(vision, "backbone_config"), sub("vision_config.backbone_config"));
    c.neck = parse_neck_config(vision, sub("vision_config"));

    const json& pe = child(*tracker, "prompt_encoder_config");
    const std::string pp = sub("prompt_encoder_config");
    c.prompt_encoder.hidden_size = value(pe, "hidden_size", c.prompt_encoder.hidden_size, pp);
    c.prompt_encoder.image_size = square_size(pe, "image_size", c.prompt_encoder.image_size, pp);
    c.prompt_encoder.patch_size = square_size(pe, "patch_size", c.prompt_encoder.patch_size, pp);
    c.prompt_encoder.mask_input_channels = value(pe, "mask_input_channels", c.prompt_encoder.mask_input_channels, pp);
    c.prompt_encoder.num_point_embeddings = value(pe, "num_point_embeddings", c.prompt_encoder.num_point_embeddings, pp);
    c.prompt_encoder.hidden_act = value(pe, "hidden_act", c.prompt_encoder.hidden_act, pp);
    c.prompt_encoder.layer_norm_eps = value(pe, "layer_norm_eps", c.prompt_encoder.layer_norm_eps, pp);
    c.prompt_encoder.scale = value(pe, "scale", c.prompt_encoder.scale, pp);

    const json& md = child(*tracker, "mask_decoder_config");
    const std::string dp = sub("mask_decoder_config");
    MaskDecoderConfig& d = c.mask_decoder;
    d.hidden_size = value(md, "hidden_size", d.hidden_size, dp);
    d.hidden_act = value(md, "hidden_act", d.hidden_act, dp);
    d.mlp_dim = value(md, "mlp_dim", d.mlp_dim, dp);
    d.num_hidden_layers = value(md, "num_hidden_layers", d.num_hidden_layers, dp);
    d.num_attention_heads = value(md, "num_attention_heads", d.num_attention_heads, dp);
    d.attention_downsample_rate = value(md, "attention_downsample_rate", d.attention_downsample_rate, dp);
    d.num_multimask_outputs = value(md, "num_multimask_outputs", d.num_multimask_outputs, dp);
    d.iou_head_depth = value(md, "iou_head_depth", d.iou_head_depth, dp);
    d.iou_head_hidden_dim = value(md, "iou_head_hidden_dim", d.iou_head_hidden_dim, dp);
    d.dynamic_multimask_via_stability = value(md, "dynamic_multimask_via_stability", d.dynamic_multimask_via_stability, dp);
    d.dynamic_multimask_stability_delta = value(md, "dynamic_multimask_stability_delta", d.dynamic_multimask_stability_delta, dp);
    d.dynamic_multimask_stability_thresh = value(md, "dynamic_multimask_stability_thresh", d.dynamic_multimask_stability_thresh, dp);

    // Sam3TrackerVideoConfig.__post_init__ re-applies its top-level image_size
    // (default 1008) to the prompt encoder, the vision config and the feature
    // sizes, so that value wins over the nested ones when transformers loads
    // the file; do the same.
    if (video_tracker) {
        const int image_size = square_size(*tracker, "image_size", 1008, tracker_path.empty() ? "(root)" : tracker_path);
        const int patch = c.trunk.patch_size;
        c.prompt_encoder.image_size = image_size;
        c.trunk.image_size = image_size;
        c.neck.backbone_feature_sizes = {{4 * image_size / patch, 4 * image_size / patch},
                                         {2 * image_size / patch, 2 * image_size / patch},
                                         {image_size / patch, image_size / patch}};
    }

    // Processor: Sam3TrackerProcessor's image processor and target size.
    c.processor = parse_processor_config(processor, c.trunk.image_size);

    validate(c);
    // The trunk's weights are stored once, under the detector: its backbone
    // config must describe the same network.
    if (model_type == "sam3_video") {
        const json& det_backbone = child(child(child(config, "detector_config"), "vision_config"), "backbone_config");
        const TrunkConfig det = parse_trunk_config(det_backbone, "detector_config.vision_config.backbone_config");
        auto same = [](const TrunkConfig& a, const TrunkConfig& b) {
            return a.hidden_size == b.hidden_size && a.intermediate_size == b.intermediate_size &&
                   a.num_hidden_layers == b.num_hidden_layers && a.num_attention_heads == b.num_attention_heads &&
                   a.patch_size == b.patch_size && a.pretrain_image_size == b.pretrain_image_size &&
                   a.window_size == b.window_size && a.global_attn_indexes == b.global_attn_indexes &&
                   a.layer_norm_eps == b.layer_norm_eps && a.rope_theta == b.rope_theta;
        };
        if (!same(c.trunk, det))
            throw std::invalid_argument(
                "config.json: tracker_config.vision_config.backbone_config and detector_config.vision_config.backbone_config "
                "describe different trunks, but the checkpoint stores one trunk (under detector_model.vision_encoder.backbone)");
    }

    return c;
}

nlohmann::json read_processor_json(const std::filesystem::path& folder) {
    for (const char* name : {"processor_config.json", "preprocessor_config.json"}) {
        const std::filesystem::path path = folder / name;
        if (!std::filesystem::exists(path)) continue;
        std::ifstream in(path);
        if (!in) throw std::runtime_error(path_to_utf8(path) + ": cannot be opened");
        try {
            return json::parse(in);
        } catch (const json::exception& e) {
            throw std::runtime_error(path_to_utf8(path) + ": invalid JSON: " + e.what());
        }
    }
    return json::object();
}

}  // namespace samlabel::engine::sam3
