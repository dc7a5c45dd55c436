#include "core/engine/sam3/detector/dot_product_scoring.h"

#include <cmath>

namespace samlabel::engine::sam3 {
namespace {
constexpr double kLayerNormEps = 1e-5;
constexpr double kLogitLimit = 12.0;
}  // namespace

DotProductScoringImpl::DotProductScoringImpl(const DetrDecoderConfig& c, const torch::TensorOptions& o)
    : scale(1.0 / std::sqrt(static_cast<double>(c.hidden_size))) {
    text_mlp = register_module("text_mlp", DecoderMlp(c.hidden_size, c.intermediate_size, c.hidden_size, 2, o));
    text_mlp_out_norm = register_module("text_mlp_out_norm", LayerNorm(c.hidden_size, kLayerNormEps, o));
    text_proj = register_module("text_proj", Linear(c.hidden_size, c.hidden_size, o));
    query_proj = register_module("query_proj", Linear(c.hidden_size, c.hidden_size, o));
}

torch::Tensor DotProductScoringImpl::forward(const torch::Tensor& queries, const torch::Tensor& prompt) const {
    const torch::Tensor text = text_mlp_out_norm->forward(text_mlp->forward(prompt) + prompt);
    // The reference's masked mean: (sum of the real tokens) / count.
    const torch::Tensor pooled = text.sum(0) / static_cast<double>(text.size(0));
    const torch::Tensor projected_text = text_proj->forward(pooled);       // [C]
    const torch::Tensor projected_queries = query_proj->forward(queries);  // [Q, C]
    const torch::Tensor logits = torch::matmul(projected_queries, projected_text.unsqueeze(1)).squeeze(1) * scale;
    return logits.to(torch::kFloat).clamp(-kLogitLimit, kLogitLimit);
}

}  // namespace samlabel::engine::sam3
