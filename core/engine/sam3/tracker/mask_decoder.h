#pragma once
// INTERNAL (torch). The tracker's mask decoder (transformers'
// Sam3TrackerMaskDecoder, hub prefix `tracker_model.mask_decoder.`): two-way
// transformer over [object-score, IoU, mask tokens, prompt tokens] and the
// image embedding, upscaling with the high-resolution features (conv_s0/s1
// project them once per image), hypernetwork masks, IoU and object-score
// heads, and the single-mask stability fallback.
//
// Token-major throughout (see two_way_transformer.h). The two 2x2 stride-2
// transposed convolutions of the upscaling do not overlap, so each is one
// GEMM per input pixel: [pixels, Cin] x [Cin, 2 * 2 * Cout], whose rows are
// the output pixels in a nested sub-pixel order. The high-resolution features
// are stored once per image in that same order, the layer norm, GELUs and the
// hypernetwork product are per pixel, and only the final [masks, 4h, 4w]
// logits go back to image order.
#include "core/engine/sam3/common/layers.h"
#include "core/engine/sam3/common/sam3_config.h"
#include "core/engine/sam3/tracker/two_way_transformer.h"

namespace samlabel::engine::sam3 {

struct DecoderOutput {
    torch::Tensor masks;                // [1, K, 4g, 4g] low-res logits (K = multimask count, or 1)
    torch::Tensor iou_scores;           // [1, K]
    torch::Tensor object_score_logits;  // [1, 1]
};

// The decoder's per-image inputs in the layouts a click reads, derived once
// per image (MaskDecoderImpl::prepare_image).
struct DecoderImageCache {
    // Image tokens + the no-mask dense embedding and the transformer's first-block projections of them.
    FirstBlockImageProjections no_mask;
    torch::Tensor image_tokens;  // [g*g, C] the image embedding alone (mask prompts add their own dense embedding)
    // feat_s1 + upscale_conv1's bias, rows (y, x) of the g x g grid, columns (dy, dx, channel): [g*g, 4 * C/4].
    torch::Tensor feat_s1;
    // feat_s0 + upscale_conv2's bias, rows (y, x, dy1, dx1), columns (dy2, dx2, channel): [4*g*g, 4 * C/8].
    torch::Tensor feat_s0;
    int64_t grid_h = 0, grid_w = 0;  // g x g
    bool defined() const { return image_tokens.defined(); }
    std::uint64_t byte_size() const;
};

struct MaskDecoderImpl : torch::nn::Module {
    MaskDecoderImpl(const MaskDecoderConfig& config, const torch::TensorOptions& options);

    // Call once the weights are in: the transposed convolutions' weights as GEMM matrices.
    void weights_loaded();

    // image_embedding [1, C, g, g] (no-memory embedding applied), no_mask_dense
    // [1, C, g, g], image_pe [g*g, C], feat_s0 [1, C/8, 4g, 4g], feat_s1
    // [1, C/4, 2g, 2g] (already projected by conv_s0 / conv_s1).
    DecoderImageCache prepare_image(const torch::Tensor& image_embedding, const torch::Tensor& no_mask_dense,
                                    const torch::Tensor& image_pe, const torch::Tensor& feat_s0,
                                    const torch::Tensor& feat_s1) const;

    // image_pe [g*g, C], sparse [1, T, C], dense [1, C, g, g] from a mask
    // prompt, or undefined: the no-mask embedding (the cached projections are used).
    DecoderOutput forward(const DecoderImageCache& image, const torch::Tensor& image_pe, const torch::Tensor& sparse,
                          const torch::Tensor& dense, bool multimask_output) const;

    TokenTable iou_token{nullptr}, mask_tokens{nullptr}, obj_score_token{nullptr};
    TwoWayTransformer transformer{nullptr};
    ConvTranspose2d upscale_conv1{nullptr}, upscale_conv2{nullptr};
    LayerNorm upscale_layer_norm{nullptr};
    torch::nn::ModuleList output_hypernetworks_mlps;
    FeedForward iou_prediction_head{nullptr}, pred_obj_score_head{nullptr};
    Conv2d conv_s0{nullptr}, conv_s1{nullptr};

private:
    DecoderOutput select_stable(const torch::Tensor& masks, const torch::Tensor& iou) const;
    // [pixels, C] tokens -> [1, masks, 4g, 4g] logits.
    torch::Tensor upscale_masks(const torch::Tensor& image_tokens, const DecoderImageCache& image, const torch::Tensor& hyper_in,
                                int64_t grid_h, int64_t grid_w) const;
    MaskDecoderConfig config_;
    torch::Tensor upscale_conv1_matrix_, upscale_conv2_matrix_;  // [Cin, (dy, dx, Cout)]
};
TORCH_MODULE(MaskDecoder);

}  // namespace samlabel::engine::sam3
