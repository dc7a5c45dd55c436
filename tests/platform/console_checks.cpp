// Console stop requests (core/engine/platform/console_stop.h) and the break a
// training command gets on cancel (console_break.h), with real signals and
// console events: natively SIGINT/SIGTERM, under wine (tests/windows)
// GenerateConsoleCtrlEvent. Each request goes to a child (these checks
// started again, main.cpp: `--console-stop-child MODE READY_FILE`), so a
// handler that does not work ends the child, never the checks. On Windows the
// break is sent by a middle process, as samlabel would send it: one with a
// console of its own that the command shares (samlabel-cli), and one with no
// console at all (the GUI, whose QProcess children get a hidden console of
// their own), so both ways of request_console_break run.
#include "core/engine/platform/console_break.h"
#include "core/engine/platform/console_stop.h"
#include "core/engine/utf8_path.h"
#include "tests/platform/check.h"
#include "tests/platform/test_folder.h"

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#else
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>
#endif

using namespace samlabel;
using namespace std::chrono_literals;

namespace {

// Records the first stop request; waits for one.
struct StopWaiter {
    std::mutex mutex;
    std::condition_variable arrived;
    std::optional<engine::ConsoleStop> stop;
    int requests = 0;
    void on_stop(engine::ConsoleStop s) {
        std::lock_guard lock(mutex);
        if (!stop) stop = s;
        ++requests;
        arrived.notify_all();
    }
    std::optional<engine::ConsoleStop> wait(std::chrono::milliseconds limit) {
        std::unique_lock lock(mutex);
        arrived.wait_for(lock, limit, [this] { return stop.has_value(); });
        return stop;
    }
};

// Ctrl+C to this process's console (only this child is on it: see spawn_child).
void interrupt_own_console() {
#ifdef _WIN32
    if (!::GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0))
        std::printf("  child: GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0) failed (error %lu)\n", ::GetLastError());
#else
    ::kill(::getpid(), SIGINT);
#endif
}

struct Child {
    bool started = false;
    std::int64_t pid = 0;
#ifdef _WIN32
    HANDLE process = nullptr;
#endif
};

// These checks again, as `--console-stop-child MODE READY_FILE`, started
// with these Windows creation flags.
Child spawn_child(const std::string& mode, const std::filesystem::path& ready_file, [[maybe_unused]] std::uint32_t flags) {
    Child child;
#ifdef _WIN32
    wchar_t exe[MAX_PATH];
    if (::GetModuleFileNameW(nullptr, exe, MAX_PATH) == 0) return child;
    std::wstring command = L"\"" + std::wstring(exe) + L"\" --console-stop-child " + engine::path_from_utf8(mode).wstring() +
                           L" \"" + ready_file.wstring() + L"\"";
    STARTUPINFOW startup{};
    startup.cb = sizeof startup;
    PROCESS_INFORMATION process{};
    if (!::CreateProcessW(nullptr, command.data(), nullptr, nullptr, FALSE, DWORD(flags), nullptr, nullptr, &startup, &process)) {
        std::printf("  CreateProcessW failed (error %lu)\n", ::GetLastError());
        return child;
    }
    ::CloseHandle(process.hThread);
    child.process = process.hProcess;
    child.pid = process.dwProcessId;
    child.started = true;
#else
    const std::string ready = engine::path_to_utf8(ready_file);
    const pid_t pid = ::fork();
    if (pid < 0) return child;
    if (pid == 0) {
        ::execl("/proc/self/exe", "platform_layer_checks", "--console-stop-child", mode.c_str(), ready.c_str(), nullptr);
        ::_exit(127);
    }
    child.pid = pid;
    child.started = true;
#endif
    return child;
}

