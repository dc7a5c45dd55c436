// Ctrl+C, Ctrl+Break and closing the console window -> SetConsoleCtrlHandler.
// Windows calls the handler on a thread it creates for the event, so on_stop
// runs there directly (see console_stop.h).
#include "core/engine/platform/console_stop.h"

#include <mutex>
#include <stdexcept>
#include <string>

#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

namespace samlabel::engine {

namespace {

std::mutex g_mutex;                                // guards g_on_stop against the destructor
std::function<void(ConsoleStop)>* g_on_stop = nullptr;
bool g_installed = false;
// Set by the destructor: the clean stop is over. Created once and never
// closed, since a handler thread may still wait on it.
HANDLE released_event() {
    static const HANDLE event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    return event;
}
// Windows ends the process a few seconds after a close event (5 s on Windows
// 10/11) whatever the handler does; waiting a little less lets the clean
// stop use that time.
constexpr DWORD kCloseGraceMs = 4500;

BOOL WINAPI on_console_event(DWORD event) {
    ConsoleStop stop;
    switch (event) {
        case CTRL_C_EVENT: stop = ConsoleStop::Interrupt; break;
        case CTRL_BREAK_EVENT:
        case CTRL_CLOSE_EVENT: stop = ConsoleStop::Terminate; break;
        default: return FALSE;  // logoff, shutdown: the default handling
    }
    {
        std::lock_guard lock(g_mutex);
        if (!g_on_stop) return FALSE;
        (*g_on_stop)(stop);
    }
    // After a close event returning ends the process at once: wait for the
    // clean stop (the handler's destructor) first.
    if (event == CTRL_CLOSE_EVENT) WaitForSingleObject(released_event(), kCloseGraceMs);
    return TRUE;
}

}  // namespace

struct ConsoleStopHandler::Impl {
    std::function<void(ConsoleStop)> on_stop;
};

ConsoleStopHandler::ConsoleStopHandler(std::function<void(ConsoleStop)> on_stop) : impl_(std::make_unique<Impl>()) {
    impl_->on_stop = std::move(on_stop);
    std::lock_guard lock(g_mutex);
    if (g_installed) throw std::logic_error("a console stop handler is already installed");
    ResetEvent(released_event());
    // A process started with CREATE_NEW_PROCESS_GROUP inherits "ignore
    // Ctrl+C"; this process wants it.
    SetConsoleCtrlHandler(nullptr, FALSE);
    if (!SetConsoleCtrlHandler(on_console_event, TRUE))
        throw std::runtime_error("console stop handler: SetConsoleCtrlHandler failed (error " + std::to_string(GetLastError()) + ")");
    g_on_stop = &impl_->on_stop;
    g_installed = true;
}

ConsoleStopHandler::~ConsoleStopHandler() {
    {
        std::lock_guard lock(g_mutex);  // no handler thread is inside on_stop after this
        g_on_stop = nullptr;
        g_installed = false;
    }
    SetConsoleCtrlHandler(on_console_event, FALSE);
    SetEvent(released_event());
}

}  // namespace samlabel::engine
