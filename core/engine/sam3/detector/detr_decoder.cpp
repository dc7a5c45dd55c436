#include "core/engine/sam3/detector/detr_decoder.h"

#include "core/engine/sam3/common/sine_position_encoding.h"

#include <cmath>

namespace samlabel::engine::sam3 {
namespace {
constexpr double kLayerNormEps = 1e-5;  // nn.LayerNorm's default
constexpr double kPresenceLogitLimit = 10.0;

// sign(8 d) log2(|8 d| + 1) / log2(8): distances to the box edges, log-scaled.
torch::Tensor log_scaled(const torch::Tensor& d) {
    const torch::Tensor scaled = d * 8;
    return torch::sign(scaled) * torch::log2(torch::abs(scaled) + 1.0) / std::log2(8.0);
}
}  // namespace

DetrDecoderLayerImpl::DetrDecoderLayerImpl(const DetrDecoderConfig& c, const torch::TensorOptions& o) {
    self_attn = register_module("self_attn", MultiHeadAttention(c.hidden_size, c.num_attention_heads, o));
    self_attn_layer_norm = register_module("self_attn_layer_norm", LayerNorm(c.hidden_size, kLayerNormEps, o));
    text_cross_attn = register_module("text_cross_attn", MultiHeadAttention(c.hidden_size, c.num_attention_heads, o));
    text_cross_attn_layer_norm = register_module("text_cross_attn_layer_norm", LayerNorm(c.hidden_size, kLayerNormEps, o));
    vision_cross_attn = register_module("vision_cross_attn", MultiHeadAttention(c.hidden_size, c.num_attention_heads, o));
    vision_cross_attn_layer_norm = register_module("vision_cross_attn_layer_norm", LayerNorm(c.hidden_size, kLayerNormEps, o));
    mlp = register_module("mlp", ReluMlp(c.hidden_size, c.intermediate_size, o));
    mlp_layer_norm = register_module("mlp_layer_norm", LayerNorm(c.hidden_size, kLayerNormEps, o));
}

torch::Tensor DetrDecoderLayerImpl::forward(torch::Tensor x, const torch::Tensor& query_pos, const torch::Tensor& prompt,
                                            const torch::Tensor& image, const torch::Tensor& image_keys,
                                            const torch::Tensor& bias) const {
    torch::Tensor q = x + query_pos;
    x = self_attn_layer_norm->forward(x + self_attn->forward(q, q, x));
    q = x + query_pos;
    x = text_cross_attn_layer_norm->forward(x + text_cross_attn->forward(q, prompt, prompt));
    q = x + query_pos;
    x = vision_cross_attn_layer_norm->forward(x + vision_cross_attn->forward(q, image_keys, image, bias));
    return mlp_layer_norm->forward(x + mlp->forward(x));
}

DetrDecoderImpl::DetrDecoderImpl(const DetrDecoderConfig& c, const torch::TensorOptions& o)
    : width(c.hidden_size), heads(c.num_attention_heads) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < c.num_layers; ++i) layers->push_back(DetrDecoderLayer(c, o));
    output_layer_norm = register_module("output_layer_norm", LayerNorm(c.hidden_size, kLayerNormEps, o));
    box_head = register_module("box_head", DecoderMlp(c.hidden_size, c.hidden_size, 4, 3, o));
    query_embed = register_module("query_embed", TokenTable(c.num_queries, c.hidden_size, o));
    reference_points = register_module("reference_points", TokenTable(c.num_queries, 4, o));
    presence_token = register_module("presence_token", TokenTable(1, c.hidden_size, o));
    presence_head = register_module("presence_head", DecoderMlp(c.hidden_size, c.hidden_size, 1, 3, o));
    presence_layer_norm = register_module("presence_layer_norm", LayerNorm(c.hidden_size, kLayerNormEps, o));
    ref_point_head = register_module("ref_point_head", DecoderMlp(2 * c.hidden_size, c.hidden_size, c.hidden_size, 2, o));
    box_rpb_embed_x = register_module("box_rpb_embed_x", DecoderMlp(2, c.hidden_size, c.num_attention_heads, 2, o));
    box_rpb_embed_y = register_module("box_rpb_embed_y", DecoderMlp(2, c.hidden_size, c.num_attention_heads, 2, o));
}

