#pragma once
// What memory there is right now: system RAM (and the cgroup limit when this
// process is confined), this process's resident set, and VRAM per GPU split
// into this process's share and other processes' (a YOLO training run shows
// up as "others"). Plain structs, no torch.
//
// Implementations, one file per platform: memory_probe_linux.cpp,
// memory_probe_windows.cpp; GPUs through nvml_probe.cpp (NVML loaded at run
// time), else cuda_memory_fallback.cpp (libtorch's CUDA queries).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace samlabel::engine {

struct SystemMemory {
    std::uint64_t total_bytes = 0;
    // What can still be allocated without swapping: MemAvailable, or less
    // when a cgroup limit leaves less room (see cgroup_available_bytes).
    std::uint64_t available_bytes = 0;
    std::uint64_t swap_total_bytes = 0;
    std::uint64_t swap_used_bytes = 0;
    std::uint64_t process_rss_bytes = 0;
    std::uint64_t process_peak_rss_bytes = 0;
    // The resident set split by what backs it, where the OS tells (Linux:
    // RssFile / RssAnon): file-backed pages (zero-copy weights, the mapped
    // checkpoint) can be dropped by the OS and read again; anonymous ones
    // (activations, converted weights, caches) can only go to swap.
    std::optional<std::uint64_t> process_rss_file_bytes;
    std::optional<std::uint64_t> process_rss_anon_bytes;
    // Windows: this process's commit charge (PrivateUsage), what the commit
    // limit and job limits count. Unset where the OS has no such figure.
    std::optional<std::uint64_t> process_private_bytes;
    std::optional<std::uint64_t> cgroup_limit_bytes;      // memory.max when confined
    std::optional<std::uint64_t> cgroup_available_bytes;  // memory.max - memory.current
};

struct GpuMemory {
    int index = 0;  // CUDA ordinal
    std::string name;
    std::uint64_t total_bytes = 0;
    std::uint64_t free_bytes = 0;
    // This process's share, and whether it was measured at all: NVML under
    // Windows WDDM never reports per-process memory, and without DXGI (or the
    // torch allocator) the share is unknown. Unknown is not 0: with
    // this_process_known false, used_by_this_process_bytes is 0 and means
    // nothing, and used_by_others_bytes holds everything in use.
    std::uint64_t used_by_this_process_bytes = 0;
    bool this_process_known = true;
    std::uint64_t used_by_others_bytes = 0;  // used - ours (other processes, the driver)
    std::string source;                      // "nvml", "nvml+dxgi" or "torch"
};

// Fills a GPU's split from total, free and this process's bytes when known
// (clamped to what is in use). See GpuMemory::this_process_known.
void split_gpu_usage(GpuMemory& gpu, std::optional<std::uint64_t> this_process_bytes);

class MemoryProbe {
public:
    virtual ~MemoryProbe() = default;
    virtual SystemMemory system() = 0;
    virtual std::vector<GpuMemory> gpus() = 0;  // empty without a usable GPU
};

// The real probe for this platform (NVML when present, torch otherwise).
std::unique_ptr<MemoryProbe> make_system_memory_probe();

// The platform half, usable alone (no GPU queries).
SystemMemory read_system_memory();

// Resets the process's peak-RSS counter where the OS allows it (Linux:
// /proc/self/clear_refs "5"). Returns false where it cannot.
bool reset_peak_rss();

}  // namespace samlabel::engine
