#pragma once
// What libtorch this build runs on: shown by the About dialog and --version.
#include <string>

namespace samlabel::engine {

struct RuntimeInfo {
    std::string torch_version;   // e.g. "2.15.0"
    bool cuda_compiled = false;  // the libtorch build has CUDA kernels
    bool cuda_available = false; // a CUDA device and driver are usable now
    int cuda_device_count = 0;
    std::string cuda_device_name;  // device 0, empty without CUDA
    bool cpu_has_bf16 = false;     // native bf16 matmul on this CPU (AVX512-BF16 / AMX)
    bool cpu_has_amx_bf16 = false; // AMX tiles for bf16 (where oneDNN's bf16 kernels beat fp32)
    int intra_op_threads = 0;
};

// Initialises libtorch on first call (cheap afterwards).
RuntimeInfo runtime_info();

// One line, e.g. "libtorch 2.15.0, CUDA: not available (built with CUDA 13.2)".
std::string runtime_summary();

}  // namespace samlabel::engine
