#pragma once
// An export is written into a hidden folder inside the output folder and only
// swapped in when every file of it was written: a failed export (disk full, a
// write error, an exception) leaves the previous export exactly as it was and
// no partial dataset behind. The swap itself only renames, so it needs no
// space. The cost: while an export runs, the disk holds the previous export
// and the new one (hard-linked images excepted).
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace samlabel::io {

// The staging folder's name; is_export_entry_name() counts it as an export's
// own entry, so a leftover from a killed export is cleared, never "foreign".
inline constexpr std::string_view kExportStagingName = ".samlabel-export-partial";

// The swap failed part way: the output folder may hold parts of both exports.
class ExportSwapError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ExportStaging {
public:
    ExportStaging() = default;
    // Creates `output_dir` if missing and an empty staging folder in it (a
    // leftover one is removed first). Throws std::runtime_error naming the folder.
    explicit ExportStaging(const std::filesystem::path& output_dir);
    ExportStaging(ExportStaging&& other) noexcept;
    ExportStaging& operator=(ExportStaging&& other) noexcept;
    ExportStaging(const ExportStaging&) = delete;
    ExportStaging& operator=(const ExportStaging&) = delete;
    // Not committed: the staging folder and everything in it are removed.
    ~ExportStaging();

    // Where the exporters write.
    const std::filesystem::path& dir() const { return dir_; }

    // Removes the previous export's entries from the output folder (only the
    // names is_export_entry_name() knows; other files stay) and moves every
    // staged entry in. Throws ExportSwapError naming the entry on failure.
    void commit();

private:
    std::filesystem::path output_dir_;
    std::filesystem::path dir_;  // empty: nothing to clean up
};

}  // namespace samlabel::io
