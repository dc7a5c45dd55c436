#include "core/engine/cuda_memory_fallback.h"

#include "core/engine/allocator_release.h"

#include <torch/cuda.h>

#include <cstring>
#include <optional>

#ifdef _WIN32
#include "core/engine/platform/dxgi_adapters.h"
#endif

// The CUDA-enabled libtorch ships c10/cuda; a CPU-only libtorch (or one built
// without the CUDA toolkit headers around) compiles this to "no GPUs".
#if !defined(SAMLABEL_NO_CUDA) && __has_include(<c10/cuda/CUDACachingAllocator.h>) && __has_include(<cuda_runtime_api.h>)
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
        gpu.source = "torch";
        std::optional<std::uint64_t> ours;
#ifdef _WIN32
        // Windows counts the CUDA context and everything else this process
        // holds; the caching allocator only knows its own blocks.
        std::uint64_t luid = 0;
        std::memcpy(&luid, properties.luid, sizeof luid);
        ours = dxgi_process_bytes_by_luid(read_dxgi_adapters(), luid);
        if (ours) gpu.source = "torch+dxgi";
#endif
        if (!ours) ours = cuda_reserved_bytes(index);
        split_gpu_usage(gpu, ours);
        gpus.push_back(std::move(gpu));
    }
#endif
    return gpus;
}

std::optional<std::uint64_t> torch_process_vram_bytes(int index) {
#ifdef SAMLABEL_HAVE_C10_CUDA
    if (torch::cuda::is_available() && index >= 0 && index < static_cast<int>(torch::cuda::device_count()))
        return cuda_reserved_bytes(index);
#else
    (void)index;
#endif
    return std::nullopt;
}

}  // namespace samlabel::engine
