#include "core/engine/sam3/tracker/two_way_transformer.h"

#include <cmath>

namespace samlabel::engine::sam3 {
namespace {
// nn.LayerNorm's default: the two-way transformer does not take the config's eps.
constexpr double kTorchLayerNormEps = 1e-5;
}  // namespace

DecoderAttentionImpl::DecoderAttentionImpl(const MaskDecoderConfig& c, int downsample_rate, const torch::TensorOptions& o)
    : heads(c.num_attention_heads) {
    const int64_t internal = c.hidden_size / downsample_rate;
    head_dim = internal / heads;
    q_proj = register_module("q_proj", Linear(c.hidden_size, internal, o));
    k_proj = register_module("k_proj", Linear(c.hidden_size, internal, o));
    v_proj = register_module("v_proj", Linear(c.hidden_size, internal, o));
    o_proj = register_module("o_proj", Linear(internal, c.hidden_size, o));
}

std::uint64_t FirstBlockImageProjections::byte_size() const {
    std::uint64_t bytes = 0;
    for (const torch::Tensor* t : {&keys, &token_to_image_k, &token_to_image_v, &image_to_token_q})
        if (t->defined()) bytes += t->nbytes();
    return bytes;
}

torch::Tensor DecoderAttentionImpl::forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const {
    return forward_projected(q_proj->forward(q), k_proj->forward(k), v_proj->forward(v));
}

torch::Tensor DecoderAttentionImpl::forward_projected(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const {
    // softmax(q k^T / sqrt(d)) v per head, as SDPA without a mask; the scale
    // goes on the smaller side.
    const int64_t nq = q.size(0), nk = k.size(0), inner = heads * head_dim;
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    // [N, heads * d] -> fp32 [heads, N, d]: a contiguous conversion, then a strided view the GEMMs read as is.
    auto per_head = [&](const torch::Tensor& x) { return x.to(torch::kFloat).view({x.size(0), heads, head_dim}).transpose(0, 1); };
    if (nq <= nk) {
        const torch::Tensor scores = torch::bmm(per_head(q) * scale, per_head(k).transpose(1, 2));  // [heads, nq, nk]
        const torch::Tensor out = torch::bmm(torch::softmax(scores, -1), per_head(v));              // [heads, nq, d]
        // Back to [nq, heads * d] rows in the weights' dtype for o_proj.
        torch::Tensor merged = torch::empty({nq, heads, head_dim}, o_proj->weight.options());
        merged.copy_(out.transpose(0, 1));
        return o_proj->forward(merged.view({nq, inner}));
    }
    // Many queries over few keys (image -> tokens): the scores as [heads, nk, nq]
    // so the softmax runs over dim 1 (the few keys) contiguously along the
    // queries; the output comes out as [heads * d, nq], which o_proj reads transposed.
    const torch::Tensor scores = torch::bmm(per_head(k) * scale, per_head(q).transpose(1, 2));  // [heads, nk, nq]
    const torch::Tensor out = torch::bmm(per_head(v).transpose(1, 2), torch::softmax(scores, 1));  // [heads, d, nq]
    return o_proj->forward(out.view({inner, nq}).to(o_proj->weight.scalar_type()).t());
}

TwoWayBlockImpl::TwoWayBlockImpl(const MaskDecoderConfig& c, bool skip_pe, const torch::TensorOptions& o)
    : skip_first_layer_pe(skip_pe) {
    self_attn = register_module("self_attn", DecoderAttention(c, 1, o));
    layer_norm1 = register_module("layer_norm1", LayerNorm(c.hidden_size, kTorchLayerNormEps, o));
    cross_attn_token_to_image = register_module("cross_attn_token_to_image", DecoderAttention(c, c.attention_downsample_rate, o));
    layer_norm2 = register_module("layer_norm2", LayerNorm(c.hidden_size, kTorchLayerNormEps, o));
    // Upstream passes the decoder depth as the MLP depth (2 -> no hidden layer).
    mlp = register_module("mlp", FeedForward(c.hidden_size, c.mlp_dim, c.hidden_size, c.num_hidden_layers, false, o));
    layer_norm3 = register_module("layer_norm3", LayerNorm(c.hidden_size, kTorchLayerNormEps, o));
    layer_norm4 = register_module("layer_norm4", LayerNorm(c.hidden_size, kTorchLayerNormEps, o));
    cross_attn_image_to_token = register_module("cross_attn_image_to_token", DecoderAttention(c, c.attention_downsample_rate, o));
}

std::pair<torch::Tensor, torch::Tensor> TwoWayBlockImpl::forward(torch::Tensor queries, torch::Tensor keys,
                                                                 const torch::Tensor& query_pe,
                                                                 const torch::Tensor& key_pe,
                                                                 const FirstBlockImageProjections* image_only) const {
    if (skip_first_layer_pe) {
        queries = self_attn->forward(queries, queries, queries);
    } else {
        const torch::Tensor q = queries + query_pe;
        queries = queries + self_attn->forward(q, q, queries);
    }
    queries = layer_norm1->forward(queries);

    // Both cross attentions read the image through keys + key_pe, before keys change.
    const torch::Tensor keys_pe = image_only ? torch::Tensor() : keys + key_pe;
    torch::Tensor q = queries + query_pe;
    const DecoderAttentionImpl& to_image = *cross_attn_token_to_image;
    const torch::Tensor attended = image_only ? to_image.forward_projected(to_image.q_proj->forward(q), image_only->token_to_image_k,
                                                                           image_only->token_to_image_v)
                                              : to_image.forward(q, keys_pe, keys);
    queries = layer_norm2->forward(queries + attended);

    queries = layer_norm3->forward(queries + mlp->forward(queries));

    q = queries + query_pe;
    const DecoderAttentionImpl& to_token = *cross_attn_image_to_token;
    const torch::Tensor attending = image_only ? to_token.forward_projected(image_only->image_to_token_q, to_token.k_proj->forward(q),
                                                                            to_token.v_proj->forward(queries))
                                               : to_token.forward(keys_pe, q, queries);
    keys = layer_norm4->forward(keys + attending);
    return {queries, keys};
}

TwoWayTransformerImpl::TwoWayTransformerImpl(const MaskDecoderConfig& c, const torch::TensorOptions& o) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < c.num_hidden_layers; ++i) layers->push_back(TwoWayBlock(c, i == 0, o));
    final_attn_token_to_image = register_module("final_attn_token_to_image", DecoderAttention(c, c.attention_downsample_rate, o));
    layer_norm_final_attn = register_module("layer_norm_final_attn", LayerNorm(c.hidden_size, kTorchLayerNormEps, o));
}

