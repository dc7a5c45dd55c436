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

// The two routes of a CPU bf16 product (core/engine/sam3/common/cpu_bf16_gemm.h)
// on seeded bf16 operands, each against the product computed in fp64 from
// the same bf16 values.
struct Bf16GemmComparison {
    double native_error = 0, via_fp32_error = 0, scale = 0;  // largest |error|, largest |exact|
    bool small_product_is_plain_linear = false;  // fewer rows than the threshold: torch::linear, bit for bit
    bool chosen_by_cpu = false;   // no SAMLABEL_CPU_BF16_GEMM in the environment
    bool chose_via_fp32 = false;
    bool cpu_has_amx_bf16 = false;
    // The rule on described CPUs: x86-64 with / without AMX, another architecture.
    bool rule_x86_amx_via_fp32 = false, rule_x86_plain_via_fp32 = false, rule_other_via_fp32 = false;
};
Bf16GemmComparison compare_bf16_gemm_routes(int rows, int in, int out, unsigned seed);

}  // namespace samlabel::test
