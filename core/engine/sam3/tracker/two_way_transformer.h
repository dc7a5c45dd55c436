#pragma once
// INTERNAL (torch). The mask decoder's two-way transformer (transformers'
// Sam3TrackerTwoWayTransformer): prompt tokens and image tokens attend to each
// other, hub prefix `tracker_model.mask_decoder.transformer.`.
//
// Runs in token-major layout: the image is [h*w, C] rows (contiguous), the
// prompt tokens [T, C], no batch dimension (a click is one image), so every
// op on the h*w image positions is one contiguous GEMM or elementwise op. The
// attention core (scores, softmax, weighted sum) runs in fp32 whatever the
// weights' dtype: it is small (T tokens) and keeps the scores as precise as
// the reference's SDPA.
#include "core/engine/sam3/common/layers.h"
#include "core/engine/sam3/common/sam3_config.h"

#include <cstdint>
#include <utility>

namespace samlabel::engine::sam3 {

// The transformer's per-image input: the image tokens and the first block's
// projections of them that depend only on the image and the dense prompt (the
// no-mask embedding on a click without a previous mask), computed once per
// image with the ops the block would run.
struct FirstBlockImageProjections {
    torch::Tensor keys;                                // [h*w, C] image embedding + dense prompt
    // In fp32 (the attention core's dtype), [h*w, C'] each:
    torch::Tensor token_to_image_k, token_to_image_v;  // cross_attn_token_to_image k/v projections
    torch::Tensor image_to_token_q;                    // cross_attn_image_to_token q projection
    bool has_projections() const { return token_to_image_k.defined(); }
    std::uint64_t byte_size() const;
};

// Attention whose inner width is hidden / downsample_rate.
struct DecoderAttentionImpl : torch::nn::Module {
    DecoderAttentionImpl(const MaskDecoderConfig& config, int downsample_rate, const torch::TensorOptions& options);
    // [Nq, C], [Nk, C], [Nk, C] -> [Nq, C]
    torch::Tensor forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const;
    // The same with q, k, v already through q_proj, k_proj, v_proj ([N, C'], the weights' dtype or fp32).
    torch::Tensor forward_projected(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const;
    Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
    int heads;
    int64_t head_dim;
};
TORCH_MODULE(DecoderAttention);

struct TwoWayBlockImpl : torch::nn::Module {
    TwoWayBlockImpl(const MaskDecoderConfig& config, bool skip_first_layer_pe, const torch::TensorOptions& options);
    // queries [T, C], keys [h*w, C], query_pe [T, C], key_pe [h*w, C].
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
    // tokens [T, C]; image.keys [h*w, C] (with the first block's projections
    // when image.has_projections()); image_pe [h*w, C]
    // -> (tokens [T, C], image tokens [h*w, C])
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& tokens, const FirstBlockImageProjections& image,
                                                    const torch::Tensor& image_pe) const;
    // keys [h*w, C] (embedding + dense prompt), image_pe [h*w, C].
    FirstBlockImageProjections project_image(const torch::Tensor& keys, const torch::Tensor& image_pe) const;
    torch::nn::ModuleList layers;
    DecoderAttention final_attn_token_to_image{nullptr};
    LayerNorm layer_norm_final_attn{nullptr};
};
TORCH_MODULE(TwoWayTransformer);

}  // namespace samlabel::engine::sam3
