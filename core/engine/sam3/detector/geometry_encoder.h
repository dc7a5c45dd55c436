#pragma once
// INTERNAL (torch). SAM3's geometry encoder (transformers' Sam3GeometryEncoder,
// hub prefix `detector_model.geometry_encoder.`): turns exemplar boxes into
// prompt tokens. Each box is the sum of a direct projection of its normalised
// (cx, cy, w, h), a projection of the image features pooled inside it (ROI
// align over the layer-normed 1x level), a projection of its sine-encoded
// centre plus raw size, and a positive/negative label embedding; a CLS token
// follows the boxes; then pre-norm layers of self-attention, cross-attention
// to the image and a ReLU MLP, and an output layer norm.
#include "core/engine/sam3/common/multi_head_attention.h"
#include "core/engine/sam3/detector/detector_config.h"
#include "core/engine/sam3/detector/detector_layers.h"

namespace samlabel::engine::sam3 {

struct GeometryLayerImpl : torch::nn::Module {
    GeometryLayerImpl(const GeometryEncoderConfig& config, const torch::TensorOptions& options);
    // prompt [P, C]; image [HW, C]; image_keys = image + position [HW, C]
    torch::Tensor forward(torch::Tensor prompt, const torch::Tensor& image, const torch::Tensor& image_keys) const;
    LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr}, layer_norm3{nullptr};
    MultiHeadAttention self_attn{nullptr}, cross_attn{nullptr};
    ReluMlp mlp{nullptr};
};
TORCH_MODULE(GeometryLayer);

struct GeometryEncoderImpl : torch::nn::Module {
    GeometryEncoderImpl(const GeometryEncoderConfig& config, const torch::TensorOptions& options);
    // boxes [N, 4] normalised (cx, cy, w, h) fp32; labels [N] int64 (1 positive, 0 negative);
    // image [HW, C]: the detector neck's 1x level as tokens (row-major grid of
    // grid_height x grid_width); image_keys = tokens + sine position [HW, C].
    // -> prompt tokens [N + 1, C]
    torch::Tensor forward(const torch::Tensor& boxes, const torch::Tensor& labels, const torch::Tensor& image,
                          const torch::Tensor& image_keys, int64_t grid_height, int64_t grid_width) const;

    TokenTable label_embed{nullptr}, cls_embed{nullptr};
    Linear boxes_direct_project{nullptr}, boxes_pos_enc_project{nullptr}, final_proj{nullptr};
    Conv2d boxes_pool_project{nullptr};
    LayerNorm vision_layer_norm{nullptr}, prompt_layer_norm{nullptr}, output_layer_norm{nullptr};
    torch::nn::ModuleList layers;
    int64_t width, roi_size;
};
TORCH_MODULE(GeometryEncoder);

}  // namespace samlabel::engine::sam3
