#pragma once
// Linux memory reading with the /proc and cgroup roots as parameters, so tests
// can point it at a fake tree. Internal to core/engine (and its tests).
#include "core/engine/memory_probe.h"

#include <filesystem>

namespace samlabel::engine {

// proc_dir: normally "/proc" (reads meminfo, self/status, self/cgroup);
// cgroup_mount: normally "/sys/fs/cgroup" (cgroup v2 unified hierarchy).
SystemMemory read_linux_system_memory(const std::filesystem::path& proc_dir, const std::filesystem::path& cgroup_mount);

}  // namespace samlabel::engine
