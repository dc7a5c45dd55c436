#include "core/engine/sam3/trunk/rotary_embedding.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/record_function.h>

namespace samlabel::engine::sam3 {
namespace {

// transformers' rotate_pairwise: (x0, x1) -> (-x1, x0) on interleaved pairs.
torch::Tensor rotate_pairwise(const torch::Tensor& x) {
    auto sizes = x.sizes().vec();
    sizes.back() /= 2;
    sizes.push_back(2);
    const auto pairs = x.view(sizes).unbind(-1);
    return torch::stack({-pairs[1], pairs[0]}, -1).flatten(-2);
}

// The torch-op form (CUDA and any other device): [..., N, heads, D] against
// tables broadcast as [N, 1, D].
torch::Tensor apply_rope_ops(const torch::Tensor& x, const RopeTables& rope, int64_t heads) {
    const int64_t n = x.size(-2), d = x.size(-1) / heads;
    auto sizes = x.sizes().vec();
    sizes.back() = heads;
    sizes.push_back(d);
    const torch::Tensor xf = x.view(sizes).to(torch::kFloat);
    const torch::Tensor cos = rope.cos.view({n, 1, d}), sin = rope.sin.view({n, 1, d});
    return (xf * cos + rotate_pairwise(xf) * sin).to(x.scalar_type()).view(x.sizes());
}

// One pass over x: per token, per head, per pair (a, b):
//   out_a = a * cos_a - b * sin_a,  out_b = b * cos_b + a * sin_b   (fp32)
// which is the reference's x * cos + (-b, a) * sin element for element.
template <typename T>
void rope_rows(const T* x, T* out, const float* cos, const float* sin, int64_t rows, int64_t n, int64_t heads, int64_t d) {
    at::parallel_for(0, rows, 64, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            const float* c = cos + (r % n) * d;
            const float* s = sin + (r % n) * d;
            const T* xr = x + r * heads * d;
            T* outr = out + r * heads * d;
            for (int64_t h = 0; h < heads; ++h) {
                const T* xh = xr + h * d;
                T* oh = outr + h * d;
                for (int64_t i = 0; i < d; i += 2) {
                    const float a = static_cast<float>(xh[i]), b = static_cast<float>(xh[i + 1]);
                    oh[i] = static_cast<T>(a * c[i] + -b * s[i]);
                    oh[i + 1] = static_cast<T>(b * c[i + 1] + a * s[i + 1]);
                }
            }
        }
    });
}

}  // namespace

RopeTables make_rope_tables(const TrunkConfig& config, int grid_size, const torch::Device& device) {
    // Same ops in the same order as Sam3ViTRotaryEmbedding, so the tables are
    // bit-identical to the reference's.
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat);
    const int64_t spatial_dim = config.head_dim() / 2;
    const torch::Tensor inv_freq =
        torch::reciprocal(torch::pow(config.rope_theta, torch::arange(0, spatial_dim, 2, f32) / spatial_dim));
    const auto grid = torch::meshgrid({torch::arange(grid_size, torch::kLong), torch::arange(grid_size, torch::kLong)}, "ij");
    torch::Tensor positions = torch::stack({grid[1].flatten(), grid[0].flatten()}, -1);  // (x, y) per token
    positions = positions * (static_cast<double>(config.window_size) / grid_size);
    const torch::Tensor freqs = positions.unsqueeze(-1).to(torch::kFloat) * inv_freq;  // [N, 2, D/4]
    auto recompose = [](const torch::Tensor& f) {
        return torch::cat({f.select(1, 0), f.select(1, 1)}, -1).unsqueeze(0).repeat_interleave(2, -1);
    };
    return {recompose(freqs.cos()).to(device).contiguous(), recompose(freqs.sin()).to(device).contiguous()};
}

torch::Tensor apply_rope(const torch::Tensor& x, const RopeTables& rope, int64_t heads) {
    const int64_t n = x.size(-2), d = x.size(-1) / heads;
    TORCH_CHECK(rope.cos.numel() == n * d, "rope tables are for ", rope.cos.numel() / d, " tokens, got ", n);
    RECORD_FUNCTION("sam3::apply_rope", std::vector<c10::IValue>{x});
    if (!x.is_cpu()) return apply_rope_ops(x, rope, heads);
    const torch::Tensor in = x.contiguous();
    torch::Tensor out = torch::empty_like(in);
    const int64_t rows = in.numel() / (heads * d);
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, in.scalar_type(), "sam3_apply_rope", [&] {
        rope_rows<scalar_t>(in.const_data_ptr<scalar_t>(), out.mutable_data_ptr<scalar_t>(), rope.cos.const_data_ptr<float>(),
                            rope.sin.const_data_ptr<float>(), rows, n, heads, d);
    });
    return out;
}

}  // namespace samlabel::engine::sam3
