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
        if (nvml.available()) return nvml.query();
        return torch_cuda_memory();
    }
};

}  // namespace

std::unique_ptr<MemoryProbe> make_system_memory_probe() { return std::make_unique<SystemMemoryProbe>(); }

}  // namespace samlabel::engine
