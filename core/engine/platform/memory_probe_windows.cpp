// Windows: GlobalMemoryStatusEx for the system, GetProcessMemoryInfo for this
// process. Built only on Windows (see CMakeLists.txt).
#include "core/engine/memory_probe.h"

#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <psapi.h>

namespace samlabel::engine {

SystemMemory read_system_memory() {
    SystemMemory memory;
    MEMORYSTATUSEX status{};
    status.dwLength = sizeof status;
    if (::GlobalMemoryStatusEx(&status)) {
        memory.total_bytes = status.ullTotalPhys;
        memory.available_bytes = status.ullAvailPhys;
        // The page file counts physical memory too: swap = commit limit - RAM.
        memory.swap_total_bytes = status.ullTotalPageFile > status.ullTotalPhys ? status.ullTotalPageFile - status.ullTotalPhys : 0;
        const std::uint64_t commit_used = status.ullTotalPageFile - status.ullAvailPageFile;
        const std::uint64_t ram_used = status.ullTotalPhys - status.ullAvailPhys;
        memory.swap_used_bytes = commit_used > ram_used ? commit_used - ram_used : 0;
    }
    PROCESS_MEMORY_COUNTERS counters{};
    if (::GetProcessMemoryInfo(::GetCurrentProcess(), &counters, sizeof counters)) {
        memory.process_rss_bytes = counters.WorkingSetSize;
        memory.process_peak_rss_bytes = counters.PeakWorkingSetSize;
    }
    // Job objects can cap a process's memory like a cgroup does.
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION job{};
    if (::QueryInformationJobObject(nullptr, JobObjectExtendedLimitInformation, &job, sizeof job, nullptr) &&
        (job.BasicLimitInformation.LimitFlags & JOB_OBJECT_LIMIT_PROCESS_MEMORY)) {
        memory.cgroup_limit_bytes = job.ProcessMemoryLimit;
        PROCESS_MEMORY_COUNTERS_EX ex{};
        ::GetProcessMemoryInfo(::GetCurrentProcess(), reinterpret_cast<PROCESS_MEMORY_COUNTERS*>(&ex), sizeof ex);
        const std::uint64_t used = ex.PrivateUsage;
        memory.cgroup_available_bytes = job.ProcessMemoryLimit > used ? job.ProcessMemoryLimit - used : 0;
        if (*memory.cgroup_available_bytes < memory.available_bytes) memory.available_bytes = *memory.cgroup_available_bytes;
    }
    return memory;
}

bool reset_peak_rss() { return false; }  // PeakWorkingSetSize cannot be reset

}  // namespace samlabel::engine
