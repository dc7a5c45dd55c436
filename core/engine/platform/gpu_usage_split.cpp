// GpuMemory's split into this process and the rest, unknown kept apart from 0.
// Plain arithmetic (no NVML, no torch), shared by every GPU source.
#include "core/engine/memory_probe.h"

#include <algorithm>

namespace samlabel::engine {

void split_gpu_usage(GpuMemory& gpu, std::optional<std::uint64_t> this_process_bytes) {
    const std::uint64_t used = gpu.total_bytes > gpu.free_bytes ? gpu.total_bytes - gpu.free_bytes : 0;
    gpu.this_process_known = this_process_bytes.has_value();
    gpu.used_by_this_process_bytes = std::min(this_process_bytes.value_or(0), used);
    gpu.used_by_others_bytes = used - gpu.used_by_this_process_bytes;
}

}  // namespace samlabel::engine
