#include "core/engine/sam3/trunk/rotary_embedding.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>

#include <cstdint>
#include <cstring>

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
torch::Tensor apply_rope_ops(const torch::Tensor& x, const RopeTables& rope, int64_t heads, torch::Dtype out_dtype) {
    const int64_t n = x.size(-2), d = x.size(-1) / heads;
    auto sizes = x.sizes().vec();
    sizes.back() = heads;
    sizes.push_back(d);
    const torch::Tensor xf = x.view(sizes).to(torch::kFloat);
    const torch::Tensor cos = rope.cos.view({n, 1, d}), sin = rope.sin.view({n, 1, d});
    return (xf * cos + rotate_pairwise(xf) * sin).to(out_dtype).view(x.sizes());
}

// One pass over x: per token, per head, per pair (a, b):
//   out_a = a * cos_a - b * sin_a,  out_b = b * cos_b + a * sin_b   (fp32)
// which is the reference's x * cos + (-b, a) * sin element for element (this
// file is built without FMA contraction, so every product and sum rounds as
// the reference's separate ops do). The loops are written so the compiler
// vectorises them: bf16 travels as its bits, converted with the same
// round-to-nearest-even (NaN -> 0x7FC0) as c10::BFloat16, and the x86 build
// keeps an AVX2 clone picked at load time (measured alone: about 2 ms for a
// full-size q or k on 2 cores, 64 calls per encode).
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(_WIN32)
#define SAMLABEL_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SAMLABEL_VECTOR_CLONES
#endif

inline float bf16_bits_to_float(std::uint16_t bits) {
    const std::uint32_t u = std::uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

inline std::uint16_t float_to_bf16_bits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;  // NaN, as c10::BFloat16
    u += 0x7fffu + ((u >> 16) & 1u);
    return std::uint16_t(u >> 16);
}

struct Bf16Bits {
    using Storage = std::uint16_t;
    static float load(Storage v) { return bf16_bits_to_float(v); }
    static Storage store(float v) { return float_to_bf16_bits(v); }
};
struct Fp32Values {
    using Storage = float;
    static float load(Storage v) { return v; }
    static Storage store(float v) { return v; }
};

// Rows [begin, end) of tokens; each row holds every head's d values.
template <typename In, typename Out>
SAMLABEL_VECTOR_CLONES void rope_rows_range(const typename In::Storage* x, typename Out::Storage* out, const float* cos,
                                            const float* sin, int64_t begin, int64_t end, int64_t n, int64_t heads,
                                            int64_t d) {
    for (int64_t r = begin; r < end; ++r) {
        const float* c = cos + (r % n) * d;
        const float* s = sin + (r % n) * d;
        for (int64_t h = 0; h < heads; ++h) {
            const auto* xh = x + (r * heads + h) * d;
            auto* oh = out + (r * heads + h) * d;
            for (int64_t i = 0; i < d; i += 2) {
                const float a = In::load(xh[i]), b = In::load(xh[i + 1]);
                oh[i] = Out::store(a * c[i] - b * s[i]);
                oh[i + 1] = Out::store(b * c[i + 1] + a * s[i + 1]);
            }
        }
    }
}

template <typename In, typename Out>
void rope_rows(const void* x, void* out, const float* cos, const float* sin, int64_t rows, int64_t n, int64_t heads,
               int64_t d) {
    at::parallel_for(0, rows, 64, [&](int64_t begin, int64_t end) {
        rope_rows_range<In, Out>(static_cast<const typename In::Storage*>(x), static_cast<typename Out::Storage*>(out), cos,
                                 sin, begin, end, n, heads, d);
    });
}

torch::Tensor apply_rope_as(const torch::Tensor& x, const RopeTables& rope, int64_t heads, torch::Dtype out_dtype) {
    const int64_t n = x.size(-2), d = x.size(-1) / heads;
    TORCH_CHECK(rope.cos.numel() == n * d, "rope tables are for ", rope.cos.numel() / d, " tokens, got ", n);
    RECORD_FUNCTION("sam3::apply_rope", std::vector<c10::IValue>{x});
    const auto in_dtype = x.scalar_type();
    const bool kernel = x.is_cpu() && (in_dtype == at::kBFloat16 || in_dtype == at::kFloat) &&
                        (out_dtype == in_dtype || out_dtype == at::kFloat);
    if (!kernel) return apply_rope_ops(x, rope, heads, out_dtype);  // CUDA, fp16: torch ops
    const torch::Tensor in = x.contiguous();
    torch::Tensor out = torch::empty(in.sizes(), in.options().dtype(out_dtype));
    const int64_t rows = in.numel() / (heads * d);
    const float* cos = rope.cos.const_data_ptr<float>();
    const float* sin = rope.sin.const_data_ptr<float>();
    const void* src = in.const_data_ptr();
    void* dst = out.mutable_data_ptr();
    if (in_dtype == at::kFloat)
        rope_rows<Fp32Values, Fp32Values>(src, dst, cos, sin, rows, n, heads, d);
    else if (out_dtype == at::kFloat)
        rope_rows<Bf16Bits, Fp32Values>(src, dst, cos, sin, rows, n, heads, d);
    else
        rope_rows<Bf16Bits, Bf16Bits>(src, dst, cos, sin, rows, n, heads, d);
    return out;
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
    return apply_rope_as(x, rope, heads, x.scalar_type());
}

torch::Tensor apply_rope_to_fp32(const torch::Tensor& x, const RopeTables& rope, int64_t heads) {
    return apply_rope_as(x, rope, heads, torch::kFloat);
}

}  // namespace samlabel::engine::sam3
