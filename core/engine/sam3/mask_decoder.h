#pragma once
// INTERNAL (torch). The tracker's mask decoder (transformers'
// Sam3TrackerMaskDecoder, hub prefix `tracker_model.mask_decoder.`): two-way
// transformer over [object-score, IoU, mask tokens, prompt tokens] and the
// image embedding, upscaling with the high-resolution features (conv_s0/s1
// project them once per image), hypernetwork masks, IoU and object-score
// heads, and the single-mask stability fallback.
#include "core/engine/sam3/layers.h"
#include "core/engine/sam3/sam3_config.h"
#include "core/engine/sam3/two_way_transformer.h"

namespace samlabel::engine::sam3 {

struct DecoderOutput {
    torch::Tensor masks;                // [1, K, 4g, 4g] low-res logits (K = multimask count, or 1)
    torch::Tensor iou_scores;           // [1, K]
    torch::Tensor object_score_logits;  // [1, 1]
};

struct MaskDecoderImpl : torch::nn::Module {
    MaskDecoderImpl(const MaskDecoderConfig& config, const torch::TensorOptions& options);

    // image_embedding [1, C, g, g] (no-memory embedding already applied),
    // image_pe [1, C, g, g], sparse [1, T, C], dense [1, C, g, g],
    // feat_s0 [1, C/8, 4g, 4g], feat_s1 [1, C/4, 2g, 2g] (already projected).
    // image_only: the transformer's per-image work for this image_embedding +
    // dense (then neither is read); null: computed here.
    DecoderOutput forward(const torch::Tensor& image_embedding, const torch::Tensor& image_pe, const torch::Tensor& sparse,
                          const torch::Tensor& dense, const torch::Tensor& feat_s0, const torch::Tensor& feat_s1,
                          bool multimask_output, const FirstBlockImageProjections* image_only = nullptr) const;

    TokenTable iou_token{nullptr}, mask_tokens{nullptr}, obj_score_token{nullptr};
    TwoWayTransformer transformer{nullptr};
    ConvTranspose2d upscale_conv1{nullptr}, upscale_conv2{nullptr};
    LayerNorm upscale_layer_norm{nullptr};
    torch::nn::ModuleList output_hypernetworks_mlps;
    FeedForward iou_prediction_head{nullptr}, pred_obj_score_head{nullptr};
    Conv2d conv_s0{nullptr}, conv_s1{nullptr};

private:
    DecoderOutput select_stable(const torch::Tensor& masks, const torch::Tensor& iou) const;
    MaskDecoderConfig config_;
};
TORCH_MODULE(MaskDecoder);

}  // namespace samlabel::engine::sam3
