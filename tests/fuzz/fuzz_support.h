#pragma once
// Shared by the libFuzzer targets (tests/fuzz): splitting one input into the
// files of a folder, and a scratch folder per process for parsers that read
// files (safetensors are memory-mapped, tokenizers read a checkpoint folder).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace samlabel::fuzz {

// Parts of a multi-file input are separated by this line (the targets' seeds
// use it; tests/fuzz/files.dict gives it to the mutator).
inline constexpr std::string_view kFileSeparator = "\n=====FILE=====\n";

inline std::vector<std::string_view> split_files(const std::uint8_t* data, std::size_t size, std::size_t max_parts) {
    std::vector<std::string_view> parts;
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    while (parts.size() + 1 < max_parts) {
        const std::size_t at = rest.find(kFileSeparator);
        if (at == std::string_view::npos) break;
        parts.push_back(rest.substr(0, at));
        rest.remove_prefix(at + kFileSeparator.size());
    }
    parts.push_back(rest);
    parts.resize(max_parts);  // missing parts are empty
    return parts;
}

// A folder of this process's own under /dev/shm (memory, fast) or TMPDIR,
// emptied before each input and removed at exit.
class ScratchFolder {
public:
    ScratchFolder() {
        const std::filesystem::path base = std::filesystem::is_directory("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                                                      : std::filesystem::temp_directory_path();
        path_ = base / ("samlabel-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(path_);
    }
    ~ScratchFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }
    void clear() {
        for (const auto& entry : std::filesystem::directory_iterator(path_)) std::filesystem::remove_all(entry.path());
    }
    std::filesystem::path write(const std::string& name, std::string_view bytes) const {
        const std::filesystem::path file = path_ / name;
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out) {
            std::fprintf(stderr, "fuzz harness: cannot write %s\n", file.c_str());
            std::abort();
        }
        return file;
    }

private:
    std::filesystem::path path_;
};

// A broken invariant of a parser that accepted the input: report and crash so
// libFuzzer keeps the input.
[[noreturn]] inline void invariant_failed(const char* what) {
    std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
    std::abort();
}

}  // namespace samlabel::fuzz
