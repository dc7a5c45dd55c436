// machine_capabilities(): what libtorch sees on this machine, for resolving
// Auto device/dtype choices (memory_budget.h).
#include "core/engine/memory_budget.h"
#include "core/engine/runtime_info.h"

#if !defined(SAMLABEL_NO_CUDA) && __has_include(<cuda_runtime_api.h>) && __has_include(<c10/cuda/CUDAFunctions.h>)
#define SAMLABEL_HAVE_CUDA_RUNTIME 1
#include <cuda_runtime_api.h>
#endif

namespace samlabel::engine {

MachineCapabilities machine_capabilities() {
    const RuntimeInfo info = runtime_info();
    MachineCapabilities machine;
    machine.cuda_available = info.cuda_available;
    machine.cuda_device_count = info.cuda_device_count;
    machine.cpu_has_bf16 = info.cpu_has_bf16;
#ifdef SAMLABEL_HAVE_CUDA_RUNTIME
    for (int index = 0; index < machine.cuda_device_count; ++index) {
        // Native bf16 tensor cores from compute capability 8.0 (Ampere) on.
        int major = 0;
        const bool known = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, index) == cudaSuccess;
        machine.cuda_has_bf16.push_back(known && major >= 8);
    }
#else
    machine.cuda_has_bf16.assign(static_cast<std::size_t>(machine.cuda_device_count), false);
#endif
    return machine;
}

}  // namespace samlabel::engine
