#include "core/engine/allocator_release.h"

#include <torch/cuda.h>

// A CPU-only libtorch (the Windows PyPI wheel, the CPU libtorch zip) has no
// CUDA runtime headers and no c10_cuda library to link: every CUDA call
// below is compiled only with them. SAMLABEL_NO_CUDA forces the CPU-only
// form on a machine that has them.
#if !defined(SAMLABEL_NO_CUDA) && __has_include(<c10/cuda/CUDACachingAllocator.h>) && __has_include(<cuda_runtime_api.h>)
#define SAMLABEL_HAVE_C10_CUDA 1
#include <c10/cuda/CUDACachingAllocator.h>
#if __has_include(<ATen/cuda/CUDAContextLight.h>)
#define SAMLABEL_HAVE_ATEN_CUDA 1
#include <ATen/cuda/CUDAContextLight.h>
#endif
#endif

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace samlabel::engine {

void release_cached_memory() {
    if (torch::cuda::is_available()) {
        torch::cuda::synchronize();  // blocks still used by queued kernels are not free yet
#ifdef SAMLABEL_HAVE_ATEN_CUDA
        // cuBLAS keeps a workspace per handle and stream in the caching
        // allocator (32 MiB on Hopper, measured: 33 MB left after an unload).
        at::cuda::clearCublasWorkspaces();
#endif
#ifdef SAMLABEL_HAVE_C10_CUDA
        c10::cuda::CUDACachingAllocator::emptyCache();
#endif
    }
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

std::uint64_t cuda_reserved_bytes(int device_index) {
#ifndef SAMLABEL_HAVE_C10_CUDA
    (void)device_index;
    return 0;
#else
    if (!torch::cuda::is_available() || device_index < 0 ||
        device_index >= static_cast<int>(torch::cuda::device_count()))
        return 0;
    // Before the first CUDA allocation the caching allocator has no per-device
    // state and getDeviceStats throws "Invalid device argument": nothing is
    // reserved yet.
    if (!c10::cuda::CUDACachingAllocator::get()->initialized()) return 0;
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device_index));
    return static_cast<std::uint64_t>(
        stats.reserved_bytes[static_cast<std::size_t>(c10::CachingAllocator::StatType::AGGREGATE)].current);
#endif
}

}  // namespace samlabel::engine
