#pragma once
// INTERNAL (torch). SAM3's concept detector on top of the shared vision trunk
// (transformers' Sam3Model minus the trunk): the detector's own FPN neck, the
// CLIP text encoder and its projection to the detector's width, the geometry
// (exemplar box) encoder, the DETR encoder and decoder with the presence
// token, dot-product scoring and the mask head. Module names are the hub
// keys below `detector_model.`, so binding a parameter is a prefix join.
//
// Work is split by what it depends on, so that nothing is computed twice:
//   per image   prepare_image: neck levels, the 1x tokens, the mask head's
//               level convolutions (the trunk itself runs once for both paths);
//   per text    encode_text: the CLIP states projected to the detector's width
//               (the predictor caches them per prompt);
//   per prompt  detect: geometry encoder, DETR encoder + decoder, scores, boxes;
//   per query   mask_logits, only for the queries asked for.
#include "core/engine/sam3/detector/detector_config.h"
#include "core/engine/sam3/detector/detector_mask_head.h"
#include "core/engine/sam3/detector/detr_decoder.h"
#include "core/engine/sam3/detector/detr_encoder.h"
#include "core/engine/sam3/detector/dot_product_scoring.h"
#include "core/engine/sam3/detector/geometry_encoder.h"
#include "core/engine/sam3/text/text_encoder.h"
#include "core/engine/sam3/trunk/vision_neck.h"

#include <string>
#include <utility>
#include <vector>

namespace samlabel::engine::sam3 {

inline constexpr const char* kDetectorPrefix = "detector_model.";

// The detector's per-image features, in its dtype on the model's device.
struct DetectorImage {
    torch::Tensor tokens;      // [g*g, C] the neck's 1x level, row-major grid
    torch::Tensor detr_start;  // [g*g, C] tokens after the DETR encoder's first self-attention
    MaskHeadImage mask_head;   // the pixel decoder's per-image convolutions
    int64_t grid_height = 0, grid_width = 0;
    bool defined() const { return tokens.defined(); }
    std::uint64_t byte_size() const;
};

// One prompt's raw outputs, as transformers' Sam3Model returns them for one image.
struct DetectorOutput {
    torch::Tensor logits;          // [Q] fp32, the dot-product logits (clamped +-12)
    torch::Tensor boxes;           // [Q, 4] fp32, normalised xyxy
    torch::Tensor presence_logit;  // [1] fp32
    // What mask_logits needs.
    torch::Tensor queries;         // [Q, C] decoder output
    torch::Tensor encoded;         // [g*g, C] DETR encoder output
    torch::Tensor prompt;          // [P, C] text + box tokens
};

// The hub layout's module tree below `detector_model.`.
// The dtypes the detector's modules compute in (see DetectorModel).
struct DetectorPrecision {
    torch::TensorOptions weights;  // neck, text encoder + projection: the checkpoint's bulk
    torch::TensorOptions prompt;   // geometry encoder, DETR encoder, mask head, per-image features
    torch::TensorOptions decoder;  // DETR decoder, scoring
};

struct DetectorModulesImpl : torch::nn::Module {
    DetectorModulesImpl(const DetectorConfig& config, const TrunkConfig& trunk, const DetectorPrecision& precision);
    std::shared_ptr<torch::nn::Module> vision_encoder;  // holds `neck` (the trunk lives apart: it is shared)
    VisionNeck neck{nullptr};
    TextEncoder text_encoder{nullptr};
    Linear text_projection{nullptr};
    GeometryEncoder geometry_encoder{nullptr};
    DetrEncoder detr_encoder{nullptr};
    DetrDecoder detr_decoder{nullptr};
    DotProductScoring dot_product_scoring{nullptr};
    DetectorMaskHead mask_decoder{nullptr};
};
TORCH_MODULE(DetectorModules);

class DetectorModel {
public:
    // Parameters are created with torch::empty (options may be the meta
    // device), each module in its precision's dtype: the neck and the text
    // encoder (361 M of the detector's 392 M parameters) in the weights' dtype;
    // the per-prompt modules may be wider. The DETR decoder and the scoring
    // (13 M parameters) decide every query's box and score, and in fp32 they
    // keep bf16 weights' scores closer to fp32 than transformers' own bf16.
    DetectorModel(const DetectorConfig& config, const DetectorPrecision& precision);
    DetectorModel(const DetectorConfig& config, const torch::TensorOptions& options)
        : DetectorModel(config, DetectorPrecision{options, options, options}) {}

    // (checkpoint key, tensor) for every parameter, sorted by key.
    std::vector<std::pair<std::string, torch::Tensor>> named_tensors() const;
    // Call once the weights are in: precomputes the 1x level's sine position encoding.
    void weights_loaded();

    // trunk features [1, D, g, g] (any dtype) -> the detector's per-image features.
    DetectorImage prepare_image(const torch::Tensor& trunk_features) const;
    // token ids [L] (start .. end, no padding) -> [L, C] prompt tokens.
    torch::Tensor encode_text(const torch::Tensor& ids) const;
    // text [L, C]; boxes [N, 4] normalised (cx, cy, w, h) fp32 and labels [N]
    // int64 (1 positive, 0 negative), both undefined for a text-only prompt.
    DetectorOutput detect(const DetectorImage& image, const torch::Tensor& text, const torch::Tensor& boxes,
                          const torch::Tensor& labels) const;
    // Mask logits [K, 4g, 4g] fp32 of the queries `indices` (int64 [K]).
    torch::Tensor mask_logits(const DetectorImage& image, const DetectorOutput& output, const torch::Tensor& indices) const;

    const DetectorConfig& config() const { return config_; }
    const DetectorPrecision& precision() const { return precision_; }

private:
    DetectorConfig config_;
    DetectorPrecision precision_;
    DetectorModules modules_{nullptr};
    torch::Tensor prompt_position_, decoder_position_;  // [g*g, C] sine encoding of the 1x level, in each dtype
};

}  // namespace samlabel::engine::sam3
