// POSIX memory map: mmap(PROT_READ, MAP_PRIVATE) + madvise. Built on every
// platform except Windows (see CMakeLists.txt).
#include "core/engine/mapped_file.h"
#include "core/engine/safetensors_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace samlabel::engine {

struct MappedFile::Handles {
    void* base = nullptr;
    std::size_t length = 0;
};

namespace {

std::uint64_t page_size_bytes() {
    static const std::uint64_t bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    return bytes;
}

// [offset, offset + length) widened to whole pages and clipped to the map.
bool page_range(std::uint64_t map_bytes, std::uint64_t offset, std::uint64_t length, std::uint64_t& begin,
                std::uint64_t& end) {
    if (length == 0 || offset >= map_bytes) return false;
    const std::uint64_t page = page_size_bytes();
    begin = offset / page * page;
    end = std::min(map_bytes, offset + std::min(length, map_bytes - offset));
    end = (end + page - 1) / page * page;
    return end > begin;
}

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) : handles_(std::make_unique<Handles>()) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw CheckpointError(path, "", std::string("cannot open: ") + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int error = errno;
        ::close(fd);
        throw CheckpointError(path, "", std::string("cannot stat: ") + std::strerror(error));
    }
    if (!S_ISREG(info.st_mode)) {
        ::close(fd);
        throw CheckpointError(path, "", "not a regular file");
    }
    size_bytes_ = static_cast<std::uint64_t>(info.st_size);
    if (size_bytes_ > 0) {
        // MAP_PRIVATE + PROT_READ: pages come from the page cache and are never
        // copied (nothing writes them), so MADV_DONTNEED drops them cleanly.
        void* base = ::mmap(nullptr, static_cast<std::size_t>(size_bytes_), PROT_READ, MAP_PRIVATE, fd, 0);
        if (base == MAP_FAILED) {
            const int error = errno;
            ::close(fd);
            throw CheckpointError(path, "", std::string("cannot map into memory: ") + std::strerror(error));
        }
        handles_->base = base;
        handles_->length = static_cast<std::size_t>(size_bytes_);
        data_ = static_cast<const std::byte*>(base);
    }
    ::close(fd);  // the mapping keeps the file referenced
}

MappedFile::~MappedFile() {
    if (handles_ && handles_->base) ::munmap(handles_->base, handles_->length);
}

void MappedFile::release(std::uint64_t offset, std::uint64_t length) const {
    std::uint64_t begin = 0, end = 0;
    if (!data_ || !page_range(size_bytes_, offset, length, begin, end)) return;
    // Best effort: a failure only means the pages stay resident a while longer.
    ::madvise(const_cast<std::byte*>(data_) + begin, static_cast<std::size_t>(end - begin), MADV_DONTNEED);
}

void MappedFile::will_need(std::uint64_t offset, std::uint64_t length) const {
    std::uint64_t begin = 0, end = 0;
    if (!data_ || !page_range(size_bytes_, offset, length, begin, end)) return;
    ::madvise(const_cast<std::byte*>(data_) + begin, static_cast<std::size_t>(end - begin), MADV_WILLNEED);
}

void MappedFile::map_in(std::uint64_t offset, std::uint64_t length) const {
#if defined(__linux__)
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older C library headers lack the name
#endif
    std::uint64_t begin = 0, end = 0;
    if (!data_ || !page_range(size_bytes_, offset, length, begin, end)) return;
    // Best effort: an older kernel answers EINVAL, and the pages then come in
    // on first touch as before.
    if (::madvise(const_cast<std::byte*>(data_) + begin, static_cast<std::size_t>(end - begin), MADV_POPULATE_READ) == 0)
        return;
#endif
    will_need(offset, length);
}

}  // namespace samlabel::engine
