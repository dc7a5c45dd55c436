#pragma once
// VRAM through libtorch's CUDA runtime when NVML is unavailable. Internal to
// core/engine; the header has no torch.
#include "core/engine/memory_probe.h"

#include <vector>

namespace samlabel::engine {

// One entry per CUDA device, source "torch". used_by_this_process counts what
// this process's CUDA caching allocator has reserved (its CUDA context, a few
// hundred MB, is not included and shows as "others"). Querying free memory
// creates the CUDA context on each device the first time: only used when NVML
// is missing, which should not happen with an NVIDIA driver installed.
// Empty without CUDA.
std::vector<GpuMemory> torch_cuda_memory();

}  // namespace samlabel::engine
