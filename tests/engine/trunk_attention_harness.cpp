#include "tests/engine/trunk_attention_harness.h"

#include "core/engine/runtime_info.h"
#include "core/engine/sam3/common/cpu_bf16_gemm.h"
#include "core/engine/sam3/trunk/rotary_embedding.h"
#include "core/engine/sam3/trunk/vision_trunk.h"

#include <torch/torch.h>

namespace samlabel::test {

RopeComparison compare_rope_with_torch_ops(int batch, int grid, int heads, int head_dim, bool bf16, unsigned seed) {
    using namespace samlabel::engine::sam3;
    torch::manual_seed(seed);
    TrunkConfig config;
    config.hidden_size = heads * head_dim;
    config.num_attention_heads = heads;
    config.window_size = grid;
    const RopeTables rope = make_rope_tables(config, grid, torch::kCPU);

    const int64_t n = int64_t(grid) * grid, width = int64_t(heads) * head_dim;
    torch::Tensor x = torch::randn({batch, n, width}) * 4;
    // Specials at seeded places: each kind in both members of a pair.
    auto flat = x.view({-1});
    const int64_t count = flat.numel();
    const float specials[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(), 1e-40f, -3e-39f, 3e38f, -2.5e38f, 0.f, -0.f,
                              // 1 + 2^-8 and 1 + 3 * 2^-8: exact ties between bf16 neighbours
                              1.00390625f, 1.01171875f};
    const torch::Tensor places = torch::randint(count, {int64_t(std::size(specials)) * 8}, torch::kLong);
    for (int64_t i = 0; i < places.size(0); ++i) flat[places[i].item<int64_t>()] = specials[i % std::size(specials)];
    if (bf16) x = x.to(torch::kBFloat16);

    const torch::Tensor ours = apply_rope(x, rope, heads);

    // The reference (transformers' apply_rotary_pos_emb_2d), op by op.
    const torch::Tensor xf = x.view({batch, n, heads, head_dim}).to(torch::kFloat);
    const torch::Tensor pairs = xf.view({batch, n, heads, head_dim / 2, 2});
    const torch::Tensor rotated = torch::stack({-pairs.select(-1, 1), pairs.select(-1, 0)}, -1).view_as(xf);
    const torch::Tensor cos = rope.cos.view({1, n, 1, head_dim}), sin = rope.sin.view({1, n, 1, head_dim});
    const torch::Tensor reference = (xf * cos + rotated * sin).to(x.scalar_type()).view_as(x);

    RopeComparison out;
    out.values = std::size_t(reference.numel());
    const torch::Tensor ref_nan = torch::isnan(reference), our_nan = torch::isnan(ours);
    out.nan_in_reference = std::size_t(ref_nan.sum().item<int64_t>());
    const torch::Tensor bits_differ = bf16 ? ours.view(torch::kShort).ne(reference.view(torch::kShort))
                                           : ours.view(torch::kInt).ne(reference.view(torch::kInt));
    // NaN payloads differ between torch's vector and scalar roundings; NaN-ness must not.
    const torch::Tensor mismatch = torch::where(ref_nan | our_nan, ref_nan.ne(our_nan), bits_differ);
    out.mismatches = std::size_t(mismatch.sum().item<int64_t>());
    return out;
}

AttentionPrecision global_attention_precision(int grid, int hidden, int heads, unsigned seed) {
    using namespace samlabel::engine::sam3;
    torch::manual_seed(seed);
    TrunkConfig config;
    config.hidden_size = hidden;
    config.num_attention_heads = heads;
    config.window_size = grid;
    const RopeTables rope = make_rope_tables(config, grid, torch::kCPU);
    RopeAttention low(config, torch::TensorOptions().dtype(torch::kBFloat16));
    RopeAttention full(config, torch::TensorOptions().dtype(torch::kFloat));
    torch::NoGradGuard no_grad;
    for (auto& p : low->named_parameters()) {
        p.value().copy_(torch::randn(p.value().sizes()) * (p.key().find("bias") != std::string::npos ? 0.1 : 0.3));
        full->named_parameters()[p.key()].copy_(p.value().to(torch::kFloat));
    }
    const torch::Tensor x = torch::randn({1, grid, grid, hidden}).to(torch::kBFloat16);
    const torch::Tensor reference = full->forward(x.to(torch::kFloat), rope);

    AttentionPrecision out;
    out.output_scale = reference.abs().max().item<double>();
    low->fp32_attention_on_cpu = true;
    out.took_fp32_path = low->attends_in_fp32(x);
    out.fp32_path_error = (low->forward(x, rope).to(torch::kFloat) - reference).abs().max().item<double>();
    low->fp32_attention_on_cpu = false;
    out.bf16_path_error = (low->forward(x, rope).to(torch::kFloat) - reference).abs().max().item<double>();
    return out;
}

Bf16GemmComparison compare_bf16_gemm_routes(int rows, int in, int out, unsigned seed) {
    using namespace samlabel::engine::sam3;
    torch::manual_seed(seed);
    c10::InferenceMode inference;
    const auto bf16 = torch::TensorOptions().dtype(torch::kBFloat16);
    const torch::Tensor x = torch::randn({rows, in}).to(bf16), w = (torch::randn({out, in}) * 0.05).to(bf16),
                        b = torch::randn({out}).to(bf16);
    const torch::Tensor exact = torch::linear(x.to(torch::kDouble), w.to(torch::kDouble), b.to(torch::kDouble));
    auto error = [&](const torch::Tensor& y) { return (y.to(torch::kDouble) - exact).abs().max().item<double>(); };
    Bf16GemmComparison c;
    c.scale = exact.abs().max().item<double>();
    c.native_error = error(linear_bf16_by(CpuBf16GemmRoute::Native, x, w, b));
    c.via_fp32_error = error(linear_bf16_by(CpuBf16GemmRoute::ViaFp32, x, w, b));
    const torch::Tensor few = x.slice(0, 0, kViaFp32MinRows - 1);
    c.small_product_is_plain_linear = torch::equal(linear_bf16_aware(few, w, b), torch::linear(few, w, b));
    const CpuBf16GemmChoice& choice = cpu_bf16_gemm_choice();
    c.chosen_by_cpu = !choice.from_environment;
    c.chose_via_fp32 = choice.route == CpuBf16GemmRoute::ViaFp32;
    c.cpu_has_amx_bf16 = samlabel::engine::runtime_info().cpu_has_amx_bf16;
    c.rule_x86_amx_via_fp32 = cpu_bf16_gemm_route_for(true, true) == CpuBf16GemmRoute::ViaFp32;
    c.rule_x86_plain_via_fp32 = cpu_bf16_gemm_route_for(true, false) == CpuBf16GemmRoute::ViaFp32;
    c.rule_other_via_fp32 = cpu_bf16_gemm_route_for(false, false) == CpuBf16GemmRoute::ViaFp32;
    return c;
}

}  // namespace samlabel::test
