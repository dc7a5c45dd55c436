// The live probes on this machine (Linux here, Windows under wine): figures
// that hold anywhere, and NVML/DXGI saying why they cannot tell.
#include "core/engine/memory_probe.h"
#include "core/engine/platform/dxgi_adapters.h"
#include "core/engine/platform/nvml_probe.h"
#include "tests/platform/check.h"

#include <cstdio>
#include <cstring>
#include <memory>

using namespace samlabel::engine;

CHECK_CASE("memory probe: this machine's RAM and this process are read") {
    const SystemMemory before = read_system_memory();
    CHECK(before.total_bytes > (256ull << 20));
    CHECK(before.available_bytes > 0);
    CHECK(before.available_bytes <= before.total_bytes);
    CHECK(before.process_rss_bytes > 0);
    CHECK(before.process_peak_rss_bytes >= before.process_rss_bytes);
    // 256 MiB written: the resident set grows by about that much.
    const std::size_t bytes = 256u << 20;
    std::unique_ptr<char[]> block(new char[bytes]);
    std::memset(block.get(), 1, bytes);
    const SystemMemory after = read_system_memory();
    std::printf("  rss %llu -> %llu, private %llu -> %llu\n", (unsigned long long)before.process_rss_bytes,
                (unsigned long long)after.process_rss_bytes, (unsigned long long)before.process_private_bytes.value_or(0),
                (unsigned long long)after.process_private_bytes.value_or(0));
    CHECK(after.process_rss_bytes >= before.process_rss_bytes + bytes / 2);
    // Windows reports the commit charge too (wine does not: then it is unset, not 0).
    CHECK(before.process_private_bytes.has_value() == after.process_private_bytes.has_value());
    if (after.process_private_bytes)
        CHECK(*after.process_private_bytes >= before.process_private_bytes.value_or(0) + bytes / 2);
#ifndef _WIN32
    CHECK(!after.process_private_bytes.has_value());
#endif
    CHECK(block[bytes - 1] == 1);
}

CHECK_CASE("nvml: without an NVIDIA driver it says so and reports no GPU") {
    NvmlProbe& nvml = NvmlProbe::instance();
    CHECK(!nvml.status().empty());
    if (!nvml.available()) {
        CHECK(nvml.status().rfind("NVML not found: ", 0) == 0);
        CHECK(nvml.query().empty());
    } else {
        for (const GpuMemory& gpu : nvml.query()) CHECK(gpu.free_bytes <= gpu.total_bytes);
    }
}

#ifdef _WIN32
CHECK_CASE("dxgi: adapters are listed or the reason is given; an unknown LUID is unknown") {
    const DxgiReading reading = read_dxgi_adapters();
    CHECK(!reading.error.empty() || reading.adapters.size() < 64);
    for (const DxgiAdapterMemory& adapter : reading.adapters) CHECK(!adapter.name.empty() || adapter.vendor_id != 0);
    CHECK(!dxgi_process_bytes_by_luid(reading, 0xfeedfacecafebeefull).has_value());
}
#endif
