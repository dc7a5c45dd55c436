// Windows: GlobalMemoryStatusEx for the system, GetProcessMemoryInfo for this
// process, QueryInformationJobObject for a job's caps. This file only reads
// the counters; windows_memory_counters.cpp does the arithmetic. Built only on
// Windows (see CMakeLists.txt).
#include "core/engine/memory_probe.h"
#include "core/engine/platform/windows_memory_counters.h"

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
    WindowsMemoryCounters counters;
    MEMORYSTATUSEX status{};
    status.dwLength = sizeof status;
    if (::GlobalMemoryStatusEx(&status)) {
        counters.total_phys = status.ullTotalPhys;
        counters.avail_phys = status.ullAvailPhys;
        counters.total_page_file = status.ullTotalPageFile;
        counters.avail_page_file = status.ullAvailPageFile;
    }
    PROCESS_MEMORY_COUNTERS_EX process{};
    if (::GetProcessMemoryInfo(::GetCurrentProcess(), reinterpret_cast<PROCESS_MEMORY_COUNTERS*>(&process), sizeof process)) {
        counters.working_set = process.WorkingSetSize;
        counters.peak_working_set = process.PeakWorkingSetSize;
        if (process.PrivateUsage > 0) counters.private_bytes = process.PrivateUsage;  // wine reports 0
    }
    // A job object can cap a process's or the whole job's commit, like a cgroup.
    // The job's current commit is not in this structure: the arithmetic falls
    // back to this process's private bytes (see windows_memory_counters.h).
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION job{};
    if (::QueryInformationJobObject(nullptr, JobObjectExtendedLimitInformation, &job, sizeof job, nullptr)) {
        const DWORD flags = job.BasicLimitInformation.LimitFlags;
        if (flags & JOB_OBJECT_LIMIT_PROCESS_MEMORY) counters.job_process_limit = job.ProcessMemoryLimit;
        if (flags & JOB_OBJECT_LIMIT_JOB_MEMORY) counters.job_limit = job.JobMemoryLimit;
    }
    return system_memory_from_windows_counters(counters);
}

bool reset_peak_rss() { return false; }  // PeakWorkingSetSize cannot be reset

}  // namespace samlabel::engine
