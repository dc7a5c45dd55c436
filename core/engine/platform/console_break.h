#pragma once
// Asking a child process to stop the way a console user would, so it can save
// first (a training run: Ultralytics keeps its checkpoints). POSIX: SIGTERM.
// Windows has no signals and ignores QProcess::terminate()'s WM_CLOSE in a
// console program: it gets Ctrl+Break sent to its process group
// (GenerateConsoleCtrlEvent), for which the child must have been started with
// kNewProcessGroupCreationFlag, and which only reaches a console this process
// shares: a process without one (the GUI) attaches to the child's console for
// the call. Qt-free, torch-free (console_break_posix.cpp, console_break_windows.cpp).
#include <cstdint>
#include <string>

namespace samlabel::engine {

// CREATE_NEW_PROCESS_GROUP on Windows (the child leads a group of its own, so
// the break reaches it and its children, not this process); 0 elsewhere.
extern const std::uint32_t kNewProcessGroupCreationFlag;

// True when the request was delivered; false with *error naming the reason
// (the caller then stops the child another way).
bool request_console_break(std::int64_t pid, std::string* error);

}  // namespace samlabel::engine
