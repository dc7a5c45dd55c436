// Linux: /proc/meminfo, /proc/self/status and the memory cgroup this process
// is in, v2 (memory.max / memory.current) or v1 (memory.limit_in_bytes /
// memory.usage_in_bytes, Docker on older hosts), along its whole path.
#include "core/engine/memory_probe.h"
#include "core/engine/platform/memory_probe_linux.h"

#include <fstream>
#include <sstream>
#include <string>

namespace samlabel::engine {

namespace {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return {};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// "Key:   12345 kB" lines; returns bytes, or nullopt when the key is absent.
std::optional<std::uint64_t> kib_field(const std::string& text, const std::string& key) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
        std::istringstream fields(line.substr(key.size() + 1));
        std::uint64_t value = 0;
        std::string unit;
        if (!(fields >> value)) return std::nullopt;
        fields >> unit;
        return unit == "kB" ? value * 1024 : value;
    }
    return std::nullopt;
}

// A cgroup file holding a number, "max" (v2: no limit) or v1's "no limit"
// value (PAGE_COUNTER_MAX in bytes, about 2^63).
std::optional<std::uint64_t> cgroup_number(const std::filesystem::path& path) {
    std::istringstream in(read_text(path));
    std::string word;
    if (!(in >> word) || word == "max") return std::nullopt;
    try {
        const std::uint64_t value = std::stoull(word);
        if (value >= (std::uint64_t(1) << 62)) return std::nullopt;
        return value;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// A "key value" line of memory.stat.
std::uint64_t stat_field(const std::string& text, std::string_view key) {
    std::istringstream in(text);
    std::string name;
    std::uint64_t value = 0;
    while (in >> name >> value)
        if (name == key) return value;
    return 0;
}

struct CgroupFiles {
    const char* limit;
    const char* usage;
    const char* inactive_file;  // memory.stat key: file pages the kernel reclaims first
};
constexpr CgroupFiles kCgroupV2{"memory.max", "memory.current", "inactive_file"};
constexpr CgroupFiles kCgroupV1{"memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"};

// Every ancestor's limit applies, so walk up from the process's group and
// keep the tightest limit and the least room left. The usage counts the page
// cache (a mapped checkpoint too); its inactive part is reclaimed before the
// OOM killer runs, so it counts as room, as the kubelet's working set does.
void apply_cgroup_limits(const std::filesystem::path& hierarchy, std::filesystem::path group, const CgroupFiles& files,
                         SystemMemory& memory) {
    for (;;) {
        const auto folder = hierarchy / group;
        if (const auto limit = cgroup_number(folder / files.limit)) {
            const std::uint64_t usage = cgroup_number(folder / files.usage).value_or(0);
            const std::uint64_t reclaimable = std::min(usage, stat_field(read_text(folder / "memory.stat"), files.inactive_file));
            const std::uint64_t working_set = usage - reclaimable;
            const std::uint64_t room = *limit > working_set ? *limit - working_set : 0;
            if (!memory.cgroup_limit_bytes || *limit < *memory.cgroup_limit_bytes) memory.cgroup_limit_bytes = *limit;
            if (!memory.cgroup_available_bytes || room < *memory.cgroup_available_bytes) memory.cgroup_available_bytes = room;
        }
        if (group.empty() || group == group.parent_path()) break;
        group = group.parent_path();
    }
}

// v1 lists each controller: "4:memory:/docker/abc" (or "4:cpu,memory:/...").
bool is_v1_memory_line(std::string_view controllers) {
    std::size_t start = 0;
    while (start <= controllers.size()) {
        const std::size_t end = std::min(controllers.find(',', start), controllers.size());
        if (controllers.substr(start, end - start) == "memory") return true;
        start = end + 1;
    }
    return false;
}

}  // namespace

SystemMemory read_linux_system_memory(const std::filesystem::path& proc_dir, const std::filesystem::path& cgroup_mount) {
    SystemMemory memory;
    const std::string meminfo = read_text(proc_dir / "meminfo");
    memory.total_bytes = kib_field(meminfo, "MemTotal").value_or(0);
    // MemAvailable exists since Linux 3.14; MemFree is the pessimistic fallback.
    memory.available_bytes = kib_field(meminfo, "MemAvailable").value_or(kib_field(meminfo, "MemFree").value_or(0));
    memory.swap_total_bytes = kib_field(meminfo, "SwapTotal").value_or(0);
    const std::uint64_t swap_free = kib_field(meminfo, "SwapFree").value_or(memory.swap_total_bytes);
    memory.swap_used_bytes = memory.swap_total_bytes > swap_free ? memory.swap_total_bytes - swap_free : 0;

    const std::string status = read_text(proc_dir / "self" / "status");
    memory.process_rss_bytes = kib_field(status, "VmRSS").value_or(0);
    memory.process_peak_rss_bytes = kib_field(status, "VmHWM").value_or(memory.process_rss_bytes);
    memory.process_rss_file_bytes = kib_field(status, "RssFile");
    memory.process_rss_anon_bytes = kib_field(status, "RssAnon");

    // /proc/self/cgroup: v2 is "0::/path"; v1 has one line per hierarchy,
    // "N:controllers:/path", mounted at <mount>/memory for the memory one.
    std::istringstream cgroups(read_text(proc_dir / "self" / "cgroup"));
    std::string line;
    while (std::getline(cgroups, line)) {
        const std::size_t first = line.find(':');
        const std::size_t second = first == std::string::npos ? first : line.find(':', first + 1);
        if (second == std::string::npos) continue;
        const std::string_view controllers = std::string_view(line).substr(first + 1, second - first - 1);
        const std::filesystem::path group = std::filesystem::path(line.substr(second + 1)).relative_path();
        if (line.compare(0, first, "0") == 0 && controllers.empty())
            apply_cgroup_limits(cgroup_mount, group, kCgroupV2, memory);
        else if (is_v1_memory_line(controllers))
            apply_cgroup_limits(cgroup_mount / "memory", group, kCgroupV1, memory);
    }
    if (memory.cgroup_available_bytes && *memory.cgroup_available_bytes < memory.available_bytes)
        memory.available_bytes = *memory.cgroup_available_bytes;
    return memory;
}

SystemMemory read_system_memory() { return read_linux_system_memory("/proc", "/sys/fs/cgroup"); }

bool reset_peak_rss() {
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    std::ofstream out("/proc/self/clear_refs");
    if (!out) return false;
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

}  // namespace samlabel::engine
