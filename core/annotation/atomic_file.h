#pragma once
// Crash-safe replacement of a file's contents: a reader (or the next start
// after a power cut or SIGKILL) sees either the complete old file or the
// complete new one, never a mix or a truncated file.
//
// Method: write <name>.saving.tmp in the same folder, flush and fsync it,
// then rename it over the target (POSIX rename; Windows MoveFileExW with
// MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH), then fsync the folder.
// (core is Qt-free, so this plays the role of QSaveFile here.) It lives with
// the project file, its lowest user; core/io and the CLI write through it too.
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace samlabel::annotation {

class AtomicWriteError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct AtomicWriteOptions {
    // If set and the target exists, the previous version is kept under this
    // path (hard link to the old file where possible, else a copy), itself
    // replaced atomically, before the new version is renamed in.
    std::optional<std::filesystem::path> keep_previous_as;
    // Windows: a virus scanner, indexer or sync client that opened the target
    // without FILE_SHARE_DELETE makes the rename fail for a moment. It is
    // retried for this long; then the write fails with the previous file intact.
    std::chrono::milliseconds held_file_retry{3000};
};

// Throws AtomicWriteError ("<path>: <what failed>: <OS reason>"). On failure
// the target is left as it was and the temporary file is removed.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                           const AtomicWriteOptions& options = {});

// The temporary name used while writing `path` (for tests and cleanup).
std::filesystem::path atomic_temp_path(const std::filesystem::path& path);

}  // namespace samlabel::annotation
