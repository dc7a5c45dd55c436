// The Linux memory probe against a fake /proc + cgroup tree (numbers set by
// the test) and the real one on this machine (RSS follows an allocation).
#include "core/engine/memory_probe.h"
#include "core/engine/platform/nvml_probe.h"
#ifdef __linux__
#include "core/engine/platform/memory_probe_linux.h"
#endif

#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <fstream>
#include <vector>

using namespace samlabel::engine;
namespace fs = std::filesystem;

namespace {
constexpr std::uint64_t MiB = 1ull << 20;
void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}
}  // namespace

class TestMemoryProbe : public QObject {
    Q_OBJECT

private slots:
#ifdef __linux__
    void fakeProcAndNestedCgroups() {
        QTemporaryDir dir;
        const fs::path root(dir.path().toStdString());
        write_text(root / "proc/meminfo",
                   "MemTotal:       16384000 kB\nMemFree:         1000000 kB\nMemAvailable:    8192000 kB\n"
                   "SwapTotal:       2048000 kB\nSwapFree:        1024000 kB\n");
        write_text(root / "proc/self/status",
                   "Name:\tsamlabel\nVmHWM:\t  900000 kB\nVmRSS:\t  500000 kB\nRssAnon:\t  120000 kB\nRssFile:\t  379000 kB\n"
                   "RssShmem:\t    1000 kB\n");
        write_text(root / "proc/self/cgroup", "0::/user.slice/app.scope\n");
        // The parent's limit is tighter in room left: 3 GiB - 2.5 GiB = 512 MiB.
        write_text(root / "cg/user.slice/memory.max", "3221225472\n");
        write_text(root / "cg/user.slice/memory.current", "2684354560\n");
        write_text(root / "cg/user.slice/app.scope/memory.max", "max\n");
        write_text(root / "cg/user.slice/app.scope/memory.current", "1073741824\n");
        const SystemMemory m = read_linux_system_memory(root / "proc", root / "cg");
        QCOMPARE(m.total_bytes, std::uint64_t(16384000) * 1024);
        QCOMPARE(m.swap_total_bytes, std::uint64_t(2048000) * 1024);
        QCOMPARE(m.swap_used_bytes, std::uint64_t(1024000) * 1024);
        QCOMPARE(m.process_rss_bytes, std::uint64_t(500000) * 1024);
        QCOMPARE(m.process_peak_rss_bytes, std::uint64_t(900000) * 1024);
        // Zero-copy weights show up as file-backed pages, conversions and activations as anonymous.
        QCOMPARE(m.process_rss_file_bytes.value_or(0), std::uint64_t(379000) * 1024);
        QCOMPARE(m.process_rss_anon_bytes.value_or(0), std::uint64_t(120000) * 1024);
        QVERIFY(m.cgroup_limit_bytes);
        QCOMPARE(*m.cgroup_limit_bytes, std::uint64_t(3) << 30);
        QCOMPARE(*m.cgroup_available_bytes, 512 * MiB);
        QCOMPARE(m.available_bytes, 512 * MiB);  // min(MemAvailable, cgroup room)

        // Unconfined: MemAvailable as is.
        write_text(root / "cg/user.slice/memory.max", "max\n");
        const SystemMemory free = read_linux_system_memory(root / "proc", root / "cg");
        QVERIFY(!free.cgroup_limit_bytes);
        QCOMPARE(free.available_bytes, std::uint64_t(8192000) * 1024);
    }

    void cgroupV1AsDockerOnOlderHosts() {
        QTemporaryDir dir;
        const fs::path root(dir.path().toStdString());
        write_text(root / "proc/meminfo", "MemTotal: 16384000 kB\nMemAvailable: 8192000 kB\n");
        // One line per v1 hierarchy; memory may share a line with other controllers.
        write_text(root / "proc/self/cgroup", "12:pids:/docker/abc\n4:memory,hugetlb:/docker/abc\n1:name=systemd:/docker/abc\n0::/\n");
        // The container: 2 GiB limit, 1.5 GiB used, of which 256 MiB inactive page cache.
        write_text(root / "cg/memory/docker/abc/memory.limit_in_bytes", "2147483648\n");
        write_text(root / "cg/memory/docker/abc/memory.usage_in_bytes", "1610612736\n");
        write_text(root / "cg/memory/docker/abc/memory.stat", "cache 600000000\nrss 900000000\ntotal_inactive_file 268435456\n");
        // Its parent and the root: "no limit" (PAGE_COUNTER_MAX pages in bytes).
        write_text(root / "cg/memory/docker/memory.limit_in_bytes", "9223372036854771712\n");
        write_text(root / "cg/memory/memory.limit_in_bytes", "9223372036854771712\n");
        // The v2 root has no memory.max: nothing there.
        const SystemMemory m = read_linux_system_memory(root / "proc", root / "cg");
        QVERIFY(m.cgroup_limit_bytes);
        QCOMPARE(*m.cgroup_limit_bytes, std::uint64_t(2) << 30);
        // 2 GiB - (1.5 GiB - 256 MiB reclaimable) = 768 MiB.
        QCOMPARE(*m.cgroup_available_bytes, 768 * MiB);
        QCOMPARE(m.available_bytes, 768 * MiB);

        // Nested: a tighter parent wins.
        write_text(root / "cg/memory/docker/memory.limit_in_bytes", "1879048192\n");  // 1.75 GiB
        write_text(root / "cg/memory/docker/memory.usage_in_bytes", "1610612736\n");
        const SystemMemory nested = read_linux_system_memory(root / "proc", root / "cg");
        QCOMPARE(*nested.cgroup_limit_bytes, std::uint64_t(1879048192));
        QCOMPARE(*nested.cgroup_available_bytes, 256 * MiB);  // its memory.stat is missing: nothing counted reclaimable

        // No limit anywhere: MemAvailable.
        write_text(root / "cg/memory/docker/memory.limit_in_bytes", "9223372036854771712\n");
        write_text(root / "cg/memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n");
        const SystemMemory open = read_linux_system_memory(root / "proc", root / "cg");
        QVERIFY(!open.cgroup_limit_bytes);
        QCOMPARE(open.available_bytes, std::uint64_t(8192000) * 1024);
    }

