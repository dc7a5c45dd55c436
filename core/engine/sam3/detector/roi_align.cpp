#include "core/engine/sam3/detector/roi_align.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace samlabel::engine::sam3 {
namespace {

// torchvision's bilinear_interpolate pre-calculation: the four taps and their
// weights for one sample, or all-zero weights outside the map.
struct Taps {
    int64_t p1 = 0, p2 = 0, p3 = 0, p4 = 0;  // offsets of (y_low, x_low), (y_low, x_high), (y_high, x_low), (y_high, x_high)
    float w1 = 0, w2 = 0, w3 = 0, w4 = 0;
};

Taps taps(int64_t height, int64_t width, float y, float x) {
    Taps t;
    if (y < -1.0f || y > static_cast<float>(height) || x < -1.0f || x > static_cast<float>(width)) return t;
    if (y <= 0) y = 0;
    if (x <= 0) x = 0;
    auto y_low = static_cast<int64_t>(y), x_low = static_cast<int64_t>(x);
    int64_t y_high, x_high;
    if (y_low >= height - 1) {
        y_high = y_low = height - 1;
        y = static_cast<float>(y_low);
    } else {
        y_high = y_low + 1;
    }
    if (x_low >= width - 1) {
        x_high = x_low = width - 1;
        x = static_cast<float>(x_low);
    } else {
        x_high = x_low + 1;
    }
    const float ly = y - static_cast<float>(y_low), lx = x - static_cast<float>(x_low);
    const float hy = 1.f - ly, hx = 1.f - lx;
    t.p1 = y_low * width + x_low;
    t.p2 = y_low * width + x_high;
    t.p3 = y_high * width + x_low;
    t.p4 = y_high * width + x_high;
    t.w1 = hy * hx;
    t.w2 = hy * lx;
    t.w3 = ly * hx;
    t.w4 = ly * lx;
    return t;
}

}  // namespace

torch::Tensor roi_align(const torch::Tensor& features_hwc, const torch::Tensor& boxes_xyxy, int64_t output_size) {
    if (features_hwc.dim() != 3) throw std::invalid_argument("roi_align: features must be [H, W, C]");
    if (boxes_xyxy.dim() != 2 || boxes_xyxy.size(1) != 4) throw std::invalid_argument("roi_align: boxes must be [N, 4]");
    const torch::Tensor f = features_hwc.to(torch::kCPU, torch::kFloat).contiguous();
    const torch::Tensor b = boxes_xyxy.to(torch::kCPU, torch::kFloat).contiguous();
    const int64_t height = f.size(0), width = f.size(1), channels = f.size(2), n = b.size(0), s = output_size;
    torch::Tensor out = torch::zeros({n, s, s, channels}, torch::kFloat);  // channels last while summing
    const float* feat = f.data_ptr<float>();
    const float* box = b.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    for (int64_t r = 0; r < n; ++r) {
        const float x0 = box[4 * r], y0 = box[4 * r + 1], x1 = box[4 * r + 2], y1 = box[4 * r + 3];
        const float roi_w = std::max(x1 - x0, 1.f), roi_h = std::max(y1 - y0, 1.f);  // aligned=False
        const float bin_h = roi_h / static_cast<float>(s), bin_w = roi_w / static_cast<float>(s);
        const auto grid_h = static_cast<int64_t>(std::ceil(roi_h / static_cast<float>(s)));
        const auto grid_w = static_cast<int64_t>(std::ceil(roi_w / static_cast<float>(s)));
        const float count = static_cast<float>(std::max<int64_t>(grid_h * grid_w, 1));
        for (int64_t ph = 0; ph < s; ++ph)
            for (int64_t pw = 0; pw < s; ++pw) {
                float* acc = dst + ((r * s + ph) * s + pw) * channels;
                for (int64_t iy = 0; iy < grid_h; ++iy) {
                    const float y = y0 + static_cast<float>(ph) * bin_h +
                                    (static_cast<float>(iy) + .5f) * bin_h / static_cast<float>(grid_h);
                    for (int64_t ix = 0; ix < grid_w; ++ix) {
                        const float x = x0 + static_cast<float>(pw) * bin_w +
                                        (static_cast<float>(ix) + .5f) * bin_w / static_cast<float>(grid_w);
                        const Taps t = taps(height, width, y, x);
                        const float *v1 = feat + t.p1 * channels, *v2 = feat + t.p2 * channels;
                        const float *v3 = feat + t.p3 * channels, *v4 = feat + t.p4 * channels;
                        // torchvision's order: w1 v1 + w2 v2 + w3 v3 + w4 v4, summed over the samples.
                        for (int64_t c = 0; c < channels; ++c) acc[c] += t.w1 * v1[c] + t.w2 * v2[c] + t.w3 * v3[c] + t.w4 * v4[c];
                    }
                }
                for (int64_t c = 0; c < channels; ++c) acc[c] /= count;
            }
    }
    return out.permute({0, 3, 1, 2}).contiguous().to(features_hwc.device(), features_hwc.scalar_type());
}

}  // namespace samlabel::engine::sam3
