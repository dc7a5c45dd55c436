#pragma once
// INTERNAL (torch). SAM3's query scoring (transformers' Sam3DotProductScoring,
// hub prefix `detector_model.dot_product_scoring.`): the prompt tokens go
// through a residual ReLU MLP and a layer norm and are averaged (every real
// token: text, boxes and the boxes' CLS); each query's logit is the scaled dot
// product of its projection with the average's projection, clamped to +-12.
#include "core/engine/sam3/detector/detector_config.h"
#include "core/engine/sam3/detector/detector_layers.h"

namespace samlabel::engine::sam3 {

struct DotProductScoringImpl : torch::nn::Module {
    DotProductScoringImpl(const DetrDecoderConfig& config, const torch::TensorOptions& options);
    // queries [Q, C], prompt [P, C] -> logits [Q] fp32
    torch::Tensor forward(const torch::Tensor& queries, const torch::Tensor& prompt) const;
    DecoderMlp text_mlp{nullptr};
    LayerNorm text_mlp_out_norm{nullptr};
    Linear text_proj{nullptr}, query_proj{nullptr};
    double scale;
};
TORCH_MODULE(DotProductScoring);

}  // namespace samlabel::engine::sam3
