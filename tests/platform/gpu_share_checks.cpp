// This process's VRAM share: unknown stays unknown (never 0), and DXGI
// adapters are matched by LUID, or by PCI ids only when that is unambiguous.
#include "core/engine/memory_probe.h"
#include "core/engine/platform/dxgi_adapters.h"
#include "tests/platform/check.h"

using namespace samlabel::engine;

namespace {
constexpr std::uint64_t GiB = 1ull << 30;

GpuMemory card(std::uint64_t total, std::uint64_t free) {
    GpuMemory gpu;
    gpu.total_bytes = total;
    gpu.free_bytes = free;
    return gpu;
}

DxgiAdapterMemory adapter(std::uint64_t luid, std::uint32_t device, std::uint32_t subsys, std::optional<std::uint64_t> ours) {
    DxgiAdapterMemory a;
    a.luid = luid;
    a.vendor_id = 0x10de;
    a.device_id = device;
    a.subsys_id = subsys;
    a.this_process_bytes = ours;
    return a;
}
}  // namespace

CHECK_CASE("gpu share: a measured share splits what is in use") {
    GpuMemory gpu = card(24 * GiB, 19 * GiB);  // 5 GiB in use
    split_gpu_usage(gpu, 3 * GiB);
    CHECK(gpu.this_process_known);
    CHECK_EQ(gpu.used_by_this_process_bytes, 3 * GiB);
    CHECK_EQ(gpu.used_by_others_bytes, 2 * GiB);
}

CHECK_CASE("gpu share: a measured 0 is known and leaves everything to others") {
    GpuMemory gpu = card(24 * GiB, 19 * GiB);
    split_gpu_usage(gpu, 0);
    CHECK(gpu.this_process_known);
    CHECK_EQ(gpu.used_by_this_process_bytes, 0ull);
    CHECK_EQ(gpu.used_by_others_bytes, 5 * GiB);
}

CHECK_CASE("gpu share: unknown is not 0") {
    GpuMemory gpu = card(24 * GiB, 19 * GiB);
    split_gpu_usage(gpu, 2 * GiB);
    split_gpu_usage(gpu, std::nullopt);  // a later reading that cannot tell
    CHECK(!gpu.this_process_known);
    CHECK_EQ(gpu.used_by_this_process_bytes, 0ull);
    CHECK_EQ(gpu.used_by_others_bytes, 5 * GiB);
}

CHECK_CASE("gpu share: a share above what is in use is clamped") {
    GpuMemory gpu = card(8 * GiB, 7 * GiB);
    split_gpu_usage(gpu, 3 * GiB);  // counters read at different moments
    CHECK_EQ(gpu.used_by_this_process_bytes, 1 * GiB);
    CHECK_EQ(gpu.used_by_others_bytes, 0ull);
}

CHECK_CASE("dxgi: adapters are found by LUID; a missing LUID or usage is unknown") {
    DxgiReading reading;
    reading.adapters = {adapter(0x0000000100000abcull, 0x2684, 0x1, 512u << 20), adapter(0x22, 0x2684, 0x2, std::nullopt)};
    CHECK(dxgi_process_bytes_by_luid(reading, 0x0000000100000abcull) == std::optional<std::uint64_t>(512u << 20));
    CHECK(!dxgi_process_bytes_by_luid(reading, 0x22).has_value());           // QueryVideoMemoryInfo failed
    CHECK(!dxgi_process_bytes_by_luid(reading, 0xdeadbeefull).has_value());  // no such adapter
    CHECK(!dxgi_process_bytes_by_luid(DxgiReading{}, 0).has_value());
}

CHECK_CASE("dxgi: PCI ids match only a unique adapter") {
    DxgiReading reading;
    reading.adapters = {adapter(1, 0x2684, 0x1, 100), adapter(2, 0x2684, 0x1, 200), adapter(3, 0x2330, 0x7, 300)};
    CHECK(dxgi_process_bytes_by_pci(reading, 0x10de, 0x2330, 0x7) == std::optional<std::uint64_t>(300));
    CHECK(!dxgi_process_bytes_by_pci(reading, 0x10de, 0x2684, 0x1).has_value());  // two identical cards
    CHECK(!dxgi_process_bytes_by_pci(reading, 0x1002, 0x2330, 0x7).has_value());  // another vendor
}
