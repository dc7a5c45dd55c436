#pragma once
// INTERNAL (torch). SAM3's DETR decoder (transformers' Sam3DetrDecoder, hub
// prefix `detector_model.detr_decoder.`): a presence token and the learned
// object queries, each query with a reference box. Per layer (POST-norm):
// the queries' position comes from the sine-encoded reference box through
// ref_point_head; self-attention, cross-attention to the prompt, cross-attention
// to the encoded image with a box relative-position bias (how far each image
// position lies from the query's box edges, log-scaled, through two small
// MLPs; zero for the presence token), and a ReLU MLP. After each layer the
// boxes are refined in logit space from the layer's input reference, and the
// presence token gives the presence logit (clamped to +-10).
#include "core/engine/sam3/common/multi_head_attention.h"
#include "core/engine/sam3/detector/detector_config.h"
#include "core/engine/sam3/detector/detector_layers.h"

namespace samlabel::engine::sam3 {

struct DetrDecoderLayerImpl : torch::nn::Module {
    DetrDecoderLayerImpl(const DetrDecoderConfig& config, const torch::TensorOptions& options);
    // x [1 + Q, C] (presence token first); query_pos [1 + Q, C] (zero row first);
    // prompt [P, C]; image [HW, C], image_keys = image + position; bias [heads, 1 + Q, HW]
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& query_pos, const torch::Tensor& prompt,
                          const torch::Tensor& image, const torch::Tensor& image_keys, const torch::Tensor& bias) const;
    MultiHeadAttention self_attn{nullptr}, text_cross_attn{nullptr}, vision_cross_attn{nullptr};
    LayerNorm self_attn_layer_norm{nullptr}, text_cross_attn_layer_norm{nullptr}, vision_cross_attn_layer_norm{nullptr},
        mlp_layer_norm{nullptr};
    ReluMlp mlp{nullptr};
};
TORCH_MODULE(DetrDecoderLayer);

struct DetrDecoderOutput {
    torch::Tensor queries;         // [Q, C] the last layer's queries after output_layer_norm
    torch::Tensor boxes;           // [Q, 4] fp32, normalised (cx, cy, w, h), refined by the last layer
    torch::Tensor presence_logit;  // [1] fp32
};

struct DetrDecoderImpl : torch::nn::Module {
    DetrDecoderImpl(const DetrDecoderConfig& config, const torch::TensorOptions& options);
    // image [HW, C] (encoder output), position [HW, C], prompt [P, C]; grid height x width = HW.
    DetrDecoderOutput forward(const torch::Tensor& image, const torch::Tensor& position, const torch::Tensor& prompt,
                              int64_t grid_height, int64_t grid_width) const;
    // [heads, 1 + Q, HW] bias for reference boxes [Q, 4] (cx, cy, w, h); the
    // first row (the presence token) is zero. Written in place, no concatenation.
    torch::Tensor relative_position_bias(const torch::Tensor& reference, int64_t grid_height, int64_t grid_width) const;

    torch::nn::ModuleList layers;
    LayerNorm output_layer_norm{nullptr}, presence_layer_norm{nullptr};
    DecoderMlp box_head{nullptr}, presence_head{nullptr}, ref_point_head{nullptr}, box_rpb_embed_x{nullptr},
        box_rpb_embed_y{nullptr};
    TokenTable query_embed{nullptr}, reference_points{nullptr}, presence_token{nullptr};
    int64_t width, heads;
};
TORCH_MODULE(DetrDecoder);

}  // namespace samlabel::engine::sam3
