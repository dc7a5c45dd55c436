#include "core/engine/platform/console_break.h"

#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

namespace samlabel::engine {

const std::uint32_t kNewProcessGroupCreationFlag = CREATE_NEW_PROCESS_GROUP;

bool request_console_break(std::int64_t pid, std::string* error) {
    const DWORD group = DWORD(pid);  // a group's id is its first process's id
    if (pid <= 0) {
        if (error) *error = "Ctrl+Break to process " + std::to_string(pid) + ": not a process id";
        return false;
    }
    // Sharing the child's console (samlabel-cli, or a GUI child started with one): send it.
    if (GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, group)) return true;
    std::string why = "GenerateConsoleCtrlEvent failed (error " + std::to_string(GetLastError()) + ")";
    // No console of ours (the GUI; QProcess gives the child a hidden one of
    // its own): attach to the child's for the call. The break goes to the
    // child's group only, never to this process.
    if (AttachConsole(group)) {
        const BOOL sent = GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, group);
        const DWORD failure = GetLastError();
        FreeConsole();
        if (sent) return true;
        why += "; attached to its console, it failed again (error " + std::to_string(failure) + ")";
    } else {
        why += "; AttachConsole to it failed (error " + std::to_string(GetLastError()) + ")";
    }
    if (error) *error = "Ctrl+Break to process group " + std::to_string(pid) + ": " + why;
    return false;
}

}  // namespace samlabel::engine
