#include "core/engine/sam3/detector/detr_encoder.h"

namespace samlabel::engine::sam3 {
namespace {
constexpr double kLayerNormEps = 1e-5;  // nn.LayerNorm's default (the config's eps is not passed)
}  // namespace

DetrEncoderLayerImpl::DetrEncoderLayerImpl(const DetectorStackConfig& c, const torch::TensorOptions& o) {
    layer_norm1 = register_module("layer_norm1", LayerNorm(c.hidden_size, kLayerNormEps, o));
    self_attn = register_module("self_attn", MultiHeadAttention(c.hidden_size, c.num_attention_heads, o));
    cross_attn = register_module("cross_attn", MultiHeadAttention(c.hidden_size, c.num_attention_heads, o));
    layer_norm2 = register_module("layer_norm2", LayerNorm(c.hidden_size, kLayerNormEps, o));
    mlp = register_module("mlp", ReluMlp(c.hidden_size, c.intermediate_size, o));
    layer_norm3 = register_module("layer_norm3", LayerNorm(c.hidden_size, kLayerNormEps, o));
}

torch::Tensor DetrEncoderLayerImpl::self_attend(torch::Tensor x, const torch::Tensor& position) const {
    const torch::Tensor h = layer_norm1->forward(x);
    const torch::Tensor with_position = h + position;
    return self_attn->forward(with_position, with_position, h) + x;
}

// Out of place on purpose: for the first layer x is the image's cached
// detr_start, shared by every prompt on that image.
torch::Tensor DetrEncoderLayerImpl::attend_prompt(torch::Tensor x, const torch::Tensor& prompt) const {
    const torch::Tensor h = layer_norm2->forward(x);
    x = cross_attn->forward(h, prompt, prompt) + x;
    return mlp->forward(layer_norm3->forward(x)) + x;
}

DetrEncoderImpl::DetrEncoderImpl(const DetectorStackConfig& c, const torch::TensorOptions& o) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < c.num_layers; ++i) layers->push_back(DetrEncoderLayer(c, o));
}

torch::Tensor DetrEncoderImpl::prepare_image(const torch::Tensor& image, const torch::Tensor& position) const {
    if (layers->is_empty()) return image;
    return layers->ptr(0)->as<DetrEncoderLayerImpl>()->self_attend(image, position);
}

torch::Tensor DetrEncoderImpl::forward(torch::Tensor x, const torch::Tensor& position, const torch::Tensor& prompt) const {
    for (std::size_t i = 0; i < layers->size(); ++i) {
        const auto* layer = layers->ptr(i)->as<DetrEncoderLayerImpl>();
        // The first layer's self-attention is in `prepared` already.
        x = i == 0 ? layer->attend_prompt(std::move(x), prompt) : layer->forward(std::move(x), position, prompt);
    }
    return x;
}

}  // namespace samlabel::engine::sam3
