#include "core/engine/platform/console_break.h"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <sys/types.h>

namespace samlabel::engine {

const std::uint32_t kNewProcessGroupCreationFlag = 0;

bool request_console_break(std::int64_t pid, std::string* error) {
    if (pid > 0 && ::kill(pid_t(pid), SIGTERM) == 0) return true;
    if (error) *error = "SIGTERM to process " + std::to_string(pid) + ": " + (pid > 0 ? std::strerror(errno) : "not a process id");
    return false;
}

}  // namespace samlabel::engine
