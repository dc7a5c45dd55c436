#pragma once
// This process's VRAM per adapter as Windows' video memory manager counts it.
// Under WDDM, NVML lists processes without their memory; DXGI's
// IDXGIAdapter3::QueryVideoMemoryInfo reports this process's use of each
// adapter's local (dedicated) memory, CUDA allocations included. Read on
// Windows by dxgi_adapters_windows.cpp; the matching below is plain std, so
// the Linux tests cover it. Internal to core/engine; no torch.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace samlabel::engine {

struct DxgiAdapterMemory {
    std::uint64_t luid = 0;  // LUID as (HighPart << 32) | LowPart, what CUDA's cudaDeviceProp::luid holds
    std::uint32_t vendor_id = 0;
    std::uint32_t device_id = 0;
    std::uint32_t subsys_id = 0;
    std::string name;  // UTF-8
    std::uint64_t dedicated_bytes = 0;
    // QueryVideoMemoryInfo(LOCAL).CurrentUsage; unset when that call failed
    // (adapter without IDXGIAdapter3: before Windows 10).
    std::optional<std::uint64_t> this_process_bytes;
};

struct DxgiReading {
    std::vector<DxgiAdapterMemory> adapters;
    std::string error;  // why nothing could be read ("" when the adapters were listed)
};

#ifdef _WIN32
// Lists the adapters through CreateDXGIFactory1. Never throws.
DxgiReading read_dxgi_adapters();
#endif

// This process's bytes on the adapter with this LUID; nullopt when no adapter
// has it or its usage could not be read. Unknown, never 0.
std::optional<std::uint64_t> dxgi_process_bytes_by_luid(const DxgiReading& reading, std::uint64_t luid);

// The same for an adapter known by its PCI ids (NVML's pciDeviceId is
// device << 16 | vendor): only when exactly one adapter has these ids, since
// two identical cards cannot be told apart this way.
std::optional<std::uint64_t> dxgi_process_bytes_by_pci(const DxgiReading& reading, std::uint32_t vendor_id,
                                                       std::uint32_t device_id, std::uint32_t subsys_id);

}  // namespace samlabel::engine
