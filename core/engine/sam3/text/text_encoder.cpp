#include "core/engine/sam3/text/text_encoder.h"

#include <stdexcept>
#include <string>

namespace samlabel::engine::sam3 {

ClipEmbeddingsImpl::ClipEmbeddingsImpl(const TextEncoderConfig& c, const torch::TensorOptions& o) {
    token_embedding = register_module("token_embedding", TokenTable(c.vocab_size, c.hidden_size, o));
    position_embedding = register_module("position_embedding", TokenTable(c.max_position_embeddings, c.hidden_size, o));
}

ClipMlpImpl::ClipMlpImpl(const TextEncoderConfig& c, const torch::TensorOptions& o) {
    fc1 = register_module("fc1", Linear(c.hidden_size, c.intermediate_size, o));
    fc2 = register_module("fc2", Linear(c.intermediate_size, c.hidden_size, o));
}

ClipLayerImpl::ClipLayerImpl(const TextEncoderConfig& c, const torch::TensorOptions& o) {
    self_attn = register_module("self_attn", MultiHeadAttention(c.hidden_size, c.num_attention_heads, o, "out_proj"));
    layer_norm1 = register_module("layer_norm1", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
    mlp = register_module("mlp", ClipMlp(c, o));
    layer_norm2 = register_module("layer_norm2", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
}

torch::Tensor ClipLayerImpl::forward(torch::Tensor x) const {
    const torch::Tensor h = layer_norm1->forward(x);
    x = x + self_attn->forward(h, h, h, {}, /*causal=*/true);
    return x + mlp->forward(layer_norm2->forward(x));
}

ClipEncoderImpl::ClipEncoderImpl(const TextEncoderConfig& c, const torch::TensorOptions& o) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < c.num_hidden_layers; ++i) layers->push_back(ClipLayer(c, o));
}

ClipTextModelImpl::ClipTextModelImpl(const TextEncoderConfig& c, const torch::TensorOptions& o) {
    embeddings = register_module("embeddings", ClipEmbeddings(c, o));
    encoder = register_module("encoder", ClipEncoder(c, o));
    final_layer_norm = register_module("final_layer_norm", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
}

torch::Tensor ClipTextModelImpl::forward(const torch::Tensor& ids) const {
    const torch::Tensor& tokens = embeddings->token_embedding->weight;
    const torch::Tensor& positions = embeddings->position_embedding->weight;
    const int64_t length = ids.size(0);
    if (length > positions.size(0))
        throw std::invalid_argument("text encoder: " + std::to_string(length) + " tokens, the model takes at most " +
                                    std::to_string(positions.size(0)));
    torch::Tensor x = tokens.index_select(0, ids.to(tokens.device())) + positions.slice(0, 0, length);
    for (const auto& layer : *encoder->layers) x = layer->as<ClipLayerImpl>()->forward(std::move(x));
    return final_layer_norm->forward(x);
}

TextEncoderImpl::TextEncoderImpl(const TextEncoderConfig& c, const torch::TensorOptions& o) {
    text_model = register_module("text_model", ClipTextModel(c, o));
}

}  // namespace samlabel::engine::sam3
