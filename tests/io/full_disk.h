#pragma once
// A folder whose writes fail on demand, for the disk-full tests (issue 15).
//
//  * Tmpfs (as root, which CI is): a 4 MiB tmpfs mounted on a fresh folder;
//    fill() writes a filler file until the kernel answers ENOSPC: a real full
//    disk. Mounting must work there: a failure is the test's failure, never a skip.
//  * FileSizeLimit (anywhere, no privileges): fill() lowers RLIMIT_FSIZE so
//    that writing past a file's first bytes fails with EFBIG ("File too large"):
//    the same failed write() a full disk gives, through the same code paths.
//    SIGXFSZ is ignored, so the write returns the error instead of killing us.
//    The limit is process-wide: keep the filled span short and print nothing
//    to a file meanwhile.
// make_room() undoes fill(): the next write must succeed.
#include <QString>
#include <QStringList>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace samlabel::testing {

class FullDisk {
public:
    enum class Kind { Tmpfs, FileSizeLimit };

    // FileSizeLimit always; Tmpfs too when root (CI): both must pass there.
    static std::vector<Kind> kinds_here() {
        if (::geteuid() == 0) return {Kind::FileSizeLimit, Kind::Tmpfs};
        return {Kind::FileSizeLimit};
    }
    static const char* name(Kind k) { return k == Kind::Tmpfs ? "full tmpfs (ENOSPC)" : "write error (RLIMIT_FSIZE, EFBIG)"; }

    explicit FullDisk(Kind kind) : kind_(kind) {
        std::string templ = (std::filesystem::temp_directory_path() / "samlabel-full-XXXXXX").string();
        if (!::mkdtemp(templ.data())) {
            error_ = "mkdtemp: " + std::string(std::strerror(errno));
            return;
        }
        dir_ = templ;
        if (kind_ == Kind::Tmpfs) {
            if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755") != 0) {
                error_ = "mount -t tmpfs on " + dir_.string() + ": " + std::strerror(errno) +
                         " (running as root, where the disk-full test needs a small tmpfs)";
                return;
            }
            mounted_ = true;
        }
    }
    ~FullDisk() {
        make_room();
        if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
        std::error_code ec;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    }
    FullDisk(const FullDisk&) = delete;
    FullDisk& operator=(const FullDisk&) = delete;

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    const std::filesystem::path& dir() const { return dir_; }
    Kind kind() const { return kind_; }
    // What the failed write says: strerror(ENOSPC) or strerror(EFBIG).
    std::string reason() const { return std::strerror(kind_ == Kind::Tmpfs ? ENOSPC : EFBIG); }

    // Returns "" or what went wrong.
    std::string fill() {
        if (kind_ == Kind::FileSizeLimit) {
            std::signal(SIGXFSZ, SIG_IGN);
            if (::getrlimit(RLIMIT_FSIZE, &saved_) != 0) return std::string("getrlimit: ") + std::strerror(errno);
            rlimit tight = saved_;
            tight.rlim_cur = 16;  // bytes: every file the code under test writes is longer
            if (::setrlimit(RLIMIT_FSIZE, &tight) != 0) return std::string("setrlimit: ") + std::strerror(errno);
            limited_ = true;
            return {};
        }
        const std::filesystem::path filler = dir_ / ".filler";
        const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return "cannot create " + filler.string() + ": " + std::strerror(errno);
        const std::vector<char> block(64 * 1024, 'f');
        int err = 0;
        for (;;) {
            const ssize_t n = ::write(fd, block.data(), block.size());
            if (n < 0) {
                err = errno;
                break;
            }
            if (n == 0) break;
        }
        // Short writes use up the last partial block; then one byte more must fail.
        while (err == 0 || err == EINTR) {
            if (::write(fd, block.data(), 1) < 0) err = errno;
        }
        ::close(fd);
        filled_ = true;
        if (err != ENOSPC) return "filling the tmpfs ended with " + std::string(std::strerror(err)) + ", not ENOSPC";
        struct statvfs st {};
        if (::statvfs(dir_.c_str(), &st) == 0 && st.f_bavail != 0)
            return "the tmpfs still has " + std::to_string(st.f_bavail) + " free blocks after filling";
        return {};
    }

    void make_room() {
        if (limited_) {
            ::setrlimit(RLIMIT_FSIZE, &saved_);
            limited_ = false;
        }
        if (filled_) {
            std::error_code ec;
            std::filesystem::remove(dir_ / ".filler", ec);
            filled_ = false;
        }
    }

private:
    Kind kind_;
    std::filesystem::path dir_;
    std::string error_;
    bool mounted_ = false;
    bool filled_ = false;
    bool limited_ = false;
    rlimit saved_{};
};

}  // namespace samlabel::testing
