#include "core/engine/platform/windows_memory_counters.h"

#include <algorithm>

namespace samlabel::engine {

namespace {

std::uint64_t room_under(std::uint64_t limit, std::uint64_t used) { return limit > used ? limit - used : 0; }

}  // namespace

SystemMemory system_memory_from_windows_counters(const WindowsMemoryCounters& c) {
    SystemMemory memory;
    memory.total_bytes = c.total_phys;
    memory.available_bytes = std::min(c.avail_phys, c.avail_page_file);
    // The commit limit counts RAM too: the page files are what lies beyond it.
    memory.swap_total_bytes = room_under(c.total_page_file, c.total_phys);
    const std::uint64_t committed = room_under(c.total_page_file, c.avail_page_file);
    const std::uint64_t ram_used = room_under(c.total_phys, c.avail_phys);
    memory.swap_used_bytes = std::min(room_under(committed, ram_used), memory.swap_total_bytes);
    memory.process_rss_bytes = c.working_set;
    memory.process_peak_rss_bytes = std::max(c.peak_working_set, c.working_set);
    memory.process_private_bytes = c.private_bytes;
    const std::uint64_t committed_by_us = c.private_bytes.value_or(c.working_set);

    // The tightest job cap wins, each measured against what it counts.
    auto apply_cap = [&](std::uint64_t limit, std::uint64_t used) {
        const std::uint64_t room = room_under(limit, used);
        if (!memory.cgroup_limit_bytes || limit < *memory.cgroup_limit_bytes) memory.cgroup_limit_bytes = limit;
        if (!memory.cgroup_available_bytes || room < *memory.cgroup_available_bytes) memory.cgroup_available_bytes = room;
    };
    if (c.job_process_limit) apply_cap(*c.job_process_limit, committed_by_us);
    if (c.job_limit) apply_cap(*c.job_limit, std::max(c.job_used.value_or(committed_by_us), committed_by_us));
    if (memory.cgroup_available_bytes)
        memory.available_bytes = std::min(memory.available_bytes, *memory.cgroup_available_bytes);
    return memory;
}

}  // namespace samlabel::engine
