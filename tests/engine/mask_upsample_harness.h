#pragma once
// Test helper: drives the internal fused mask upsample + threshold
// (core/engine/sam3/mask_upsample.h, which speaks torch) from Qt Test files
// (which must not include torch), with plain numbers in and out.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace samlabel::test {

// logits: k planes of h x w floats, row-major -> k masks of height x width bytes.
std::vector<std::vector<std::uint8_t>> fused_upsample_threshold(const std::vector<float>& logits, int k, int h, int w,
                                                                int height, int width);

struct UpsampleComparison {
    std::size_t pixels = 0;
    std::size_t positives = 0;                 // in the reference
    std::size_t mismatches = 0;                // bytes that differ from the reference
    std::size_t mismatches_not_near_zero = 0;  // ... where the reference logit is not within rounding of 0
};

// Seeded random logits (normal, plus an offset so some planes are mostly one
// sign), in fp32 or bf16; the fused result against
// at::upsample_bilinear2d(align_corners=false) > 0 on the same tensor.
UpsampleComparison compare_with_aten(int k, int h, int w, int height, int width, bool bf16, unsigned seed);

}  // namespace samlabel::test
