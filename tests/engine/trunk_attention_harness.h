#pragma once
// Test helper: drives the internal RoPE kernel (core/engine/sam3/trunk/
// rotary_embedding.h, which speaks torch) from Qt Test files (which must not
// include torch), with plain numbers out.
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

}  // namespace samlabel::test
