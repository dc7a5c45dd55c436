#pragma once
// A stop request from the console, one concept on both platforms: Ctrl+C and
// SIGTERM on POSIX (console_stop_posix.cpp); Ctrl+C, Ctrl+Break and closing
// the console window on Windows (console_stop_windows.cpp,
// SetConsoleCtrlHandler). samlabel-cli serve and autolabel stop cleanly on
// the first request; a later one is passed on the same way.
//
// A signal handler may do almost nothing safely, and Windows runs its console
// handler on a thread of its own: either way on_stop runs on an ordinary
// thread that is not the caller's, so it may lock, print and post to an event
// loop (QMetaObject::invokeMethod with Qt::QueuedConnection), but must not
// touch the caller's objects without such a hand-over. Qt-free, torch-free.
#include <functional>
#include <memory>

namespace samlabel::engine {

enum class ConsoleStop {
    Interrupt,  // SIGINT; CTRL_C_EVENT
    Terminate,  // SIGTERM; CTRL_BREAK_EVENT, CTRL_CLOSE_EVENT
};

// The exit status shells expect of a program stopped this way:
// 130 (128 + SIGINT) or 143 (128 + SIGTERM), on every platform.
int conventional_exit_code(ConsoleStop stop);
const char* console_stop_name(ConsoleStop stop);  // "interrupt", "terminate"

// While it lives, console stop requests call on_stop instead of ending the
// process. One at a time: a second while one lives throws std::logic_error.
// The destructor puts the previous handling back; on Windows a console
// window being closed waits (up to the few seconds Windows allows) for that
// destructor, so a clean stop can finish before the process is ended.
class ConsoleStopHandler {
public:
    explicit ConsoleStopHandler(std::function<void(ConsoleStop)> on_stop);
    ~ConsoleStopHandler();
    ConsoleStopHandler(const ConsoleStopHandler&) = delete;
    ConsoleStopHandler& operator=(const ConsoleStopHandler&) = delete;

private:
    struct Impl;  // per platform
    std::unique_ptr<Impl> impl_;
};

}  // namespace samlabel::engine
