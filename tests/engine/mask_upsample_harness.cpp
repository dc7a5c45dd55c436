#include "tests/engine/mask_upsample_harness.h"

#include "core/engine/sam3/common/mask_upsample.h"

#include <torch/torch.h>

#include <cmath>

namespace samlabel::test {

std::vector<std::vector<std::uint8_t>> fused_upsample_threshold(const std::vector<float>& logits, int k, int h, int w,
                                                                int height, int width) {
    const torch::Tensor t = torch::from_blob(const_cast<float*>(logits.data()), {k, h, w}, torch::kFloat);
    std::vector<std::vector<std::uint8_t>> out(k, std::vector<std::uint8_t>(static_cast<std::size_t>(height) * width, 7));
    std::vector<std::uint8_t*> buffers;
    for (auto& m : out) buffers.push_back(m.data());
    engine::sam3::upsample_threshold_masks(t, height, width, buffers);
    return out;
}

UpsampleComparison compare_with_aten(int k, int h, int w, int height, int width, bool bf16, unsigned seed) {
    torch::manual_seed(seed);
    torch::Tensor logits = torch::randn({k, h, w}) * 4 + torch::linspace(-3, 3, k).view({k, 1, 1});
    if (bf16) logits = logits.to(torch::kBFloat16);
    // The reference: PyTorch's own bilinear upsampling (on the fp32 values, as
    // the processor does), then > 0.
    const torch::Tensor reference_logits =
        at::upsample_bilinear2d(logits.to(torch::kFloat).unsqueeze(0), {height, width}, /*align_corners=*/false)[0];
    const torch::Tensor reference = (reference_logits > 0).to(torch::kByte).contiguous();

    std::vector<std::vector<std::uint8_t>> ours(k, std::vector<std::uint8_t>(static_cast<std::size_t>(height) * width, 7));
    std::vector<std::uint8_t*> buffers;
    for (auto& m : ours) buffers.push_back(m.data());
    engine::sam3::upsample_threshold_masks(logits, height, width, buffers);

    UpsampleComparison c;
    const std::uint8_t* ref = reference.data_ptr<std::uint8_t>();
    const torch::Tensor ref_values = reference_logits.contiguous();
    const float* values = ref_values.data_ptr<float>();
    const std::size_t plane = static_cast<std::size_t>(height) * width;
    for (int m = 0; m < k; ++m)
        for (std::size_t i = 0; i < plane; ++i) {
            const std::size_t at = m * plane + i;
            ++c.pixels;
            c.positives += ref[at];
            if (ours[m][i] != ref[at]) {
                ++c.mismatches;
                // Different but equally valid float operation orders (FMA) can
                // only flip values a few ulps from 0.
                if (std::abs(values[at]) > 1e-5f) ++c.mismatches_not_near_zero;
            }
        }
    return c;
}

}  // namespace samlabel::test
