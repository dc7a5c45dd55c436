#pragma once
// Writing a whole file in one go where atomic replacement is not needed (an
// export's label files, written into its staging folder, export_staging.h):
// no temporary file, no fsync, but every failure of open, write or close (a
// full disk often shows only at close) is an error naming the file and the
// OS's reason, e.g. "out/labels/train/a.txt: cannot write: No space left on device".
#include <filesystem>
#include <string_view>

namespace samlabel::io {

// Creates or truncates `path`. Throws std::runtime_error.
void write_plain_file(const std::filesystem::path& path, std::string_view bytes);

}  // namespace samlabel::io
