#pragma once
// Everything the SAM3 click-to-segment path reads from a checkpoint folder:
// config.json of the hub layout (model_type "sam3_video": the tracker's vision,
// prompt-encoder and mask-decoder configs under "tracker_config"; the trunk's
// weights live under the detector, whose backbone config must agree) and the
// processor config (processor_config.json / preprocessor_config.json).
// Defaults are transformers 5.23's (configuration_sam3*.py) for fields a file
// leaves out. No torch here.
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace samlabel::engine::sam3 {

// Sam3ViTConfig: the Perception Encoder trunk.
struct TrunkConfig {
    int hidden_size = 1024;
    int intermediate_size = 4736;
    int num_hidden_layers = 32;
    int num_attention_heads = 16;
    int num_channels = 3;
    int image_size = 1008;
    int patch_size = 14;
    int pretrain_image_size = 336;  // the stored position embedding's grid, tiled to the input grid
    int window_size = 24;
    std::vector<int> global_attn_indexes{7, 15, 23, 31};
    double layer_norm_eps = 1e-6;
    std::string hidden_act = "gelu";
    std::string rope_type = "axial";
    double rope_theta = 10000.0;

    int grid_size() const { return image_size / patch_size; }
    int pretrain_grid_size() const { return pretrain_image_size / patch_size; }
    int head_dim() const { return hidden_size / num_attention_heads; }
    bool is_global(int layer) const;
};

// Sam3VisionConfig minus the trunk: the FPN neck.
struct NeckConfig {
    int fpn_hidden_size = 256;
    std::vector<double> scale_factors{4.0, 2.0, 1.0, 0.5};
    std::vector<std::array<int, 2>> backbone_feature_sizes{{288, 288}, {144, 144}, {72, 72}};
};

// Sam3TrackerPromptEncoderConfig.
struct PromptEncoderConfig {
    int hidden_size = 256;
    int image_size = 1008;
    int patch_size = 14;
    int mask_input_channels = 16;
    int num_point_embeddings = 4;
    std::string hidden_act = "gelu";
    double layer_norm_eps = 1e-6;
    double scale = 1.0;

    int embedding_size() const { return image_size / patch_size; }   // image embedding grid
    int mask_input_size() const { return 4 * image_size / patch_size; }
};

// Sam3TrackerMaskDecoderConfig.
struct MaskDecoderConfig {
    int hidden_size = 256;
    std::string hidden_act = "gelu";
    int mlp_dim = 2048;
    int num_hidden_layers = 2;
    int num_attention_heads = 8;
    int attention_downsample_rate = 2;
    int num_multimask_outputs = 3;
    int iou_head_depth = 3;
    int iou_head_hidden_dim = 256;
    bool dynamic_multimask_via_stability = true;
    double dynamic_multimask_stability_delta = 0.05;
    double dynamic_multimask_stability_thresh = 0.98;

    int num_mask_tokens() const { return num_multimask_outputs + 1; }
};

// Sam3ImageProcessor as Sam3TrackerProcessor uses it.
struct ProcessorConfig {
    int height = 1008;  // resize target, aspect not kept
    int width = 1008;
    double rescale_factor = 1.0 / 255.0;
    std::array<double, 3> image_mean{0.5, 0.5, 0.5};
    std::array<double, 3> image_std{0.5, 0.5, 0.5};
    bool do_rescale = true;
    bool do_normalize = true;
    int target_size = 1008;  // prompt coordinates are scaled to target_size x target_size
};

struct TrackerConfig {
    TrunkConfig trunk;
    NeckConfig neck;
    PromptEncoderConfig prompt_encoder;
    MaskDecoderConfig mask_decoder;
    ProcessorConfig processor;

    // The neck levels the click path uses: the first three (4x, 2x, 1x). The
    // tracker adds its no-memory embedding to the LAST neck level, which is the
    // 1x level only when the config has exactly three scale factors; with the
    // default four the embedding lands on the 0.5x level that the tracker then
    // drops (transformers' Sam3TrackerModel behaviour, followed for parity).
    static constexpr int kUsedNeckLevels = 3;
    bool no_memory_embedding_applies() const { return neck.scale_factors.size() == kUsedNeckLevels; }
};

// Parses config.json's JSON (sam3_video, sam3_tracker or sam3_tracker_video
// layouts) and the processor JSON (may be null: defaults from the model size).
// Throws std::invalid_argument naming the field and the problem for values
// that cannot work (non-square sizes, sizes not divisible by the patch, head
// counts that do not divide the width, inconsistent trunk configs, unsupported
// activations or rope types).
TrackerConfig parse_tracker_config(const nlohmann::json& config, const nlohmann::json& processor);

// The parts both paths share, for the detector's parser too. `path` prefixes
// the field names in error messages (e.g. "detector_config.vision_config").
TrunkConfig parse_trunk_config(const nlohmann::json& backbone, const std::string& path);
NeckConfig parse_neck_config(const nlohmann::json& vision, const std::string& path);
// Throws std::invalid_argument for a trunk the native modules cannot run.
void validate_trunk_config(const TrunkConfig& trunk, const std::string& path);
// The processor JSON (processor_config.json's "image_processor", or the object
// itself; may be null) with defaults for a model of `image_size`.
ProcessorConfig parse_processor_config(const nlohmann::json& processor, int image_size);
void validate_processor_config(const ProcessorConfig& processor, int image_size);

// Reads processor_config.json (its "image_processor" object) or
// preprocessor_config.json from a checkpoint folder; an empty object when
// neither exists. Throws std::runtime_error naming the file when unreadable.
nlohmann::json read_processor_json(const std::filesystem::path& folder);

}  // namespace samlabel::engine::sam3
