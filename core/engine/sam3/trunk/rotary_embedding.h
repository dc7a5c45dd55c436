#pragma once
// INTERNAL (torch). SAM3's 2D axial rotary position embedding
// (transformers' Sam3ViTRotaryEmbedding + apply_rotary_pos_emb_2d).
#include "core/engine/sam3/common/sam3_config.h"

#include <torch/torch.h>

namespace samlabel::engine::sam3 {

// cos/sin tables of the 2D axial rope for one grid, fp32, shape [1, N, head_dim].
struct RopeTables {
    torch::Tensor cos, sin;
};

// Sam3ViTRotaryEmbedding + Sam3ViTLayer.precompute_positions: positions of a
// grid_size x grid_size grid, scaled by window_size / grid_size (1 for windowed
// layers; the global layers see the full grid compressed to the window scale).
RopeTables make_rope_tables(const TrunkConfig& config, int grid_size, const torch::Device& device);

// Rotates a q or k projection as it comes out of its Linear: x is
// [..., N, heads * head_dim] (tokens before heads). The arithmetic is the
// reference's: in fp32 whatever x's dtype, x * cos + rotate_pairwise(x) * sin,
// rounded back to x's dtype. On the CPU one fused pass (the op-by-op form was
// 4 of the 13 s of a bf16 encode on 2 cores); elsewhere torch ops.
torch::Tensor apply_rope(const torch::Tensor& x, const RopeTables& rope, int64_t heads);
// The same values left in fp32 (not rounded back to x's dtype), for attention
// that runs in fp32.
torch::Tensor apply_rope_to_fp32(const torch::Tensor& x, const RopeTables& rope, int64_t heads);

}  // namespace samlabel::engine::sam3