// The child's exit code, or nullopt (and the child killed) after the limit.
// A child ended by a signal answers minus its number: never taken for a
// clean exit with 130 / 143.
std::optional<int> wait_child(Child& child, std::chrono::milliseconds limit) {
#ifdef _WIN32
    const DWORD waited = ::WaitForSingleObject(child.process, DWORD(limit.count()));
    DWORD code = 0;
    if (waited != WAIT_OBJECT_0) ::TerminateProcess(child.process, 99);
    else ::GetExitCodeProcess(child.process, &code);
    ::CloseHandle(child.process);
    if (waited != WAIT_OBJECT_0) return std::nullopt;
    return int(code);
#else
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid_t(child.pid), &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_t(child.pid), SIGKILL);
            ::waitpid(pid_t(child.pid), &status, 0);
            return std::nullopt;
        }
        std::this_thread::sleep_for(10ms);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
#endif
}

bool wait_for_file(const std::filesystem::path& file, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::error_code ec;
    while (!std::filesystem::exists(file, ec)) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

#ifdef _WIN32
constexpr std::uint32_t kOwnHiddenConsole = CREATE_NO_WINDOW, kNoConsole = DETACHED_PROCESS;
#else
constexpr std::uint32_t kOwnHiddenConsole = 0, kNoConsole = 0;
#endif

// The middle process: starts a "wait" child in a process group of its own
// (sharing this process's console, or, when this one has none, with a hidden
// console of its own as QProcess does), sends it the break once it is ready
// and answers its exit code; 2..5 when a step failed.
int send_break_to_child(const std::filesystem::path& ready_file, bool have_console) {
    const std::uint32_t flags = engine::kNewProcessGroupCreationFlag | (have_console ? 0 : kOwnHiddenConsole);
    Child child = spawn_child("wait", ready_file, flags);
    if (!child.started) return 2;
    if (!wait_for_file(ready_file, 20s)) {
        wait_child(child, 0ms);
        return 3;
    }
    std::string error;
    if (!engine::request_console_break(child.pid, &error)) {
        // Its output goes to a console no one sees: the checks print this file.
        std::ofstream(engine::path_from_utf8(engine::path_to_utf8(ready_file) + ".error")) << error;
        wait_child(child, 0ms);
        return 4;
    }
    return wait_child(child, 20s).value_or(5);
}

// The wine version when these checks run under wine, else empty.
std::string wine_version() {
#ifdef _WIN32
    using Fn = const char*(__cdecl*)();
    const auto fn = reinterpret_cast<Fn>(reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version")));
    if (fn) return fn();
#endif
    return {};
}

struct BreakAnswer {
    std::optional<int> code;  // the middle process's answer
    std::string error;        // request_console_break's reason when it failed
};

// The break, sent by a middle process started with these flags.
BreakAnswer break_through_middle_process(const std::string& mode, std::uint32_t middle_flags) {
    checks::TestFolder folder("console break");
    BreakAnswer answer;
    Child middle = spawn_child(mode, folder.file("ready"), middle_flags);
    if (!middle.started) return answer;
    answer.code = wait_child(middle, 60s);
    std::error_code ec;
    if (std::filesystem::exists(folder.file("ready.error"), ec)) answer.error = checks::read_whole_file(folder.file("ready.error"));
    return answer;
}

// The command stopped cleanly on the break (143). Under wine 8, which has no
// CTRL_BREAK_EVENT (GenerateConsoleCtrlEvent fails with
// ERROR_INVALID_HANDLE; later wine maps it to SIGQUIT), the check accepts
// that failure only as exactly that, reported with its reason and after the
// steps before it worked (the command started in its group and got ready;
// `must_say` names how far the sender got).
void check_break_answer(const BreakAnswer& answer, const std::string& must_say) {
    CHECK(answer.code.has_value());
    if (!answer.code) return;
    if (!wine_version().empty() && *answer.code == 4) {
        std::printf("  wine %s cannot send CTRL_BREAK_EVENT: %s\n", wine_version().c_str(), answer.error.c_str());
        CHECK(answer.error.find("GenerateConsoleCtrlEvent failed (error 6)") != std::string::npos);
        CHECK(answer.error.find(must_say) != std::string::npos);
        return;
    }
    if (*answer.code != 143 && !answer.error.empty()) std::printf("  the middle process: %s\n", answer.error.c_str());
    CHECK_EQ(*answer.code, 143);
}

}  // namespace

namespace samlabel::checks {

// The child's side. Exits with conventional_exit_code of the first request
// (130 for Ctrl+C, 143 for SIGTERM / Ctrl+Break), 1 when none came in time.
int console_stop_child(const std::string& mode, const std::filesystem::path& ready_file) {
    if (mode == "break-sender-with-console") return send_break_to_child(ready_file, true);
    if (mode == "break-sender-without-console") return send_break_to_child(ready_file, false);
    StopWaiter waiter;
    const engine::ConsoleStopHandler handler([&waiter](engine::ConsoleStop s) { waiter.on_stop(s); });
    if (mode == "self-interrupt") interrupt_own_console();
    else std::ofstream(ready_file) << "ready\n";
    const std::optional<engine::ConsoleStop> stop = waiter.wait(20s);
    return stop ? engine::conventional_exit_code(*stop) : 1;
}

}  // namespace samlabel::checks

CHECK_CASE("console stop: the exit codes shells expect (130 Ctrl+C, 143 SIGTERM/Ctrl+Break)") {
    CHECK_EQ(engine::conventional_exit_code(engine::ConsoleStop::Interrupt), 130);
    CHECK_EQ(engine::conventional_exit_code(engine::ConsoleStop::Terminate), 143);
}

CHECK_CASE("console stop: one handler at a time; after it, another can be installed") {
    {
        const engine::ConsoleStopHandler first([](engine::ConsoleStop) {});
        bool refused = false;
        try {
            const engine::ConsoleStopHandler second([](engine::ConsoleStop) {});
        } catch (const std::logic_error&) {
            refused = true;
        }
        CHECK(refused);
    }
    bool installed = true;
    try {
        const engine::ConsoleStopHandler again([](engine::ConsoleStop) {});
    } catch (const std::exception&) {
        installed = false;
    }
    CHECK(installed);
}

#ifndef _WIN32
CHECK_CASE("console stop: the handler goes back to the previous one when it is destroyed") {
    struct sigaction before {}, during {}, after {};
    ::sigaction(SIGINT, nullptr, &before);
    {
        const engine::ConsoleStopHandler handler([](engine::ConsoleStop) {});
        ::sigaction(SIGINT, nullptr, &during);
    }
    ::sigaction(SIGINT, nullptr, &after);
    CHECK(during.sa_handler != before.sa_handler);
    CHECK(after.sa_handler == before.sa_handler);
}
#endif

CHECK_CASE("console stop: Ctrl+C (SIGINT) reaches the handler, which runs on its thread; the child exits 130") {
    checks::TestFolder folder("console stop");
    // A console of its own, so its Ctrl+C reaches no one else.
    Child child = spawn_child("self-interrupt", folder.file("unused"), kOwnHiddenConsole);
    CHECK(child.started);
    if (!child.started) return;
    const std::optional<int> code = wait_child(child, 30s);
    CHECK(code.has_value());
    if (code) CHECK_EQ(*code, 130);
}

CHECK_CASE("console break: a command in its own process group, sharing the sender's console, gets SIGTERM / Ctrl+Break and stops cleanly (143)") {
    // Sharing a console, there is nothing to attach to.
    check_break_answer(break_through_middle_process("break-sender-with-console", kOwnHiddenConsole), "AttachConsole to it failed (error 5)");
}

CHECK_CASE("console break: from a process without a console (the GUI) to a command with a hidden console of its own (143)") {
    // Without a console the sender attaches to the command's.
    check_break_answer(break_through_middle_process("break-sender-without-console", kNoConsole), "attached to its console");
}

CHECK_CASE("console break: a process id that is not one is refused with a reason") {
    std::string error;
    CHECK(!engine::request_console_break(0, &error));
    CHECK(error.find("not a process id") != std::string::npos);
}