torch::Tensor DetrDecoderImpl::relative_position_bias(const torch::Tensor& reference, int64_t grid_height,
                                                      int64_t grid_width) const {
    const auto dtype = output_layer_norm->weight.scalar_type();
    const auto f32 = reference.options();
    const torch::Tensor xyxy = box_cxcywh_to_xyxy(reference);  // [Q, 4] fp32
    // Grid coordinates i / n (not pixel centres), as the reference.
    const torch::Tensor ys = torch::arange(0, grid_height, f32) / grid_height;
    const torch::Tensor xs = torch::arange(0, grid_width, f32) / grid_width;
    using torch::indexing::Slice;
    const torch::Tensor dy = ys.view({1, -1, 1}) - xyxy.index({Slice(), Slice(1, 4, 2)}).unsqueeze(1);  // [Q, H, 2] (y0, y1)
    const torch::Tensor dx = xs.view({1, -1, 1}) - xyxy.index({Slice(), Slice(0, 3, 2)}).unsqueeze(1);  // [Q, W, 2] (x0, x1)
    const torch::Tensor ey = box_rpb_embed_y->forward(log_scaled(dy).to(dtype));  // [Q, H, heads]
    const torch::Tensor ex = box_rpb_embed_x->forward(log_scaled(dx).to(dtype));  // [Q, W, heads]
    const int64_t q = reference.size(0);
    torch::Tensor bias = torch::empty({heads, q + 1, grid_height * grid_width}, ey.options());
    bias.select(1, 0).zero_();
    // bias[h, 1 + i, y * W + x] = ey[i, y, h] + ex[i, x, h]
    torch::Tensor rows = bias.slice(1, 1).view({heads, q, grid_height, grid_width});
    torch::add_out(rows, ey.permute({2, 0, 1}).unsqueeze(3), ex.permute({2, 0, 1}).unsqueeze(2));
    return bias;
}

DetrDecoderOutput DetrDecoderImpl::forward(const torch::Tensor& image, const torch::Tensor& position,
                                           const torch::Tensor& prompt, int64_t grid_height, int64_t grid_width) const {
    const torch::Tensor image_keys = image + position;
    torch::Tensor reference = torch::sigmoid(reference_points->weight.to(torch::kFloat));  // [Q, 4]
    torch::Tensor x = torch::cat({presence_token->weight, query_embed->weight}, 0);       // [1 + Q, C]
    const auto dtype = x.scalar_type();
    const torch::Tensor zero_row = torch::zeros({1, width}, x.options());
    DetrDecoderOutput out;
    for (const auto& module : *layers) {
        const auto* layer = module->as<DetrDecoderLayerImpl>();
        const torch::Tensor query_pos = ref_point_head->forward(sine_encode_boxes(reference, width / 2).to(dtype));
        x = layer->forward(std::move(x), torch::cat({zero_row, query_pos}, 0), prompt, image, image_keys,
                           relative_position_bias(reference, grid_height, grid_width));
        const torch::Tensor queries = output_layer_norm->forward(x.slice(0, 1));
        const torch::Tensor delta = box_head->forward(queries).to(torch::kFloat);
        reference = torch::sigmoid(delta + inverse_sigmoid(reference));
        const torch::Tensor presence = presence_head->forward(presence_layer_norm->forward(x.slice(0, 0, 1)));
        out.queries = queries;
        out.presence_logit = presence.view({1}).to(torch::kFloat).clamp(-kPresenceLogitLimit, kPresenceLogitLimit);
    }
    out.boxes = reference;
    return out;
}

}  // namespace samlabel::engine::sam3
