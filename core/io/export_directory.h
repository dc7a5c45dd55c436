#pragma once
// The export's output folder: created if missing; a previous samlabel export
// there (it has our report.json) is cleared of the entries we write, so stale
// labels never survive a re-export; any other non-empty folder is refused
// rather than mixed into. Exporting into (or above) the image folder is
// refused: clearing it could delete the user's images.
#include <filesystem>

namespace samlabel::io {

// Throws std::runtime_error naming the folder and the problem.
void prepare_export_directory(const std::filesystem::path& output_dir, const std::filesystem::path& image_root);

// The entries a samlabel export may write at its top level.
bool is_export_entry_name(const std::filesystem::path& name);

}  // namespace samlabel::io
