#include "tests/platform/test_folder.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <winioctl.h>  // FSCTL_SET_SPARSE
#else
#include <fcntl.h>
#include <unistd.h>
#endif

namespace samlabel::checks {

void write_sparse_file(const std::filesystem::path& path, std::uint64_t size, std::initializer_list<Piece> pieces) {
    const std::string name = io::path_to_utf8(path);
#ifdef _WIN32
    HANDLE file = ::CreateFileW(path.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (file == INVALID_HANDLE_VALUE) throw std::runtime_error(name + ": cannot create");
    DWORD returned = 0;
    ::DeviceIoControl(file, FSCTL_SET_SPARSE, nullptr, 0, nullptr, 0, &returned, nullptr);  // NTFS; best effort
    LARGE_INTEGER at{};
    at.QuadPart = static_cast<LONGLONG>(size);
    bool ok = ::SetFilePointerEx(file, at, nullptr, FILE_BEGIN) && ::SetEndOfFile(file);
    for (const Piece& piece : pieces) {
        at.QuadPart = static_cast<LONGLONG>(piece.offset);
        DWORD written = 0;
        ok = ok && ::SetFilePointerEx(file, at, nullptr, FILE_BEGIN) &&
             ::WriteFile(file, piece.bytes.data(), static_cast<DWORD>(piece.bytes.size()), &written, nullptr) &&
             written == piece.bytes.size();
    }
    ::CloseHandle(file);
#else
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(name + ": cannot create");
    bool ok = ::ftruncate(fd, static_cast<off_t>(size)) == 0;
    for (const Piece& piece : pieces)
        ok = ok && ::pwrite(fd, piece.bytes.data(), piece.bytes.size(), static_cast<off_t>(piece.offset)) ==
                       static_cast<ssize_t>(piece.bytes.size());
    ::close(fd);
#endif
    if (!ok) throw std::runtime_error(name + ": cannot write the sparse file");
}

std::string read_whole_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);  // the path overload: wide on Windows
    if (!in) throw std::runtime_error(io::path_to_utf8(path) + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace samlabel::checks
