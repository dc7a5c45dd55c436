#include "core/annotation/atomic_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

namespace samlabel::annotation {
namespace fs = std::filesystem;

namespace {

std::string u8(const fs::path& p) {
    const std::u8string s = p.u8string();
    return std::string(s.begin(), s.end());
}

// Every message names the file being saved (not only the temporary one) and
// says that what was on disk is still there: the user decides what to do next.
[[noreturn]] void fail(const fs::path& path, const std::string& what, const std::string& reason) {
    throw AtomicWriteError(u8(path) + ": " + what + ": " + reason + " (the file on disk is unchanged)");
}

std::string temp_name(const fs::path& temp) { return "the temporary file " + u8(temp.filename()); }

#ifdef _WIN32

std::string last_error_text() {
    const DWORD code = GetLastError();
    char buf[512] = {};
    FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code, 0, buf, sizeof(buf), nullptr);
    std::string text(buf);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text + " (error " + std::to_string(code) + ")";
}

void write_and_sync(const fs::path& target, const fs::path& temp, std::string_view bytes) {
    HANDLE h = CreateFileW(temp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) fail(target, "cannot create " + temp_name(temp), last_error_text());
    std::size_t done = 0;
    while (done < bytes.size()) {
        const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(bytes.size() - done, 1u << 30));
        DWORD written = 0;
        if (!WriteFile(h, bytes.data() + done, chunk, &written, nullptr)) {
            const std::string why = last_error_text();
            CloseHandle(h);
            fail(target, "cannot write " + temp_name(temp), why);
        }
        done += written;
    }
    if (!FlushFileBuffers(h)) {
        const std::string why = last_error_text();
        CloseHandle(h);
        fail(target, "cannot flush " + temp_name(temp) + " to disk", why);
    }
    CloseHandle(h);
}

// The errors another program holding the target (or the temporary file) for
// a moment gives: worth retrying.
bool held_by_another_program(DWORD code) {
    return code == ERROR_ACCESS_DENIED || code == ERROR_SHARING_VIOLATION || code == ERROR_LOCK_VIOLATION;
}

void replace_file(const fs::path& from, const fs::path& to, std::chrono::milliseconds retry_for) {
    const auto give_up_at = std::chrono::steady_clock::now() + retry_for;
    auto pause = std::chrono::milliseconds(10);
    for (;;) {
        if (MoveFileExW(from.c_str(), to.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) return;
        const DWORD code = GetLastError();
        const std::string why = last_error_text();
        if (!held_by_another_program(code)) fail(to, "cannot replace the file", why);
        if (std::chrono::steady_clock::now() >= give_up_at)
            fail(to,
                 "cannot replace the file: another program (a virus scanner or sync client?) held it for " +
                     std::to_string(retry_for.count()) + " ms",
                 why);
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(200));
    }
}

void sync_directory(const fs::path&) {}  // MOVEFILE_WRITE_THROUGH already flushed the rename

#else

std::string errno_text(int err) { return std::strerror(err); }

void write_and_sync(const fs::path& target, const fs::path& temp, std::string_view bytes) {
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(target, "cannot create " + temp_name(temp), errno_text(errno));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            fail(target, "cannot write " + temp_name(temp), errno_text(err));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        fail(target, "cannot flush " + temp_name(temp) + " to disk (fsync)", errno_text(err));
    }
    // NFS and some FUSE file systems report a failed write only here.
    if (::close(fd) != 0) fail(target, "cannot close " + temp_name(temp), errno_text(errno));
}

// POSIX rename replaces a file that others hold open: nothing to wait for.
void replace_file(const fs::path& from, const fs::path& to, std::chrono::milliseconds) {
    if (::rename(from.c_str(), to.c_str()) != 0) fail(to, "cannot rename the temporary file over it", errno_text(errno));
}

// Makes the rename itself durable (the directory entry lives in the folder).
void sync_directory(const fs::path& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;  // best effort: some file systems refuse to open folders
    ::fsync(fd);
    ::close(fd);
}

#endif

// Keeps `previous` as `keep_as`, atomically: a hard link (no copy, no window
// where keep_as is missing or partial) renamed over keep_as; a copy through a
// temporary file when hard links are not supported.
void keep_previous(const fs::path& previous, const fs::path& keep_as, std::chrono::milliseconds retry_for) {
    const fs::path temp = atomic_temp_path(keep_as);
    std::error_code ec;
    fs::remove(temp, ec);
    fs::create_hard_link(previous, temp, ec);
    if (ec) {
        ec.clear();
        fs::copy_file(previous, temp, fs::copy_options::overwrite_existing, ec);
        if (ec) fail(keep_as, "cannot keep the previous version of " + u8(previous.filename()), ec.message());
    }
    replace_file(temp, keep_as, retry_for);
}

}  // namespace

fs::path atomic_temp_path(const fs::path& path) {
    fs::path temp = path;
    temp += ".saving.tmp";
    return temp;
}

void write_file_atomically(const fs::path& path, std::string_view bytes, const AtomicWriteOptions& options) {
    if (path.empty()) throw AtomicWriteError("write_file_atomically: empty path");
    const fs::path temp = atomic_temp_path(path);
    try {
        write_and_sync(path, temp, bytes);
        std::error_code ec;
        if (options.keep_previous_as && fs::exists(path, ec))
            keep_previous(path, *options.keep_previous_as, options.held_file_retry);
        replace_file(temp, path, options.held_file_retry);
    } catch (...) {
        std::error_code ec;
        fs::remove(temp, ec);
        throw;
    }
    sync_directory(path.parent_path());
}

}  // namespace samlabel::annotation