    void cgroupV2ReclaimableCache() {
        QTemporaryDir dir;
        const fs::path root(dir.path().toStdString());
        write_text(root / "proc/meminfo", "MemTotal: 16384000 kB\nMemAvailable: 8192000 kB\n");
        write_text(root / "proc/self/cgroup", "0::/app\n");
        write_text(root / "cg/app/memory.max", "1073741824\n");
        write_text(root / "cg/app/memory.current", "1073741824\n");  // at the limit...
        write_text(root / "cg/app/memory.stat", "anon 536870912\nfile 536870912\ninactive_file 402653184\n");
        const SystemMemory m = read_linux_system_memory(root / "proc", root / "cg");
        QCOMPARE(*m.cgroup_available_bytes, 384 * MiB);  // ...but 384 MiB of it is page cache the kernel drops first
    }

    void oldKernelWithoutMemAvailable() {
        QTemporaryDir dir;
        const fs::path root(dir.path().toStdString());
        write_text(root / "proc/meminfo", "MemTotal: 1000 kB\nMemFree: 400 kB\n");
        const SystemMemory m = read_linux_system_memory(root / "proc", root / "cg");
        QCOMPARE(m.available_bytes, std::uint64_t(400) * 1024);
        QCOMPARE(m.process_rss_bytes, std::uint64_t(0));
    }
#endif

    void realProbeFollowsAnAllocation() {
        const auto probe = make_system_memory_probe();
        const SystemMemory before = probe->system();
        QVERIFY(before.total_bytes > 0);
        QVERIFY(before.available_bytes > 0 && before.available_bytes <= before.total_bytes);
        QVERIFY(before.process_rss_bytes > 0);
        QVERIFY(before.process_peak_rss_bytes >= before.process_rss_bytes);
        std::vector<char> block(256 * MiB);
        std::memset(block.data(), 1, block.size());  // touch every page
        const SystemMemory during = probe->system();
        QVERIFY2(during.process_rss_bytes >= before.process_rss_bytes + 240 * MiB,
                 qPrintable(QString("RSS %1 -> %2").arg(before.process_rss_bytes).arg(during.process_rss_bytes)));
        QVERIFY(during.process_peak_rss_bytes >= during.process_rss_bytes);
        block = {};
        block.shrink_to_fit();
#ifdef __linux__
        QVERIFY(reset_peak_rss());
        const SystemMemory after = probe->system();
        QVERIFY2(after.process_peak_rss_bytes < during.process_peak_rss_bytes - 200 * MiB, "peak reset");
#endif
    }

    void gpusWithoutNvmlOrCuda() {
        // On a machine with NVML this lists the GPUs; without, the status says why.
        NvmlProbe& nvml = NvmlProbe::instance();
        QVERIFY(!nvml.status().empty());
        if (!nvml.available()) {
            QVERIFY2(nvml.status().rfind("NVML not found", 0) == 0 || nvml.status().rfind("NVML found but", 0) == 0,
                     nvml.status().c_str());
            QVERIFY(nvml.query().empty());
        }
        for (const GpuMemory& gpu : make_system_memory_probe()->gpus()) {
            QVERIFY(gpu.total_bytes >= gpu.free_bytes);
            QCOMPARE(gpu.used_by_this_process_bytes + gpu.used_by_others_bytes, gpu.total_bytes - gpu.free_bytes);
            QVERIFY(gpu.source == "nvml" || gpu.source == "torch");
        }
    }
};

QTEST_GUILESS_MAIN(TestMemoryProbe)
#include "test_memory_probe.moc"
