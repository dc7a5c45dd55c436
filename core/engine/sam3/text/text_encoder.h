#pragma once
// INTERNAL (torch). SAM3's text encoder: the CLIP text transformer
// (transformers' CLIPTextModel, hub prefix
// `detector_model.text_encoder.text_model.`): token + position embeddings,
// pre-norm layers of causal self-attention and an exact-GELU MLP, a final
// layer norm. SAM3 reads every token's state (projected to the detector's
// width by `detector_model.text_projection`); CLIP's own pooled output and
// its `text_projection` are not used and not loaded.
//
// Runs on the prompt's real tokens only (start .. end): with causal attention
// a real token never sees the padding after it, and the detector masks the
// padding everywhere it reads the text, so the padding's states are never used.
#include "core/engine/sam3/common/layers.h"
#include "core/engine/sam3/common/multi_head_attention.h"
#include "core/engine/sam3/detector/detector_config.h"

namespace samlabel::engine::sam3 {

struct ClipEmbeddingsImpl : torch::nn::Module {
    ClipEmbeddingsImpl(const TextEncoderConfig& config, const torch::TensorOptions& options);
    TokenTable token_embedding{nullptr}, position_embedding{nullptr};
};
TORCH_MODULE(ClipEmbeddings);

struct ClipMlpImpl : torch::nn::Module {
    ClipMlpImpl(const TextEncoderConfig& config, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x) const { return fc2->forward(gelu_exact(fc1->forward(x))); }
    Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(ClipMlp);

struct ClipLayerImpl : torch::nn::Module {
    ClipLayerImpl(const TextEncoderConfig& config, const torch::TensorOptions& options);
    torch::Tensor forward(torch::Tensor x) const;
    LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
    MultiHeadAttention self_attn{nullptr};
    ClipMlp mlp{nullptr};
};
TORCH_MODULE(ClipLayer);

struct ClipEncoderImpl : torch::nn::Module {
    ClipEncoderImpl(const TextEncoderConfig& config, const torch::TensorOptions& options);
    torch::nn::ModuleList layers;
};
TORCH_MODULE(ClipEncoder);

struct ClipTextModelImpl : torch::nn::Module {
    ClipTextModelImpl(const TextEncoderConfig& config, const torch::TensorOptions& options);
    // ids [L] int64 (start .. end, no padding) -> final-layer-norm states [L, hidden]
    torch::Tensor forward(const torch::Tensor& ids) const;
    ClipEmbeddings embeddings{nullptr};
    ClipEncoder encoder{nullptr};
    LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(ClipTextModel);

// The `text_encoder` module of the hub layout: holds `text_model`.
struct TextEncoderImpl : torch::nn::Module {
    TextEncoderImpl(const TextEncoderConfig& config, const torch::TensorOptions& options);
    ClipTextModel text_model{nullptr};
};
TORCH_MODULE(TextEncoder);

}  // namespace samlabel::engine::sam3
