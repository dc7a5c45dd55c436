#pragma once
// INTERNAL (torch). transformers' Sam3SinePositionEmbedding, the three ways
// the detector uses it. Every encoding interleaves sin and cos: with F
// features per coordinate and d_i = temperature^(2 floor(i/2) / F), feature
// 2j is sin(v / d_2j) and 2j+1 is cos(v / d_2j). Computed in fp32 with the
// reference's op order (callers cast to the model's dtype).
#include <torch/torch.h>

#include <utility>

namespace samlabel::engine::sam3 {

inline constexpr double kSineTemperature = 10000.0;

// The image grid's encoding [2F, height, width]: channel order (y, x); the
// positions are 1..n divided by (n + 1e-6) and scaled by 2 pi (normalize=True).
torch::Tensor sine_grid_encoding(int64_t features_per_axis, int64_t height, int64_t width, const torch::Device& device);

// Points: x [N], y [N] (fp32) -> (pos_x [N, F], pos_y [N, F]), values scaled by 2 pi.
std::pair<torch::Tensor, torch::Tensor> sine_encode_points(const torch::Tensor& x, const torch::Tensor& y, int64_t features);

// Boxes [..., 4] as (cx, cy, w, h) -> [..., 4F] in the order (y, x, w, h), values scaled by 2 pi.
torch::Tensor sine_encode_boxes(const torch::Tensor& boxes, int64_t features);

}  // namespace samlabel::engine::sam3
