#include "core/engine/sam3/two_way_transformer.h"

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
    for (const torch::Tensor* t : {&image, &token_to_image_k, &token_to_image_v, &image_to_token_q})
        if (t->defined()) bytes += t->nbytes();
    return bytes;
}

torch::Tensor DecoderAttentionImpl::forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const {
    return forward_projected(q_proj->forward(q), k_proj->forward(k), v_proj->forward(v));
}

torch::Tensor DecoderAttentionImpl::forward_projected(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const {
    const int64_t b = q.size(0);
    auto split = [&](const torch::Tensor& x) { return x.view({b, -1, heads, head_dim}).transpose(1, 2); };
    const torch::Tensor out = at::scaled_dot_product_attention(split(q), split(k), split(v));
    return o_proj->forward(out.transpose(1, 2).reshape({b, -1, heads * head_dim}));
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

    torch::Tensor q = queries + query_pe;
    const DecoderAttentionImpl& to_image = *cross_attn_token_to_image;
    const torch::Tensor attended = image_only ? to_image.forward_projected(to_image.q_proj->forward(q), image_only->token_to_image_k,
                                                                           image_only->token_to_image_v)
                                              : to_image.forward(q, keys + key_pe, keys);
    queries = layer_norm2->forward(queries + attended);

    queries = layer_norm3->forward(queries + mlp->forward(queries));

    q = queries + query_pe;
    const DecoderAttentionImpl& to_token = *cross_attn_image_to_token;
    const torch::Tensor attending = image_only ? to_token.forward_projected(image_only->image_to_token_q, to_token.k_proj->forward(q),
                                                                            to_token.v_proj->forward(queries))
                                               : to_token.forward(keys + key_pe, q, queries);
    keys = layer_norm4->forward(keys + attending);
    return {queries, keys};
}

TwoWayTransformerImpl::TwoWayTransformerImpl(const MaskDecoderConfig& c, const torch::TensorOptions& o) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < c.num_hidden_layers; ++i) layers->push_back(TwoWayBlock(c, i == 0, o));
    final_attn_token_to_image = register_module("final_attn_token_to_image", DecoderAttention(c, c.attention_downsample_rate, o));
    layer_norm_final_attn = register_module("layer_norm_final_attn", LayerNorm(c.hidden_size, kTorchLayerNormEps, o));
}

std::pair<torch::Tensor, torch::Tensor> TwoWayTransformerImpl::forward(const torch::Tensor& tokens, const torch::Tensor& image,
                                                                       const torch::Tensor& image_pe,
                                                                       const FirstBlockImageProjections* image_only) const {
    torch::Tensor keys = (image_only ? image_only->image : image).flatten(2).transpose(1, 2);
    const torch::Tensor key_pe = image_pe.flatten(2).transpose(1, 2);
    torch::Tensor queries = tokens;
    bool first = true;
    for (const auto& layer : *layers) {
        std::tie(queries, keys) =
            layer->as<TwoWayBlockImpl>()->forward(queries, keys, tokens, key_pe, first ? image_only : nullptr);
        first = false;
    }
    const torch::Tensor q = queries + tokens;
    const torch::Tensor k = keys + key_pe;
    queries = layer_norm_final_attn->forward(queries + final_attn_token_to_image->forward(q, k, keys));
    return {queries, keys};
}

}  // namespace samlabel::engine::sam3

namespace samlabel::engine::sam3 {

FirstBlockImageProjections TwoWayTransformerImpl::project_image(const torch::Tensor& image, const torch::Tensor& image_pe) const {
    // The very expressions TwoWayBlockImpl::forward evaluates on the first block.
    const torch::Tensor keys = image.flatten(2).transpose(1, 2);
    const torch::Tensor key_pe = image_pe.flatten(2).transpose(1, 2);
    FirstBlockImageProjections out;
    out.image = image;
    if (layers->is_empty()) return out;
    const auto& first = *layers->ptr<TwoWayBlockImpl>(0);
    out.token_to_image_k = first.cross_attn_token_to_image->k_proj->forward(keys + key_pe);
    out.token_to_image_v = first.cross_attn_token_to_image->v_proj->forward(keys);
    out.image_to_token_q = first.cross_attn_image_to_token->q_proj->forward(keys + key_pe);
    return out;
}

}  // namespace samlabel::engine::sam3
