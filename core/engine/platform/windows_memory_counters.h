#pragma once
// The arithmetic of Windows memory figures, apart from the API calls, so the
// Linux tests cover it (memory_probe_windows.cpp only fills the counters).
// Plain std, no <windows.h>.
#include "core/engine/memory_probe.h"

#include <cstdint>
#include <optional>

namespace samlabel::engine {

// What GlobalMemoryStatusEx, GetProcessMemoryInfo and
// QueryInformationJobObject report, in bytes.
struct WindowsMemoryCounters {
    std::uint64_t total_phys = 0;        // MEMORYSTATUSEX::ullTotalPhys
    std::uint64_t avail_phys = 0;        // ullAvailPhys
    std::uint64_t total_page_file = 0;   // ullTotalPageFile: the commit limit (RAM + page files)
    std::uint64_t avail_page_file = 0;   // ullAvailPageFile: commit limit - committed
    std::uint64_t working_set = 0;       // PROCESS_MEMORY_COUNTERS_EX::WorkingSetSize
    std::uint64_t peak_working_set = 0;  // PeakWorkingSetSize (process lifetime; cannot be reset)
    // PrivateUsage: this process's commit charge. Unset when not reported
    // (never 0 on Windows for a running process; wine reports 0).
    std::optional<std::uint64_t> private_bytes;
    // Job object limits (JOB_OBJECT_LIMIT_PROCESS_MEMORY / JOB_OBJECT_LIMIT_JOB_MEMORY),
    // both on committed memory; job_used is the job's current commit charge.
    std::optional<std::uint64_t> job_process_limit;
    std::optional<std::uint64_t> job_limit;
    std::optional<std::uint64_t> job_used;
};

// available = min(free RAM, commit room): an allocation that fits in free RAM
// still fails when the commit limit is reached, and Windows commits on
// allocation, not on first touch. A job limit lowers it further; it is
// reported as the "cgroup" fields (same meaning: a cap on this process).
// A job limit whose current use is unknown counts this process's private
// bytes as the use, the least the job can hold; the working set stands in for
// private bytes that are not reported.
SystemMemory system_memory_from_windows_counters(const WindowsMemoryCounters& counters);

}  // namespace samlabel::engine
