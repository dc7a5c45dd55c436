#pragma once
// INTERNAL (torch). The mask decoder's two-way transformer (transformers'
// Sam3TrackerTwoWayTransformer): prompt tokens and image tokens attend to each
// other, hub prefix `tracker_model.mask_decoder.transformer.`.
#include "core/engine/sam3/layers.h"
#include "core/engine/sam3/sam3_config.h"

#include <cstdint>
#include <utility>

namespace samlabel::engine::sam3 {

// The first block's work that depends only on the image and the dense prompt
// (the no-mask embedding on a click without a previous mask): computed once
// per image with exactly the ops the block would run, so a click reuses the
// same values instead of three [h*w, C] projections.
struct FirstBlockImageProjections {
    torch::Tensor image;         // [1, C, h, w] image embedding + dense prompt embedding
    torch::Tensor token_to_image_k, token_to_image_v;  // cross_attn_token_to_image k/v projections [1, h*w, C']
    torch::Tensor image_to_token_q;                    // cross_attn_image_to_token q projection [1, h*w, C']
    bool defined() const { return image.defined(); }
    std::uint64_t byte_size() const;
};

// Attention whose inner width is hidden / downsample_rate.
struct DecoderAttentionImpl : torch::nn::Module {
    DecoderAttentionImpl(const MaskDecoderConfig& config, int downsample_rate, const torch::TensorOptions& options);
    // [B, Nq, C], [B, Nk, C], [B, Nk, C] -> [B, Nq, C]
    torch::Tensor forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const;
    // The same with q, k, v already through q_proj, k_proj, v_proj.
    torch::Tensor forward_projected(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const;
    Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
    int heads;
    int64_t head_dim;
};
TORCH_MODULE(DecoderAttention);

struct TwoWayBlockImpl : torch::nn::Module {
    TwoWayBlockImpl(const MaskDecoderConfig& config, bool skip_first_layer_pe, const torch::TensorOptions& options);
    // `image_only` (first block only, may be null): precomputed projections of `keys`.
    std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor queries, torch::Tensor keys, const torch::Tensor& query_pe,
                                                    const torch::Tensor& key_pe,
                                                    const FirstBlockImageProjections* image_only = nullptr) const;
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
    // With `image_only` (from project_image), `image` is ignored: image_only->image is used.
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& tokens, const torch::Tensor& image,
                                                    const torch::Tensor& image_pe,
                                                    const FirstBlockImageProjections* image_only = nullptr) const;
    // image [1, C, h, w] (embedding + dense prompt), image_pe [1, C, h, w].
    FirstBlockImageProjections project_image(const torch::Tensor& image, const torch::Tensor& image_pe) const;
    torch::nn::ModuleList layers;
    DecoderAttention final_attn_token_to_image{nullptr};
    LayerNorm layer_norm_final_attn{nullptr};
};
TORCH_MODULE(TwoWayTransformer);

}  // namespace samlabel::engine::sam3
