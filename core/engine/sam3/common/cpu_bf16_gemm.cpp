#include "core/engine/sam3/common/cpu_bf16_gemm.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>

namespace samlabel::engine::sam3 {
namespace {

torch::Tensor linear_via_fp32(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
    return torch::linear(x.to(torch::kFloat), weight.to(torch::kFloat), bias.defined() ? bias.to(torch::kFloat) : bias)
        .to(torch::kBFloat16);
}

double best_ms(const std::function<void()>& run) {
    run();  // first call: oneDNN prepares its kernel, MKL its buffers
    double best = 1e300;
    for (int i = 0; i < 3; ++i) {
        const auto start = std::chrono::steady_clock::now();
        run();
        best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    return best;
}

CpuBf16GemmChoice measure() {
    CpuBf16GemmChoice choice;
    if (const char* forced = std::getenv("SAMLABEL_CPU_BF16_GEMM")) {
        const std::string value = forced;
        if (value == "native" || value == "fp32") {
            choice.route = value == "fp32" ? CpuBf16GemmRoute::ViaFp32 : CpuBf16GemmRoute::Native;
            choice.from_environment = true;
            return choice;
        }
    }
    c10::InferenceMode inference;
    const auto bf16 = torch::TensorOptions().dtype(torch::kBFloat16);
    const torch::Tensor x = torch::randn({1024, 1024}).to(bf16), w = torch::randn({1024, 1024}).to(bf16),
                        b = torch::randn({1024}).to(bf16);
    choice.native_ms = best_ms([&] { (void)torch::linear(x, w, b); });
    choice.via_fp32_ms = best_ms([&] { (void)linear_via_fp32(x, w, b); });
    // A clear margin only: near a tie the native route keeps the reference's arithmetic.
    choice.route = choice.via_fp32_ms < 0.85 * choice.native_ms ? CpuBf16GemmRoute::ViaFp32 : CpuBf16GemmRoute::Native;
    return choice;
}

}  // namespace

const CpuBf16GemmChoice& cpu_bf16_gemm_choice() {
    static const CpuBf16GemmChoice choice = measure();
    return choice;
}

namespace {
bool takes_fp32_route(const torch::Tensor& x, const torch::Tensor& weight, int64_t rows) {
    return x.scalar_type() == torch::kBFloat16 && weight.scalar_type() == torch::kBFloat16 && x.is_cpu() &&
           rows >= kViaFp32MinRows && cpu_bf16_gemm_choice().route == CpuBf16GemmRoute::ViaFp32;
}
torch::Tensor fp32(const torch::Tensor& t) { return t.defined() ? t.to(torch::kFloat) : t; }
}  // namespace

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
