// SharedMemoryRegion on POSIX: shm_open + mmap.
#include "core/engine/platform/shared_memory_region.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace samlabel::engine {

namespace {
std::string errno_text(const std::string& what, const std::string& name) {
    return what + " " + name + ": " + std::strerror(errno);
}
}  // namespace

std::unique_ptr<SharedMemoryRegion> SharedMemoryRegion::create(std::size_t bytes, std::string* error) {
    const std::string name = fresh_name();
    // O_EXCL: a name someone else made first is never ours. 0600: this user only.
    const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) {
        if (error) *error = errno_text("shared memory: cannot create", name);
        return nullptr;
    }
    // Sized, not filled: pages exist only once written (a click uses the first few hundred KB).
    if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
        if (error) *error = errno_text("shared memory: cannot size", name);
        ::close(fd);
        ::shm_unlink(name.c_str());
        return nullptr;
    }
    void* data = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);  // the mapping keeps the object
    if (data == MAP_FAILED) {
        if (error) *error = errno_text("shared memory: cannot map", name);
        ::shm_unlink(name.c_str());
        return nullptr;
    }
    return std::unique_ptr<SharedMemoryRegion>(
        new SharedMemoryRegion(name, static_cast<std::uint8_t*>(data), bytes, /*creator=*/true, /*handle=*/nullptr));
}

std::unique_ptr<SharedMemoryRegion> SharedMemoryRegion::open_mapped(const std::string& name, std::size_t bytes, std::string* error) {
    const int fd = ::shm_open(name.c_str(), O_RDONLY, 0);
    if (fd < 0) {
        if (error) *error = errno_text("shared memory: cannot open", name);
        return nullptr;
    }
    ::shm_unlink(name.c_str());  // mapped below, or useless: either way no one opens it again
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) < bytes) {
        if (error) *error = "shared memory: " + name + " is shorter than the " + std::to_string(bytes) + " bytes announced";
        ::close(fd);
        return nullptr;
    }
    void* data = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (data == MAP_FAILED) {
        if (error) *error = errno_text("shared memory: cannot map", name);
        return nullptr;
    }
    return std::unique_ptr<SharedMemoryRegion>(
        new SharedMemoryRegion(name, static_cast<std::uint8_t*>(data), bytes, /*creator=*/false, /*handle=*/nullptr));
}

SharedMemoryRegion::~SharedMemoryRegion() {
    if (data_) ::munmap(data_, size_);
    // A reader that mapped it removed the name already (ENOENT then); one that never came leaves it to us.
    if (creator_) ::shm_unlink(name_.c_str());
}

}  // namespace samlabel::engine
