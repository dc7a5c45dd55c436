#pragma once
// A block of memory two processes map by name. The model process writes a
// click's masks into one and the GUI reads them in place: the click channel's
// shared answers (core/service/click_channel_server.h), instead of the 460 KB
// of a 1280x960 click going through a local socket's 208 KB buffer in rounds.
//
// POSIX: a shm_open object (/dev/shm on Linux), its name removed as soon as
// the reader has mapped it, so nothing is left behind when both ends close.
// Windows: a named pagefile-backed section, which ends with its last handle.
// Either way the creator sets this user's access only. Qt-free, torch-free.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace samlabel::engine {

class SharedMemoryRegion {
public:
    // A new region of `bytes` under a fresh random name, mapped read-write;
    // nullptr and *error on failure.
    static std::unique_ptr<SharedMemoryRegion> create(std::size_t bytes, std::string* error);
    // The region another process created (`name` as its name() said), mapped
    // read-only; refused when the name is not one create() makes or the
    // region is shorter than `bytes`. Removes the name (POSIX), which no one
    // needs once the reader has mapped the region.
    static std::unique_ptr<SharedMemoryRegion> open_and_unlink(const std::string& name, std::size_t bytes, std::string* error);

    ~SharedMemoryRegion();  // unmaps; a creator whose region no reader opened removes its name
    SharedMemoryRegion(const SharedMemoryRegion&) = delete;
    SharedMemoryRegion& operator=(const SharedMemoryRegion&) = delete;

    const std::string& name() const { return name_; }
    std::uint8_t* data() const { return data_; }  // read-only for an opened region
    std::size_t size() const { return size_; }

    // Whether `name` has the shape create() gives names ("samlabel-answers-"
    // and 12 lowercase hex digits, after a "/" on POSIX): the reader opens nothing else.
    static bool is_region_name(const std::string& name);

private:
    SharedMemoryRegion(std::string name, std::uint8_t* data, std::size_t size, bool creator, void* handle)
        : name_(std::move(name)), data_(data), size_(size), creator_(creator), handle_(handle) {}
    static std::string fresh_name();  // in shared_memory_region.cpp, for both platforms' create()
    // open_and_unlink() once the name is known to be one of ours: the platform's part.
    static std::unique_ptr<SharedMemoryRegion> open_mapped(const std::string& name, std::size_t bytes, std::string* error);
    std::string name_;
    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    bool creator_ = false;
    void* handle_ = nullptr;  // Windows: the section's handle
};

}  // namespace samlabel::engine
