#pragma once
// Paths read from dataset files are not trusted. COCO's file_name, data.yaml's
// train/val/test, a project's image paths: each must name something inside
// the dataset's (or the export's) folder. Refused, with the reason:
//   '..' components            "../x.jpg", "a/../../x.jpg", "..\x.jpg"
//   absolute paths             "/etc/x", "\x"
//   Windows drives             "C:\x", "C:/x", "C:x" (drive-relative)
//   UNC and device paths       "\\server\share\x", "//server/share/x", "\\?\C:\x"
//   NUL characters, empty paths
// Both separators count on every platform: "..\x" climbs out on Windows, and
// a dataset made there may be read here. Harmless "." and empty components
// are dropped ("./a//b.jpg" is "a/b.jpg").
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace samlabel::io {

struct DatasetPathCheck {
    std::string path;     // '/'-separated, normalised; empty when refused
    std::string problem;  // why it was refused ("" when accepted)
    bool ok() const { return problem.empty(); }
};

DatasetPathCheck check_dataset_relative_path(std::string_view raw);

class UnsafePathError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// root / relative for writing or reading inside `root`; throws UnsafePathError
// ("<root>: '<relative>' <problem>") when the path would leave it.
std::filesystem::path path_inside(const std::filesystem::path& root, std::string_view relative_utf8);

}  // namespace samlabel::io
