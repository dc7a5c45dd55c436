#pragma once
// VRAM through libtorch's CUDA runtime when NVML is unavailable. Internal to
// core/engine; the header has no torch.
#include "core/engine/memory_probe.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace samlabel::engine {

// One entry per CUDA device, source "torch". used_by_this_process counts what
// this process's CUDA caching allocator has reserved (its CUDA context, a few
// hundred MB, is not included and shows as "others"). Querying free memory
// creates the CUDA context on each device the first time: only used when NVML
// is missing, which should not happen with an NVIDIA driver installed.
// Empty without CUDA. On Windows this process's share comes from DXGI (the
// adapter whose LUID CUDA reports) when it can be read.
std::vector<GpuMemory> torch_cuda_memory();

// What the caching allocator holds on a CUDA device: the fallback for this
// process's share when NVML and DXGI cannot tell (it misses the CUDA context).
// nullopt without CUDA or for a device that does not exist.
std::optional<std::uint64_t> torch_process_vram_bytes(int index);

}  // namespace samlabel::engine
