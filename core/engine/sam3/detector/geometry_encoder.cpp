#include "core/engine/sam3/detector/geometry_encoder.h"

#include "core/engine/sam3/common/sine_position_encoding.h"
#include "core/engine/sam3/detector/roi_align.h"

namespace samlabel::engine::sam3 {
namespace {
// nn.LayerNorm's default: the detector's modules do not pass the config's eps.
constexpr double kLayerNormEps = 1e-5;
}  // namespace

GeometryLayerImpl::GeometryLayerImpl(const GeometryEncoderConfig& c, const torch::TensorOptions& o) {
    layer_norm1 = register_module("layer_norm1", LayerNorm(c.hidden_size, kLayerNormEps, o));
    self_attn = register_module("self_attn", MultiHeadAttention(c.hidden_size, c.num_attention_heads, o));
    cross_attn = register_module("cross_attn", MultiHeadAttention(c.hidden_size, c.num_attention_heads, o));
    layer_norm2 = register_module("layer_norm2", LayerNorm(c.hidden_size, kLayerNormEps, o));
    mlp = register_module("mlp", ReluMlp(c.hidden_size, c.intermediate_size, o));
    layer_norm3 = register_module("layer_norm3", LayerNorm(c.hidden_size, kLayerNormEps, o));
}

torch::Tensor GeometryLayerImpl::forward(torch::Tensor x, const torch::Tensor& image, const torch::Tensor& image_keys) const {
    torch::Tensor h = layer_norm1->forward(x);
    x = self_attn->forward(h, h, h) + x;
    h = layer_norm2->forward(x);
    x = cross_attn->forward(h, image_keys, image) + x;
    return mlp->forward(layer_norm3->forward(x)) + x;
}

GeometryEncoderImpl::GeometryEncoderImpl(const GeometryEncoderConfig& c, const torch::TensorOptions& o)
    : width(c.hidden_size), roi_size(c.roi_size) {
    label_embed = register_module("label_embed", TokenTable(2, c.hidden_size, o));
    cls_embed = register_module("cls_embed", TokenTable(1, c.hidden_size, o));
    boxes_direct_project = register_module("boxes_direct_project", Linear(4, c.hidden_size, o));
    boxes_pool_project = register_module("boxes_pool_project", Conv2d(c.hidden_size, c.hidden_size, c.roi_size, 1, 0, o));
    boxes_pos_enc_project = register_module("boxes_pos_enc_project", Linear(c.hidden_size + 2, c.hidden_size, o));
    vision_layer_norm = register_module("vision_layer_norm", LayerNorm(c.hidden_size, kLayerNormEps, o));
    final_proj = register_module("final_proj", Linear(c.hidden_size, c.hidden_size, o));
    prompt_layer_norm = register_module("prompt_layer_norm", LayerNorm(c.hidden_size, kLayerNormEps, o));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < c.num_layers; ++i) layers->push_back(GeometryLayer(c, o));
    output_layer_norm = register_module("output_layer_norm", LayerNorm(c.hidden_size, kLayerNormEps, o));
}

torch::Tensor GeometryEncoderImpl::forward(const torch::Tensor& boxes, const torch::Tensor& labels, const torch::Tensor& image,
                                           const torch::Tensor& image_keys, int64_t height, int64_t map_width) const {
    const auto dtype = final_proj->weight.scalar_type();
    const int64_t n = boxes.size(0);
    const torch::Tensor b = boxes.to(dtype);
    torch::Tensor embedded = boxes_direct_project->forward(b);

    // Features pooled inside each box, from the layer-normed level (channels last).
    const torch::Tensor normed = vision_layer_norm->forward(image.view({height, map_width, width}));
    const torch::Tensor scale = torch::tensor({static_cast<float>(map_width), static_cast<float>(height),
                                               static_cast<float>(map_width), static_cast<float>(height)},
                                              b.options()).view({1, 4});
    const torch::Tensor pooled = roi_align(normed, box_cxcywh_to_xyxy(b) * scale, roi_size);  // [N, C, r, r]
    embedded = embedded + boxes_pool_project->forward(pooled).view({n, width});

    // Sine-encoded centre, then the raw height and width: (y, x, h, w).
    const auto cxcywh = b.unbind(-1);
    auto [pos_x, pos_y] = sine_encode_points(cxcywh[0].to(torch::kFloat), cxcywh[1].to(torch::kFloat), width / 2);
    const torch::Tensor position = torch::cat({pos_y.to(dtype), pos_x.to(dtype), cxcywh[3].unsqueeze(1), cxcywh[2].unsqueeze(1)}, 1);
    embedded = embedded + boxes_pos_enc_project->forward(position);
    embedded = label_embed->weight.index_select(0, labels.to(embedded.device())) + embedded;

    torch::Tensor prompt = torch::cat({embedded, cls_embed->weight}, 0);  // the CLS token after the last box
    prompt = prompt_layer_norm->forward(final_proj->forward(prompt));
    for (const auto& layer : *layers) prompt = layer->as<GeometryLayerImpl>()->forward(std::move(prompt), image, image_keys);
    return output_layer_norm->forward(prompt);
}

}  // namespace samlabel::engine::sam3
