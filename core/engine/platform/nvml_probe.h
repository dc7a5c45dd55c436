#pragma once
// VRAM per GPU through NVML, loaded at run time (libnvidia-ml.so.1 /
// nvml.dll): no link-time dependency, so the same binary runs on machines
// without an NVIDIA driver. Internal to core/engine; no torch.
#include "core/engine/memory_probe.h"

#include <string>
#include <vector>

namespace samlabel::engine {

class NvmlProbe {
public:
    // Loads and initialises NVML once per process; never throws.
    static NvmlProbe& instance();

    bool available() const { return available_; }
    // Why NVML is unavailable ("NVML not found: libnvidia-ml.so.1: cannot open
    // shared object file"), or "NVML <version>" when it is.
    const std::string& status() const { return status_; }

    // One entry per GPU visible to CUDA in this process (CUDA_VISIBLE_DEVICES
    // with plain indices is honoured, assuming CUDA's order is PCI order, as
    // it is for identical cards). Empty when NVML is unavailable.
    std::vector<GpuMemory> query() const;

private:
    NvmlProbe();
    struct Api;
    Api* api_ = nullptr;  // lives for the process: NVML is never unloaded
    bool available_ = false;
    std::string status_;
};

}  // namespace samlabel::engine
