#pragma once
// INTERNAL (torch). The attention of the detector and the text encoder
// (transformers' Sam3Attention / CLIPAttention): q, k, v and output projections
// of one width, heads of width / heads, scale head_dim^-0.5, an optional
// additive bias (the decoder's box relative-position bias, added after the
// scaling) and an optional causal mask. Token-major without a batch
// dimension: a detection runs one image and one prompt at a time.
#include "core/engine/sam3/common/layers.h"

namespace samlabel::engine::sam3 {

struct MultiHeadAttentionImpl : torch::nn::Module {
    // `output_name`: the output projection's checkpoint name ("o_proj" in
    // SAM3's modules, "out_proj" in CLIP's).
    MultiHeadAttentionImpl(int64_t width, int64_t heads, const torch::TensorOptions& options,
                           const char* output_name = "o_proj");
    // q [Nq, C], k [Nk, C], v [Nk, C]; bias [heads, Nq, Nk] or undefined -> [Nq, C]
    torch::Tensor forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                          const torch::Tensor& bias = {}, bool causal = false) const;
    // The same from already projected q, k, v ([N, C], any float dtype).
    torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                         const torch::Tensor& bias = {}, bool causal = false) const;
    Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out{nullptr};
    int64_t heads, head_dim;
};
TORCH_MODULE(MultiHeadAttention);

}  // namespace samlabel::engine::sam3
