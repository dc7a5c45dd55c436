#pragma once
// Test helper: drives the trunk's internal RoPE kernel and attention block
// (core/engine/sam3/trunk/, which speak torch) from Qt Test files (which must
// not include torch), with plain numbers out.
#include <cstddef>

namespace samlabel::test {

struct RopeComparison {
    std::size_t values = 0;
    std::size_t nan_in_reference = 0;
    std::size_t mismatches = 0;  // values whose bits differ from the reference (NaN: NaN-ness differs)
};

// Seeded random q/k projections, [batch, grid*grid, heads*head_dim] in fp32 or
// bf16, with NaN, infinities, subnormals, huge values and bf16 rounding ties
// mixed in; samlabel's apply_rope against the reference's formula written here
// as torch ops (x * cos + rotate_pairwise(x) * sin in fp32, then rounded).
RopeComparison compare_rope_with_torch_ops(int batch, int grid, int heads, int head_dim, bool bf16, unsigned seed);

// The trunk's global attention block (RopeAttention, bf16 weights) on a
// grid x grid input: its largest error against the same block in fp32
// (weights and input upcast), with the fp32-attention path the CPU takes for
// long sequences and with plain bf16 attention.
struct AttentionPrecision {
    bool took_fp32_path = false;  // attends_in_fp32() for this input
    double fp32_path_error = 0, bf16_path_error = 0, output_scale = 0;
};
AttentionPrecision global_attention_precision(int grid, int hidden, int heads, unsigned seed);

}  // namespace samlabel::test
