#include "core/engine/sam3/common/cpu_bf16_gemm.h"

#include "core/engine/runtime_info.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace samlabel::engine::sam3 {
namespace {

torch::Tensor fp32(const torch::Tensor& t) { return t.defined() ? t.to(torch::kFloat) : t; }

torch::Tensor linear_via_fp32(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
    return torch::linear(fp32(x), fp32(weight), fp32(bias)).to(torch::kBFloat16);
}

bool takes_fp32_route(const torch::Tensor& x, const torch::Tensor& weight, int64_t rows) {
    return x.scalar_type() == torch::kBFloat16 && weight.scalar_type() == torch::kBFloat16 && x.is_cpu() &&
           rows >= kViaFp32MinRows && cpu_bf16_gemm_choice().route == CpuBf16GemmRoute::ViaFp32;
}

CpuBf16GemmChoice choose() {
    CpuBf16GemmChoice choice;
    if (const char* forced = std::getenv("SAMLABEL_CPU_BF16_GEMM")) {
        const std::string value = forced;
        if (value == "native" || value == "fp32") {
            choice.route = value == "fp32" ? CpuBf16GemmRoute::ViaFp32 : CpuBf16GemmRoute::Native;
            choice.from_environment = true;
            return choice;
        }
    }
#if defined(__x86_64__) || defined(_M_X64)
    constexpr bool x86_64 = true;
#else
    constexpr bool x86_64 = false;  // ARM and others: their bf16 kernels are left as they are
#endif
    choice.route = cpu_bf16_gemm_route_for(x86_64, runtime_info().cpu_has_amx_bf16);
    return choice;
}

}  // namespace

CpuBf16GemmRoute cpu_bf16_gemm_route_for(bool x86_64, bool has_amx_bf16) {
    return x86_64 && !has_amx_bf16 ? CpuBf16GemmRoute::ViaFp32 : CpuBf16GemmRoute::Native;
}

const CpuBf16GemmChoice& cpu_bf16_gemm_choice() {
    static const CpuBf16GemmChoice choice = choose();
    return choice;
}

torch::Tensor linear_bf16_aware(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
    if (!takes_fp32_route(x, weight, x.numel() / std::max<int64_t>(1, x.size(-1)))) return torch::linear(x, weight, bias);
    return linear_via_fp32(x, weight, bias);
}

torch::Tensor conv2d_bf16_aware(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                int64_t stride, int64_t padding) {
    const int64_t pixels = x.size(-1) * x.size(-2) / (stride * stride);
    if (!takes_fp32_route(x, weight, pixels)) return torch::conv2d(x, weight, bias, {stride, stride}, {padding, padding});
    return torch::conv2d(fp32(x), fp32(weight), fp32(bias), {stride, stride}, {padding, padding}).to(torch::kBFloat16);
}

torch::Tensor conv_transpose2d_bf16_aware(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                          int64_t stride) {
    if (!takes_fp32_route(x, weight, x.size(-1) * x.size(-2))) return torch::conv_transpose2d(x, weight, bias, {stride, stride});
    return torch::conv_transpose2d(fp32(x), fp32(weight), fp32(bias), {stride, stride}).to(torch::kBFloat16);
}

torch::Tensor linear_bf16_by(CpuBf16GemmRoute route, const torch::Tensor& x, const torch::Tensor& weight,
                             const torch::Tensor& bias) {
    return route == CpuBf16GemmRoute::ViaFp32 ? linear_via_fp32(x, weight, bias) : torch::linear(x, weight, bias);
}

}  // namespace samlabel::engine::sam3
