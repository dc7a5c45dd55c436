#include "core/engine/sam3/common/sine_position_encoding.h"

#include <cmath>

namespace samlabel::engine::sam3 {
namespace {

constexpr double kTwoPi = 2.0 * M_PI;

// temperature ** (2 * floor(i / 2) / F), i = 0..F-1, in fp32 as the reference.
torch::Tensor frequencies(int64_t features, const torch::Device& device) {
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(device);
    const torch::Tensor i = torch::arange(features, torch::TensorOptions().dtype(torch::kLong).device(device)).to(torch::kFloat);
    return torch::pow(torch::scalar_tensor(kSineTemperature, f32), 2 * torch::floor_divide(i, 2) / features);
}

// v [..., F] already divided by the frequencies -> interleaved sin (even) / cos (odd).
torch::Tensor interleave(const torch::Tensor& v) {
    using torch::indexing::Slice;
    const int64_t last = v.dim() - 1;
    const torch::Tensor s = v.index({torch::indexing::Ellipsis, Slice(0, torch::indexing::None, 2)}).sin();
    const torch::Tensor c = v.index({torch::indexing::Ellipsis, Slice(1, torch::indexing::None, 2)}).cos();
    return torch::stack({s, c}, last + 1).flatten(last);
}

}  // namespace

torch::Tensor sine_grid_encoding(int64_t features, int64_t height, int64_t width, const torch::Device& device) {
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(device);
    constexpr double eps = 1e-6;
    torch::Tensor y = torch::arange(1, height + 1, f32).view({height, 1}).expand({height, width});
    torch::Tensor x = torch::arange(1, width + 1, f32).view({1, width}).expand({height, width});
    y = y / (static_cast<double>(height) + eps) * kTwoPi;
    x = x / (static_cast<double>(width) + eps) * kTwoPi;
    const torch::Tensor dim_t = frequencies(features, device);
    const torch::Tensor pos_x = interleave(x.unsqueeze(-1) / dim_t);  // [H, W, F]
    const torch::Tensor pos_y = interleave(y.unsqueeze(-1) / dim_t);
    return torch::cat({pos_y, pos_x}, 2).permute({2, 0, 1}).contiguous();
}

std::pair<torch::Tensor, torch::Tensor> sine_encode_points(const torch::Tensor& x, const torch::Tensor& y, int64_t features) {
    const torch::Tensor dim_t = frequencies(features, x.device());
    const torch::Tensor pos_x = interleave((x * kTwoPi).unsqueeze(-1) / dim_t);
    const torch::Tensor pos_y = interleave((y * kTwoPi).unsqueeze(-1) / dim_t);
    return {pos_x, pos_y};
}

torch::Tensor sine_encode_boxes(const torch::Tensor& boxes, int64_t features) {
    const torch::Tensor dim_t = frequencies(features, boxes.device());
    auto encode = [&](int64_t column) { return interleave((boxes.select(-1, column) * kTwoPi).unsqueeze(-1) / dim_t); };
    const int64_t last = boxes.dim() - 1;
    return torch::cat({encode(1), encode(0), encode(2), encode(3)}, last);
}

}  // namespace samlabel::engine::sam3
