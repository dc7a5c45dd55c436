#include "core/io/plain_file_write.h"

#include "core/io/utf8_path.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace samlabel::io {

void write_plain_file(const std::filesystem::path& path, std::string_view bytes) {
    const auto fail = [&](const char* what, int err) {
        throw std::runtime_error(path_to_utf8(path) + ": " + what + ": " +
                                 (err ? std::strerror(err) : "unknown error"));
    };
#ifdef _WIN32
    std::FILE* f = _wfopen(path.c_str(), L"wb");
#else
    std::FILE* f = std::fopen(path.c_str(), "wb");
#endif
    if (!f) fail("cannot create the file", errno);
    errno = 0;
    const std::size_t written = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
    if (written != bytes.size()) {
        const int err = errno;
        std::fclose(f);
        fail("cannot write", err);
    }
    errno = 0;
    if (std::fclose(f) != 0) fail("cannot write", errno);  // the buffered bytes reach the disk here
}

}  // namespace samlabel::io
