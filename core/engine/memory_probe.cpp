// The real MemoryProbe: the platform's system reading plus NVML for GPUs,
// falling back to libtorch's CUDA queries when NVML cannot be loaded.
#include "core/engine/memory_probe.h"

#include "core/engine/cuda_memory_fallback.h"
#include "core/engine/platform/nvml_probe.h"

namespace samlabel::engine {

namespace {

class SystemMemoryProbe final : public MemoryProbe {
public:
    SystemMemory system() override { return read_system_memory(); }
    std::vector<GpuMemory> gpus() override {
        NvmlProbe& nvml = NvmlProbe::instance();
        if (!nvml.available()) return torch_cuda_memory();
        std::vector<GpuMemory> gpus = nvml.query();
        // NVML (and DXGI on Windows) could not tell this process's share:
        // the caching allocator's count is a measurement, if a partial one.
        for (GpuMemory& gpu : gpus) {
            if (gpu.this_process_known) continue;
            if (const auto reserved = torch_process_vram_bytes(gpu.index)) {
                split_gpu_usage(gpu, reserved);
                gpu.source += "+torch";
            }
        }
        return gpus;
    }
};

}  // namespace

std::unique_ptr<MemoryProbe> make_system_memory_probe() { return std::make_unique<SystemMemoryProbe>(); }

}  // namespace samlabel::engine
