#pragma once
// A whole file mapped read-only into memory. One implementation per platform:
// mapped_file_posix.cpp (mmap) and mapped_file_windows.cpp (CreateFileMapping).
// Internal to core/engine; SafetensorsFile is its only user.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace samlabel::engine {

class MappedFile {
public:
    // Maps the whole file read-only. Throws CheckpointError naming the file when
    // it cannot be opened or mapped. An empty file maps to data() == nullptr.
    explicit MappedFile(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::byte* data() const { return data_; }
    std::uint64_t size() const { return size_bytes_; }

    // Drops the pages covering [offset, offset + length) from this process's
    // resident set. The range is widened to whole pages: the map is read-only
    // and never dirtied, so a page shared with a neighbouring tensor is simply
    // read back from the page cache if it is touched again.
    void release(std::uint64_t offset, std::uint64_t length) const;

    // Hints that [offset, offset + length) will be read soon, front to back.
    void will_need(std::uint64_t offset, std::uint64_t length) const;

    // Enters [offset, offset + length) into this process's page tables now,
    // reading it from disk first if needed, for ranges that stay in use (weights
    // used in place). Otherwise the first forward pass takes one page fault per
    // 4 KiB of weights: 400 k faults, about 1 s of a full-size bf16 encode.
    // Linux 5.14+ (MADV_POPULATE_READ); elsewhere the will_need hint.
    void map_in(std::uint64_t offset, std::uint64_t length) const;

private:
    struct Handles;  // platform handles (fd / HANDLEs)
    std::unique_ptr<Handles> handles_;
    const std::byte* data_ = nullptr;
    std::uint64_t size_bytes_ = 0;
};

}  // namespace samlabel::engine
