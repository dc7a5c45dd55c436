#pragma once
// What the SAM3 concept-detection path reads from config.json (hub layout,
// model_type "sam3_video": everything under "detector_config"; a plain "sam3"
// config has the same fields at its root). Defaults are transformers 5.23's
// (configuration_sam3.py, and SAM3's CLIP text config) for fields a file
// leaves out. No torch here.
#include "core/engine/sam3/common/sam3_config.h"

#include <nlohmann/json.hpp>

#include <string>

namespace samlabel::engine::sam3 {

// CLIPTextConfig as Sam3Config sets it up (24 layers of width 1024, 32 tokens).
struct TextEncoderConfig {
    int vocab_size = 49408;
    int hidden_size = 1024;
    int intermediate_size = 4096;
    int num_hidden_layers = 24;
    int num_attention_heads = 16;
    int max_position_embeddings = 32;  // also the prompt's token budget (start + 30 + end)
    double layer_norm_eps = 1e-5;
    std::string hidden_act = "gelu";   // SAM3 uses exact GELU; CLIP's quick_gelu default is refused

    int head_dim() const { return hidden_size / num_attention_heads; }
};

// One transformer stack of the detector (geometry encoder, DETR encoder or decoder).
struct DetectorStackConfig {
    int hidden_size = 256;
    int num_layers = 6;
    int num_attention_heads = 8;
    int intermediate_size = 2048;
    std::string hidden_act = "relu";

    int head_dim() const { return hidden_size / num_attention_heads; }
};

struct GeometryEncoderConfig : DetectorStackConfig {
    int roi_size = 7;
    GeometryEncoderConfig() { num_layers = 3; }
};

struct DetrDecoderConfig : DetectorStackConfig {
    int num_queries = 200;
};

struct DetectorMaskDecoderConfig {
    int hidden_size = 256;
    int num_upsampling_stages = 3;
    int num_attention_heads = 8;
};

struct DetectorConfig {
    TrunkConfig trunk;        // must describe the trunk the checkpoint stores (shared with the click path)
    NeckConfig neck;          // the detector's own FPN (detector_model.vision_encoder.neck)
    TextEncoderConfig text;
    GeometryEncoderConfig geometry;
    DetectorStackConfig detr_encoder;
    DetrDecoderConfig detr_decoder;
    DetectorMaskDecoderConfig mask_decoder;
    ProcessorConfig processor;

    // The neck levels the detector reads: 4x, 2x and 1x (the reference computes
    // the 0.5x level and drops it). The mask head upsamples through all three.
    static constexpr int kUsedNeckLevels = 3;
    int width() const { return neck.fpn_hidden_size; }
};

// Parses config.json (sam3_video or sam3 layouts) and the processor JSON (may
// be null). Throws std::invalid_argument naming the field and the problem for
// values the native detector cannot run: widths that disagree (every detector
// stack runs at the FPN width), head counts that do not divide a width, a
// GroupNorm width not divisible by 8, activations other than the reference's.
DetectorConfig parse_detector_config(const nlohmann::json& config, const nlohmann::json& processor);

}  // namespace samlabel::engine::sam3
