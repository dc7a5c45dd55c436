#include "core/engine/sam3/tracker/prompt_encoder.h"

#include <cmath>

namespace samlabel::engine::sam3 {

FourierPositionalEmbeddingImpl::FourierPositionalEmbeddingImpl(int64_t hidden, const torch::TensorOptions& o) {
    positional_embedding = register_buffer("positional_embedding", torch::empty({2, hidden / 2}, o));
}

torch::Tensor FourierPositionalEmbeddingImpl::forward(const torch::Tensor& coords) const {
    torch::Tensor c = (2 * coords - 1).to(positional_embedding.scalar_type());
    c = torch::matmul(c, positional_embedding);
    c = (2 * M_PI) * c;
    return torch::cat({torch::sin(c), torch::cos(c)}, -1);
}

MaskEmbeddingImpl::MaskEmbeddingImpl(const PromptEncoderConfig& c, const torch::TensorOptions& o) {
    const int64_t quarter = c.mask_input_channels / 4;
    conv1 = register_module("conv1", Conv2d(1, quarter, 2, 2, 0, o));
    conv2 = register_module("conv2", Conv2d(quarter, c.mask_input_channels, 2, 2, 0, o));
    conv3 = register_module("conv3", Conv2d(c.mask_input_channels, c.hidden_size, 1, 1, 0, o));
    layer_norm1 = register_module("layer_norm1", LayerNorm(quarter, c.layer_norm_eps, o));
    layer_norm2 = register_module("layer_norm2", LayerNorm(c.mask_input_channels, c.layer_norm_eps, o));
}

torch::Tensor MaskEmbeddingImpl::forward(const torch::Tensor& masks) const {
    torch::Tensor x = gelu_exact(layer_norm1->forward_channels_first(conv1->forward(masks)));
    x = gelu_exact(layer_norm2->forward_channels_first(conv2->forward(x)));
    return conv3->forward(x);
}

PromptEncoderImpl::PromptEncoderImpl(const PromptEncoderConfig& c, const torch::TensorOptions& o) : config_(c) {
    shared_embedding = register_module("shared_embedding", FourierPositionalEmbedding(c.hidden_size, o));
    mask_embed = register_module("mask_embed", MaskEmbedding(c, o));
    no_mask_embed = register_module("no_mask_embed", TokenTable(1, c.hidden_size, o));
    point_embed = register_module("point_embed", TokenTable(c.num_point_embeddings, c.hidden_size, o));
    not_a_point_embed = register_module("not_a_point_embed", TokenTable(1, c.hidden_size, o));
}

torch::Tensor PromptEncoderImpl::embed_points(torch::Tensor points, torch::Tensor labels, bool pad) const {
    points = points + 0.5;  // pixel centres
    if (pad) {
        points = torch::constant_pad_nd(points, {0, 0, 0, 1}, 0);
        labels = torch::constant_pad_nd(labels, {0, 1}, kLabelNotAPoint);
    }
    torch::Tensor coords = points.clone();
    coords.select(-1, 0).copy_(coords.select(-1, 0) / config_.image_size);
    coords.select(-1, 1).copy_(coords.select(-1, 1) / config_.image_size);
    torch::Tensor embedding = shared_embedding->forward(coords);
    const torch::Tensor l = labels.unsqueeze(-1);
    embedding = torch::where(l == kLabelNotAPoint, not_a_point_embed->weight, embedding);
    embedding = torch::where(l != kLabelPadding, embedding, torch::zeros_like(embedding));
    const torch::Tensor table = point_embed->weight.index_select(0, labels.clamp_min(0).flatten()).view(embedding.sizes());
    return embedding + table * (l >= 0);
}

torch::Tensor PromptEncoderImpl::embed_box(const torch::Tensor& box) const {
    torch::Tensor coords = (box + 0.5).view({box.size(0), box.size(1), 2, 2});
    coords = torch::constant_pad_nd(coords, {0, 0, 0, 1}, 0);
    coords = coords / static_cast<double>(config_.image_size);
    torch::Tensor corners = shared_embedding->forward(coords);
    corners.select(2, 0).add_(point_embed->weight[kLabelBoxTopLeft]);
    corners.select(2, 1).add_(point_embed->weight[kLabelBoxBottomRight]);
    corners.select(2, 2).copy_(not_a_point_embed->weight.expand_as(corners.select(2, 2)));
    return corners;
}

PromptEmbeddings PromptEncoderImpl::forward(torch::Tensor points, torch::Tensor labels, const torch::Tensor& box,
                                            const torch::Tensor& mask) const {
    PromptEmbeddings out;
    if (points.defined()) out.sparse = embed_points(points, labels, /*pad=*/!box.defined());
    if (box.defined()) {
        const torch::Tensor corners = embed_box(box);
        out.sparse = out.sparse.defined() ? torch::cat({out.sparse, corners}, 2) : corners;
    }
    const int64_t g = config_.embedding_size();
    out.dense = mask.defined() ? mask_embed->forward(mask)
                               : no_mask_embed->weight.reshape({1, -1, 1, 1}).expand({1, -1, g, g});
    return out;
}

}  // namespace samlabel::engine::sam3
