// Windows memory map: CreateFileW + CreateFileMappingW(PAGE_READONLY) +
// MapViewOfFile(FILE_MAP_READ). Built only on Windows (see CMakeLists.txt).
#include "core/engine/mapped_file.h"
#include "core/engine/safetensors_file.h"

#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <algorithm>
#include <string>

namespace samlabel::engine {

struct MappedFile::Handles {
    HANDLE file = INVALID_HANDLE_VALUE;
    HANDLE mapping = nullptr;
    void* view = nullptr;
};

namespace {

std::string last_error_text() {
    const DWORD code = ::GetLastError();
    char* text = nullptr;
    const DWORD length = ::FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                              FORMAT_MESSAGE_IGNORE_INSERTS,
                                          nullptr, code, 0, reinterpret_cast<char*>(&text), 0, nullptr);
    std::string message = length ? std::string(text, length) : "error " + std::to_string(code);
    if (text) ::LocalFree(text);
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r' || message.back() == '.'))
        message.pop_back();
    return message;
}

std::uint64_t page_size_bytes() {
    SYSTEM_INFO info{};
    ::GetSystemInfo(&info);
    return info.dwPageSize;
}

bool page_range(std::uint64_t map_bytes, std::uint64_t offset, std::uint64_t length, std::uint64_t& begin,
                std::uint64_t& end) {
    if (length == 0 || offset >= map_bytes) return false;
    static const std::uint64_t page = page_size_bytes();
    begin = offset / page * page;
    end = std::min(map_bytes, offset + std::min(length, map_bytes - offset));
    end = (end + page - 1) / page * page;
    end = std::min(end, (map_bytes + page - 1) / page * page);
    return end > begin;
}

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) : handles_(std::make_unique<Handles>()) {
    // path.c_str() is the wide (UTF-16) form on Windows: non-ASCII folders work.
    handles_->file = ::CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                                   FILE_ATTRIBUTE_NORMAL | FILE_FLAG_SEQUENTIAL_SCAN, nullptr);
    if (handles_->file == INVALID_HANDLE_VALUE) throw CheckpointError(path, "", "cannot open: " + last_error_text());
    LARGE_INTEGER size{};
    if (!::GetFileSizeEx(handles_->file, &size)) {
        const std::string error = last_error_text();
        ::CloseHandle(handles_->file);
        throw CheckpointError(path, "", "cannot read the file size: " + error);
    }
    size_bytes_ = static_cast<std::uint64_t>(size.QuadPart);
    if (size_bytes_ == 0) return;  // CreateFileMapping refuses empty files
    handles_->mapping = ::CreateFileMappingW(handles_->file, nullptr, PAGE_READONLY, 0, 0, nullptr);
    if (!handles_->mapping) {
        const std::string error = last_error_text();
        ::CloseHandle(handles_->file);
        throw CheckpointError(path, "", "cannot create a file mapping: " + error);
    }
    handles_->view = ::MapViewOfFile(handles_->mapping, FILE_MAP_READ, 0, 0, 0);
    if (!handles_->view) {
        const std::string error = last_error_text();
        ::CloseHandle(handles_->mapping);
        ::CloseHandle(handles_->file);
        throw CheckpointError(path, "", "cannot map into memory: " + error);
    }
    data_ = static_cast<const std::byte*>(handles_->view);
}

MappedFile::~MappedFile() {
    if (!handles_) return;
    if (handles_->view) ::UnmapViewOfFile(handles_->view);
    if (handles_->mapping) ::CloseHandle(handles_->mapping);
    if (handles_->file != INVALID_HANDLE_VALUE) ::CloseHandle(handles_->file);
}

void MappedFile::release(std::uint64_t offset, std::uint64_t length) const {
    std::uint64_t begin = 0, end = 0;
    if (!data_ || !page_range(size_bytes_, offset, length, begin, end)) return;
    // VirtualUnlock on pages that are not locked removes them from the working
    // set (documented behaviour; it then reports ERROR_NOT_LOCKED, which is
    // expected). The pages are clean file-backed pages: nothing is written.
    ::VirtualUnlock(const_cast<std::byte*>(data_) + begin, static_cast<SIZE_T>(end - begin));
}

void MappedFile::will_need(std::uint64_t offset, std::uint64_t length) const {
    std::uint64_t begin = 0, end = 0;
    if (!data_ || !page_range(size_bytes_, offset, length, begin, end)) return;
    WIN32_MEMORY_RANGE_ENTRY range{const_cast<std::byte*>(data_) + begin, static_cast<SIZE_T>(end - begin)};
    ::PrefetchVirtualMemory(::GetCurrentProcess(), 1, &range, 0);  // Windows 8+; best effort
}

// Windows has no call that fills the page tables of a mapped view: prefetching
// into memory makes the first-touch faults soft ones at least.
void MappedFile::map_in(std::uint64_t offset, std::uint64_t length) const { will_need(offset, length); }

}  // namespace samlabel::engine
