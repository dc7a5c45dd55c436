// SharedMemoryRegion on Windows: a named pagefile-backed section
// (CreateFileMappingW), which ends with its last handle: nothing to remove.
#include "core/engine/platform/shared_memory_region.h"

#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

namespace samlabel::engine {

namespace {
std::wstring wide(const std::string& ascii) { return std::wstring(ascii.begin(), ascii.end()); }  // names are ASCII

std::string last_error_text(const std::string& what, const std::string& name) {
    return what + " " + name + ": Windows error " + std::to_string(::GetLastError());
}
}  // namespace

std::unique_ptr<SharedMemoryRegion> SharedMemoryRegion::create(std::size_t bytes, std::string* error) {
    const std::string name = fresh_name();
    const std::uint64_t size = bytes;
    // No security attributes: the default DACL of this process's token (this
    // user, SYSTEM, administrators), as for the click channel's named pipe.
    HANDLE section = ::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, DWORD(size >> 32), DWORD(size & 0xffffffffu),
                                          wide(name).c_str());
    if (!section || ::GetLastError() == ERROR_ALREADY_EXISTS) {  // someone else's: never ours
        if (error) *error = last_error_text("shared memory: cannot create", name);
        if (section) ::CloseHandle(section);
        return nullptr;
    }
    void* data = ::MapViewOfFile(section, FILE_MAP_ALL_ACCESS, 0, 0, bytes);
    if (!data) {
        if (error) *error = last_error_text("shared memory: cannot map", name);
        ::CloseHandle(section);
        return nullptr;
    }
    return std::unique_ptr<SharedMemoryRegion>(
        new SharedMemoryRegion(name, static_cast<std::uint8_t*>(data), bytes, /*creator=*/true, section));
}

std::unique_ptr<SharedMemoryRegion> SharedMemoryRegion::open_mapped(const std::string& name, std::size_t bytes, std::string* error) {
    HANDLE section = ::OpenFileMappingW(FILE_MAP_READ, FALSE, wide(name).c_str());
    if (!section) {
        if (error) *error = last_error_text("shared memory: cannot open", name);
        return nullptr;
    }
    void* data = ::MapViewOfFile(section, FILE_MAP_READ, 0, 0, 0);  // the whole section, to check its size
    MEMORY_BASIC_INFORMATION info{};
    if (!data || ::VirtualQuery(data, &info, sizeof info) == 0 || info.RegionSize < bytes) {
        if (error) *error = data ? "shared memory: " + name + " is shorter than the " + std::to_string(bytes) + " bytes announced"
                                 : last_error_text("shared memory: cannot map", name);
        if (data) ::UnmapViewOfFile(data);
        ::CloseHandle(section);
        return nullptr;
    }
    return std::unique_ptr<SharedMemoryRegion>(
        new SharedMemoryRegion(name, static_cast<std::uint8_t*>(data), bytes, /*creator=*/false, section));
}

SharedMemoryRegion::~SharedMemoryRegion() {
    if (data_) ::UnmapViewOfFile(data_);
    if (handle_) ::CloseHandle(static_cast<HANDLE>(handle_));
}

}  // namespace samlabel::engine
