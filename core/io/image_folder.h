#pragma once
// Finding the images of a folder: supported extensions in any letter case,
// optionally nested, as UTF-8 relative paths with '/' separators, sorted
// naturally (img2 before img10). Hidden entries (".name") are skipped.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace samlabel::io {

struct ImageFolderScanOptions {
    bool recursive = true;
    bool follow_directory_symlinks = false;  // avoids cycles by default
};

struct ImageFolderScan {
    std::vector<std::string> relative_paths;  // UTF-8, '/' separators, natural order
    // Entries that could not be read (permission denied, ...): "<path>: <reason>".
    std::vector<std::string> errors;
};

// A missing or non-directory root gives one error and no images.
ImageFolderScan scan_image_folder(const std::filesystem::path& root, const ImageFolderScanOptions& options = {});

// root / relative path given in UTF-8 with '/' separators.
std::filesystem::path resolve_image_path(const std::filesystem::path& root, std::string_view relative_utf8);

}  // namespace samlabel::io
