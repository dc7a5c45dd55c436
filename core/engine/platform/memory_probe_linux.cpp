// Linux: /proc/meminfo, /proc/self/status and cgroup v2 (memory.max /
// memory.current along this process's cgroup path).
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

// A cgroup v2 file holding a number or "max".
std::optional<std::uint64_t> cgroup_number(const std::filesystem::path& path) {
    std::istringstream in(read_text(path));
    std::string word;
    if (!(in >> word) || word == "max") return std::nullopt;
    try {
        return std::stoull(word);
    } catch (const std::exception&) {
        return std::nullopt;
    }
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

    // cgroup v2: "0::/some/path". Every ancestor's limit applies, so walk up
    // and keep the tightest limit and the least room left.
    std::istringstream cgroups(read_text(proc_dir / "self" / "cgroup"));
    std::string line;
    while (std::getline(cgroups, line)) {
        if (line.rfind("0::", 0) != 0) continue;
        std::filesystem::path group = std::filesystem::path(line.substr(3)).relative_path();
        for (;;) {
            const auto folder = cgroup_mount / group;
            const auto limit = cgroup_number(folder / "memory.max");
            if (limit) {
                const std::uint64_t current = cgroup_number(folder / "memory.current").value_or(0);
                const std::uint64_t room = *limit > current ? *limit - current : 0;
                if (!memory.cgroup_limit_bytes || *limit < *memory.cgroup_limit_bytes) memory.cgroup_limit_bytes = *limit;
                if (!memory.cgroup_available_bytes || room < *memory.cgroup_available_bytes) memory.cgroup_available_bytes = room;
            }
            if (group.empty() || group == group.parent_path()) break;
            group = group.parent_path();
        }
        break;
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
