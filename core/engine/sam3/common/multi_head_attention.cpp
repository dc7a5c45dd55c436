#include "core/engine/sam3/common/multi_head_attention.h"

namespace samlabel::engine::sam3 {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t width, int64_t heads_, const torch::TensorOptions& o,
                                               const char* output_name)
    : heads(heads_), head_dim(width / heads_) {
    q_proj = register_module("q_proj", Linear(width, width, o));
    k_proj = register_module("k_proj", Linear(width, width, o));
    v_proj = register_module("v_proj", Linear(width, width, o));
    out = register_module(output_name, Linear(width, width, o));
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                              const torch::Tensor& bias, bool causal) const {
    return attend(q_proj->forward(q), k_proj->forward(k), v_proj->forward(v), bias, causal);
}

torch::Tensor MultiHeadAttentionImpl::attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                             const torch::Tensor& bias, bool causal) const {
    const int64_t nq = q.size(0);
    // [N, heads * d] -> [1, heads, N, d] (a strided view SDPA reads as is).
    auto per_head = [&](const torch::Tensor& x) { return x.view({1, x.size(0), heads, head_dim}).transpose(1, 2); };
    const auto dtype = out->weight.scalar_type();
    std::optional<torch::Tensor> mask;
    if (bias.defined()) mask = bias.to(dtype).unsqueeze(0);
    const torch::Tensor attended = at::scaled_dot_product_attention(per_head(q.to(dtype)), per_head(k.to(dtype)),
                                                                    per_head(v.to(dtype)), mask, 0.0, causal);
    return out->forward(attended.transpose(1, 2).reshape({nq, heads * head_dim}));
}

}  // namespace samlabel::engine::sam3
