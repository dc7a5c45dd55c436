#pragma once
// INTERNAL (torch). The mask decoder's two-way transformer (transformers'
// Sam3TrackerTwoWayTransformer): prompt tokens and image tokens attend to each
// other, hub prefix `tracker_model.mask_decoder.transformer.`.
#include "core/engine/sam3/layers.h"
#include "core/engine/sam3/sam3_config.h"

#include <utility>

namespace samlabel::engine::sam3 {

// Attention whose inner width is hidden / downsample_rate.
struct DecoderAttentionImpl : torch::nn::Module {
    DecoderAttentionImpl(const MaskDecoderConfig& config, int downsample_rate, const torch::TensorOptions& options);
    // [B, Nq, C], [B, Nk, C], [B, Nk, C] -> [B, Nq, C]
    torch::Tensor forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const;
    Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
    int heads;
    int64_t head_dim;
};
TORCH_MODULE(DecoderAttention);

struct TwoWayBlockImpl : torch::nn::Module {
    TwoWayBlockImpl(const MaskDecoderConfig& config, bool skip_first_layer_pe, const torch::TensorOptions& options);
    std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor queries, torch::Tensor keys, const torch::Tensor& query_pe,
                                                    const torch::Tensor& key_pe) const;
    DecoderAttention self_attn{nullptr}, cross_attn_token_to_image{nullptr}, cross_attn_image_to_token{nullptr};
    LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr}, layer_norm3{nullptr}, layer_norm4{nullptr};
    FeedForward mlp{nullptr};
    bool skip_first_layer_pe;
};
TORCH_MODULE(TwoWayBlock);

struct TwoWayTransformerImpl : torch::nn::Module {
    TwoWayTransformerImpl(const MaskDecoderConfig& config, const torch::TensorOptions& options);
    // tokens [1, T, C]; image [1, C, h, w]; image_pe [1, C, h, w]
    // -> (tokens [1, T, C], image tokens [1, h*w, C])
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& tokens, const torch::Tensor& image,
                                                    const torch::Tensor& image_pe) const;
    torch::nn::ModuleList layers;
    DecoderAttention final_attn_token_to_image{nullptr};
    LayerNorm layer_norm_final_attn{nullptr};
};
TORCH_MODULE(TwoWayTransformer);

}  // namespace samlabel::engine::sam3
