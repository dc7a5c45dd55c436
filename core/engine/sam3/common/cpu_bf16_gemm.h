#pragma once
// INTERNAL (torch). How a bf16 matrix product runs on this machine's CPU.
//
// A bf16 GEMM accumulates in fp32 and rounds its output to bf16. The same
// result, up to the order of the sums, comes from upcasting both operands to
// fp32 (exact: a bf16 value is an fp32 value), an fp32 GEMM, and rounding the
// output: the product of two bf16 numbers is exact in fp32 either way. Which
// is faster depends on the CPU: with AMX tiles, oneDNN's bf16 kernels are
// several times faster than fp32; without them (AVX512-BF16 only, or no bf16
// at all) the fp32 GEMM wins: 1.7x on the Xeon samlabel is built on (200 ms
// against 335 ms for 5184x1024x4736 on 2 cores; a full-size encode 24.5 s
// against 36.9 s). The route follows the CPU's features, not a timing, so
// every run on a machine gives the same numbers (auto-label shards merge to
// exactly one run's results). The weights stay bf16 in memory either way: the
// fp32 route upcasts one layer's weight at a time. Convolutions are products
// too and take the same route (a 3x3 convolution at the 4x level: 0.37 s
// instead of 0.57 s).
#include <torch/torch.h>

namespace samlabel::engine::sam3 {

enum class CpuBf16GemmRoute { Native, ViaFp32 };

struct CpuBf16GemmChoice {
    CpuBf16GemmRoute route = CpuBf16GemmRoute::Native;
    bool from_environment = false;  // SAMLABEL_CPU_BF16_GEMM=native|fp32
};

// x86-64 without AMX-BF16: via fp32; otherwise native. SAMLABEL_CPU_BF16_GEMM
// =native or =fp32 decides instead (tests, benchmarks). Decided once.
const CpuBf16GemmChoice& cpu_bf16_gemm_choice();
// The rule itself, for a CPU described by its features.
CpuBf16GemmRoute cpu_bf16_gemm_route_for(bool x86_64, bool has_amx_bf16);

// torch::linear for a CPU bf16 product through the chosen route; any other
// product (other dtypes, devices, or fewer than kMinRows rows, where the
// conversions would cost more than they save) is torch::linear itself.
torch::Tensor linear_bf16_aware(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);
constexpr int64_t kViaFp32MinRows = 256;

// The same for the convolutions the SAM3 modules use (rows: output pixels).
torch::Tensor conv2d_bf16_aware(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                int64_t stride, int64_t padding);
torch::Tensor conv_transpose2d_bf16_aware(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                          int64_t stride);

// One route, whatever was chosen (tests).
torch::Tensor linear_bf16_by(CpuBf16GemmRoute route, const torch::Tensor& x, const torch::Tensor& weight,
                             const torch::Tensor& bias);

}  // namespace samlabel::engine::sam3
