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