std::pair<torch::Tensor, torch::Tensor> TwoWayTransformerImpl::forward(const torch::Tensor& tokens,
                                                                       const FirstBlockImageProjections& image,
                                                                       const torch::Tensor& image_pe) const {
    torch::Tensor keys = image.keys;
    torch::Tensor queries = tokens;
    bool first = true;
    for (const auto& layer : *layers) {
        std::tie(queries, keys) = layer->as<TwoWayBlockImpl>()->forward(
            queries, keys, tokens, image_pe, first && image.has_projections() ? &image : nullptr);
        first = false;
    }
    const torch::Tensor q = queries + tokens;
    const torch::Tensor k = keys + image_pe;
    queries = layer_norm_final_attn->forward(queries + final_attn_token_to_image->forward(q, k, keys));
    return {queries, keys};
}

FirstBlockImageProjections TwoWayTransformerImpl::project_image(const torch::Tensor& keys, const torch::Tensor& image_pe) const {
    // The very expressions TwoWayBlockImpl::forward evaluates on the first block.
    FirstBlockImageProjections out;
    out.keys = keys;
    if (layers->is_empty()) return out;
    const auto& first = *layers->ptr<TwoWayBlockImpl>(0);
    const torch::Tensor keys_pe = keys + image_pe;
    // Kept in fp32, the attention core's dtype: a click then converts nothing.
    out.token_to_image_k = first.cross_attn_token_to_image->k_proj->forward(keys_pe).to(torch::kFloat);
    out.token_to_image_v = first.cross_attn_token_to_image->v_proj->forward(keys).to(torch::kFloat);
    out.image_to_token_q = first.cross_attn_image_to_token->q_proj->forward(keys_pe).to(torch::kFloat);
    return out;
}

}  // namespace samlabel::engine::sam3
