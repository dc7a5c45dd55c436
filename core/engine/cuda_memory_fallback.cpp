#include "core/engine/cuda_memory_fallback.h"

#include "core/engine/allocator_release.h"

#include <torch/cuda.h>

// The CUDA-enabled libtorch ships c10/cuda; a CPU-only libtorch (or one built
// without the CUDA toolkit headers around) compiles this to "no GPUs".
#if __has_include(<c10/cuda/CUDACachingAllocator.h>) && __has_include(<cuda_runtime_api.h>)
#define SAMLABEL_HAVE_C10_CUDA 1
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#endif

namespace samlabel::engine {

std::vector<GpuMemory> torch_cuda_memory() {
    std::vector<GpuMemory> gpus;
#ifdef SAMLABEL_HAVE_C10_CUDA
    if (!torch::cuda::is_available()) return gpus;
    const int count = static_cast<int>(torch::cuda::device_count());
    for (int index = 0; index < count; ++index) {
        c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(index));
        std::size_t free_bytes = 0, total_bytes = 0;
        if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
            (void)cudaGetLastError();  // clear the sticky error for later calls
            continue;
        }
        cudaDeviceProp properties{};
        GpuMemory gpu;
        if (cudaGetDeviceProperties(&properties, index) == cudaSuccess) gpu.name = properties.name;
        gpu.index = index;
        gpu.total_bytes = total_bytes;
        gpu.free_bytes = free_bytes;
        const auto reserved = static_cast<std::int64_t>(cuda_reserved_bytes(index));
        const std::uint64_t used = total_bytes > free_bytes ? total_bytes - free_bytes : 0;
        gpu.used_by_this_process_bytes = std::min<std::uint64_t>(static_cast<std::uint64_t>(reserved), used);
        gpu.used_by_others_bytes = used - gpu.used_by_this_process_bytes;
        gpu.source = "torch";
        gpus.push_back(std::move(gpu));
    }
#endif
    return gpus;
}

}  // namespace samlabel::engine
