// Finding an adapter's process usage in a DXGI reading (plain std).
#include "core/engine/platform/dxgi_adapters.h"

namespace samlabel::engine {

std::optional<std::uint64_t> dxgi_process_bytes_by_luid(const DxgiReading& reading, std::uint64_t luid) {
    for (const DxgiAdapterMemory& adapter : reading.adapters)
        if (adapter.luid == luid) return adapter.this_process_bytes;
    return std::nullopt;
}

std::optional<std::uint64_t> dxgi_process_bytes_by_pci(const DxgiReading& reading, std::uint32_t vendor_id,
                                                       std::uint32_t device_id, std::uint32_t subsys_id) {
    const DxgiAdapterMemory* found = nullptr;
    for (const DxgiAdapterMemory& adapter : reading.adapters) {
        if (adapter.vendor_id != vendor_id || adapter.device_id != device_id || adapter.subsys_id != subsys_id) continue;
        if (found) return std::nullopt;  // ambiguous: identical cards
        found = &adapter;
    }
    return found ? found->this_process_bytes : std::nullopt;
}

}  // namespace samlabel::engine
