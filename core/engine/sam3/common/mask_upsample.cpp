#include "core/engine/sam3/common/mask_upsample.h"

#include "core/engine/sam3/common/image_processing.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace samlabel::engine::sam3 {
namespace {

// One output axis: the two source indices and their weights per output index,
// computed as ATen's compute_source_index_and_lambda does in fp32
// (area_pixel_compute_scale without a scale factor, then the half-pixel
// source index clamped at 0), so the samples are PyTorch's.
struct AxisTaps {
    std::vector<int64_t> i0, i1;
    std::vector<float> w0, w1;
};

AxisTaps axis_taps(int64_t input_size, int64_t output_size) {
    AxisTaps t;
    t.i0.resize(output_size);
    t.i1.resize(output_size);
    t.w0.resize(output_size);
    t.w1.resize(output_size);
    const float scale = static_cast<float>(input_size) / static_cast<float>(output_size);
    for (int64_t o = 0; o < output_size; ++o) {
        if (input_size == output_size) {
            t.i0[o] = t.i1[o] = o;
            t.w0[o] = 1.f;
            t.w1[o] = 0.f;
            continue;
        }
        float real = scale * (static_cast<float>(o) + 0.5f) - 0.5f;
        if (real < 0.f) real = 0.f;
        const int64_t i0 = std::min(static_cast<int64_t>(std::floor(real)), input_size - 1);
        const float lambda1 = std::min(std::max(real - static_cast<float>(i0), 0.f), 1.f);
        t.i0[o] = i0;
        t.i1[o] = i0 + (i0 < input_size - 1 ? 1 : 0);
        t.w0[o] = 1.f - lambda1;
        t.w1[o] = lambda1;
    }
    return t;
}

// Width-interpolated source rows for the output rows of one mask, two kept
// (consecutive output rows read the same one or two source rows).
class RowCache {
public:
    RowCache(const float* plane, int64_t in_w, const AxisTaps& xs) : plane_(plane), in_w_(in_w), xs_(xs) {
        for (auto& r : rows_) r.assign(xs.i0.size(), 0.f);
    }
    const float* row(int64_t source_row) {
        for (int s = 0; s < 2; ++s)
            if (index_[s] == source_row) {
                last_ = s;
                return rows_[s].data();
            }
        const int s = 1 - last_;  // replace the one not used last
        const float* src = plane_ + source_row * in_w_;
        float* dst = rows_[s].data();
        const int64_t n = static_cast<int64_t>(xs_.i0.size());
        const int64_t* i0 = xs_.i0.data();
        const int64_t* i1 = xs_.i1.data();
        const float* w0 = xs_.w0.data();
        const float* w1 = xs_.w1.data();
        for (int64_t x = 0; x < n; ++x) dst[x] = src[i0[x]] * w0[x] + src[i1[x]] * w1[x];
        index_[s] = source_row;
        last_ = s;
        return dst;
    }

private:
    const float* plane_;
    int64_t in_w_;
    const AxisTaps& xs_;
    std::vector<float> rows_[2];
    int64_t index_[2] = {-1, -1};
    int last_ = 0;
};

void upsample_threshold_cpu(const torch::Tensor& logits, int height, int width, const std::vector<std::uint8_t*>& out,
                            float threshold) {
    const int64_t k = logits.size(0), in_h = logits.size(1), in_w = logits.size(2);
    const AxisTaps ys = axis_taps(in_h, height), xs = axis_taps(in_w, width);
    const float* base = logits.data_ptr<float>();
    // Rows of all masks in one range: the work splits evenly whatever K is.
    at::parallel_for(0, k * height, /*grain_size=*/32, [&](int64_t begin, int64_t end) {
        int64_t current = -1;
        std::unique_ptr<RowCache> cache;
        for (int64_t r = begin; r < end; ++r) {
            const int64_t m = r / height, y = r % height;
            if (m != current) {
                cache = std::make_unique<RowCache>(base + m * in_h * in_w, in_w, xs);
                current = m;
            }
            // Same operation order as ATen's 2-d linear Interpolate: t0 * w0 + t1 * w1.
            const float* t0 = cache->row(ys.i0[y]);
            const float* t1 = cache->row(ys.i1[y]);
            const float h0 = ys.w0[y], h1 = ys.w1[y];
            std::uint8_t* dst = out[m] + y * width;
            for (int x = 0; x < width; ++x) dst[x] = static_cast<std::uint8_t>(t0[x] * h0 + t1[x] * h1 > threshold);
        }
    });
}

}  // namespace

void upsample_threshold_masks(const torch::Tensor& low_res, int height, int width, const std::vector<std::uint8_t*>& out,
                              float threshold) {
    if (low_res.dim() != 3) throw std::invalid_argument("upsample_threshold_masks: low-res masks must be [K, h, w]");
    if (height <= 0 || width <= 0) throw std::invalid_argument("upsample_threshold_masks: empty output size");
    if (static_cast<int64_t>(out.size()) != low_res.size(0))
        throw std::invalid_argument("upsample_threshold_masks: " + std::to_string(out.size()) + " output buffers for " +
                                    std::to_string(low_res.size(0)) + " masks");
    if (low_res.device().is_cpu()) {
        upsample_threshold_cpu(low_res.to(torch::kFloat).contiguous(), height, width, out, threshold);
        return;
    }
    // Other devices: the torch ops on the device, only the bytes come back.
    const torch::Tensor masks = (upsample_masks(low_res.unsqueeze(0), height, width) > threshold).to(torch::kCPU).contiguous();
    const std::size_t pixels = static_cast<std::size_t>(height) * width;
    for (std::size_t m = 0; m < out.size(); ++m)
        std::memcpy(out[m], masks[static_cast<int64_t>(m)].data_ptr<bool>(), pixels);
}

}  // namespace samlabel::engine::sam3
