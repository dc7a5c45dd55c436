// SIGINT/SIGTERM -> one byte on a pipe (all a signal handler may do safely)
// -> a watcher thread that calls on_stop.
#include "core/engine/platform/console_stop.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

namespace samlabel::engine {

namespace {

// What the handler writes: which request, or kQuit from the destructor.
constexpr unsigned char kQuit = 0, kInterrupt = 1, kTerminate = 2;

std::atomic<int> g_write_fd{-1};  // read by the signal handler
std::atomic<bool> g_installed{false};

extern "C" void on_console_signal(int signal_number) {
    const int saved_errno = errno;
    const unsigned char request = signal_number == SIGINT ? kInterrupt : kTerminate;
    const int fd = g_write_fd.load();
    if (fd >= 0) [[maybe_unused]] const auto n = ::write(fd, &request, 1);
    errno = saved_errno;
}

void close_on_exec(int fd) { ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC); }

}  // namespace

struct ConsoleStopHandler::Impl {
    int pipe_fd[2] = {-1, -1};
    struct sigaction previous_int {}, previous_term {};
    std::thread watcher;
};

ConsoleStopHandler::ConsoleStopHandler(std::function<void(ConsoleStop)> on_stop) : impl_(std::make_unique<Impl>()) {
    if (g_installed.exchange(true)) throw std::logic_error("a console stop handler is already installed");
    if (::pipe(impl_->pipe_fd) != 0) {
        g_installed = false;
        throw std::runtime_error(std::string("console stop handler: pipe: ") + std::strerror(errno));
    }
    close_on_exec(impl_->pipe_fd[0]);  // a child (a training command) must not hold it
    close_on_exec(impl_->pipe_fd[1]);
    g_write_fd = impl_->pipe_fd[1];
    const int read_fd = impl_->pipe_fd[0];
    impl_->watcher = std::thread([read_fd, on_stop = std::move(on_stop)] {
        for (;;) {
            unsigned char request = kQuit;
            const auto n = ::read(read_fd, &request, 1);
            if (n < 0 && errno == EINTR) continue;
            if (n != 1 || request == kQuit) return;
            if (on_stop) on_stop(request == kInterrupt ? ConsoleStop::Interrupt : ConsoleStop::Terminate);
        }
    });
    struct sigaction action {};
    action.sa_handler = on_console_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // other threads' reads and waits go on undisturbed
    ::sigaction(SIGINT, &action, &impl_->previous_int);
    ::sigaction(SIGTERM, &action, &impl_->previous_term);
}

ConsoleStopHandler::~ConsoleStopHandler() {
    ::sigaction(SIGINT, &impl_->previous_int, nullptr);
    ::sigaction(SIGTERM, &impl_->previous_term, nullptr);
    g_write_fd = -1;
    const unsigned char quit = kQuit;
    [[maybe_unused]] const auto n = ::write(impl_->pipe_fd[1], &quit, 1);
    impl_->watcher.join();
    ::close(impl_->pipe_fd[0]);
    ::close(impl_->pipe_fd[1]);
    g_installed = false;
}

}  // namespace samlabel::engine
