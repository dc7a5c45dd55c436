#pragma once
// A fresh folder for one check whose name has spaces and characters outside
// every ANSI code page (Windows' narrow APIs and path::string() fail on it),
// removed afterwards; and a sparse file writer for files past 4 GiB.
#include "core/io/utf8_path.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

namespace samlabel::checks {

class TestFolder {
public:
    explicit TestFolder(std::string_view what) {
        const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        path_ = std::filesystem::temp_directory_path() /
                io::path_from_utf8(std::string("samlabel checks ") + std::string(what) + " " + std::to_string(stamp) +
                                   " Grüße 数据 ☃");
        std::filesystem::create_directories(path_);
    }
    ~TestFolder() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TestFolder(const TestFolder&) = delete;
    TestFolder& operator=(const TestFolder&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path file(std::string_view utf8_name) const { return path_ / io::path_from_utf8(utf8_name); }

private:
    std::filesystem::path path_;
};

// Bytes to write at an offset.
struct Piece {
    std::uint64_t offset = 0;
    std::string_view bytes;
};

// Creates `path` with `size` bytes, all zero (sparse: no disk blocks) except
// the pieces. Uses the OS's 64-bit file calls directly.
void write_sparse_file(const std::filesystem::path& path, std::uint64_t size, std::initializer_list<Piece> pieces);

// The whole file as bytes (small files only).
std::string read_whole_file(const std::filesystem::path& path);

}  // namespace samlabel::checks
