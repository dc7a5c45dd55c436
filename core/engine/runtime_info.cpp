#include "core/engine/runtime_info.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/cpu/Utils.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <sstream>

namespace samlabel::engine {

RuntimeInfo runtime_info() {
    RuntimeInfo info;
    info.torch_version = TORCH_VERSION;
    info.cuda_compiled = at::hasCUDA() || torch::cuda::is_available();
    info.cuda_available = torch::cuda::is_available();
    info.cuda_device_count = info.cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
    // cpuinfo's capability map; names follow cpuinfo ("avx512_bf16", "amx_bf16").
    const auto caps = at::cpu::get_cpu_capabilities();
    auto has = [&caps](const char* key) {
        const auto it = caps.find(key);
        return it != caps.end() && it->second.isBool() && it->second.toBool();
    };
    info.cpu_has_amx_bf16 = has("amx_bf16");
    info.cpu_has_bf16 = has("avx512_bf16") || info.cpu_has_amx_bf16;
    info.intra_op_threads = at::get_num_threads();
    return info;
}

std::string runtime_summary() {
    const RuntimeInfo info = runtime_info();
    std::ostringstream out;
    out << "libtorch " << info.torch_version << ", CUDA: ";
    if (info.cuda_available)
        out << info.cuda_device_count << " device(s)";
    else
        out << "not available";
    out << ", CPU threads " << info.intra_op_threads << (info.cpu_has_bf16 ? ", CPU bf16" : "");
    return out.str();
}

}  // namespace samlabel::engine
