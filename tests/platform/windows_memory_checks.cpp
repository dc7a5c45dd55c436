// The Windows RAM arithmetic (windows_memory_counters.h) on counters chosen by
// hand; the expected figures are worked out here, not by the code under test.
#include "core/engine/platform/windows_memory_counters.h"
#include "tests/platform/check.h"

using namespace samlabel::engine;

namespace {
constexpr std::uint64_t GiB = 1ull << 30;
constexpr std::uint64_t MiB = 1ull << 20;

WindowsMemoryCounters machine_16g() {
    WindowsMemoryCounters c;
    c.total_phys = 16 * GiB;
    c.avail_phys = 6 * GiB;
    c.total_page_file = 24 * GiB;  // 16 GiB RAM + 8 GiB page file
    c.avail_page_file = 10 * GiB;  // 14 GiB committed
    c.working_set = 700 * MiB;
    c.peak_working_set = 900 * MiB;
    c.private_bytes = 1200 * MiB;
    return c;
}
}  // namespace

CHECK_CASE("windows memory: free RAM is the limit when the commit limit has more room") {
    const SystemMemory m = system_memory_from_windows_counters(machine_16g());
    CHECK_EQ(m.total_bytes, 16 * GiB);
    CHECK_EQ(m.available_bytes, 6 * GiB);
    CHECK_EQ(m.swap_total_bytes, 8 * GiB);
    CHECK_EQ(m.swap_used_bytes, 4 * GiB);  // 14 GiB committed, 10 GiB of RAM in use
    CHECK_EQ(m.process_rss_bytes, 700 * MiB);
    CHECK_EQ(m.process_peak_rss_bytes, 900 * MiB);
    CHECK(m.process_private_bytes.has_value());
    CHECK_EQ(m.process_private_bytes.value_or(0), 1200 * MiB);
    CHECK(!m.cgroup_limit_bytes.has_value());
    CHECK(!m.cgroup_available_bytes.has_value());
}

CHECK_CASE("windows memory: the commit limit caps what is available even with free RAM") {
    WindowsMemoryCounters c = machine_16g();
    c.avail_phys = 9 * GiB;
    c.avail_page_file = 2 * GiB;  // a small page file nearly full of commit
    const SystemMemory m = system_memory_from_windows_counters(c);
    CHECK_EQ(m.available_bytes, 2 * GiB);
    // Commit 22 GiB, RAM in use 7 GiB: 15 GiB beyond RAM, but the page files hold only 8.
    CHECK_EQ(m.swap_used_bytes, 8 * GiB);
}

CHECK_CASE("windows memory: no page file") {
    WindowsMemoryCounters c = machine_16g();
    c.total_page_file = 16 * GiB;
    c.avail_page_file = 5 * GiB;
    const SystemMemory m = system_memory_from_windows_counters(c);
    CHECK_EQ(m.swap_total_bytes, 0ull);
    CHECK_EQ(m.swap_used_bytes, 0ull);
    CHECK_EQ(m.available_bytes, 5 * GiB);
}

CHECK_CASE("windows memory: a per-process job limit counts this process's private bytes") {
    WindowsMemoryCounters c = machine_16g();
    c.job_process_limit = 2 * GiB;
    const SystemMemory m = system_memory_from_windows_counters(c);
    CHECK_EQ(m.cgroup_limit_bytes.value_or(0), 2 * GiB);
    CHECK_EQ(m.cgroup_available_bytes.value_or(0), 2 * GiB - 1200 * MiB);
    CHECK_EQ(m.available_bytes, 2 * GiB - 1200 * MiB);
}

CHECK_CASE("windows memory: a job-wide limit counts the job's use, and the tightest cap wins") {
    WindowsMemoryCounters c = machine_16g();
    c.job_process_limit = 4 * GiB;  // 4 GiB - 1.17 GiB room
    c.job_limit = 5 * GiB;
    c.job_used = 4 * GiB;  // other processes in the job: 1 GiB room
    SystemMemory m = system_memory_from_windows_counters(c);
    CHECK_EQ(m.cgroup_limit_bytes.value_or(0), 4 * GiB);
    CHECK_EQ(m.cgroup_available_bytes.value_or(0), 1 * GiB);
    CHECK_EQ(m.available_bytes, 1 * GiB);

    c.job_used.reset();  // unknown: at least this process's private bytes
    m = system_memory_from_windows_counters(c);
    CHECK_EQ(m.cgroup_available_bytes.value_or(0), 4 * GiB - 1200 * MiB);

    c.job_process_limit.reset();
    c.job_limit = 1 * GiB;  // already over
    m = system_memory_from_windows_counters(c);
    CHECK_EQ(m.cgroup_available_bytes.value_or(1), 0ull);
    CHECK_EQ(m.available_bytes, 0ull);
}

CHECK_CASE("windows memory: without private bytes the working set is what a job cap counts") {
    WindowsMemoryCounters c = machine_16g();
    c.private_bytes.reset();
    c.job_process_limit = 1 * GiB;
    const SystemMemory m = system_memory_from_windows_counters(c);
    CHECK(!m.process_private_bytes.has_value());
    CHECK_EQ(m.cgroup_available_bytes.value_or(0), 1 * GiB - 700 * MiB);
}

CHECK_CASE("windows memory: a peak below the current working set is raised to it") {
    WindowsMemoryCounters c = machine_16g();
    c.peak_working_set = 0;  // the call that reads it failed
    CHECK_EQ(system_memory_from_windows_counters(c).process_peak_rss_bytes, 700 * MiB);
}
