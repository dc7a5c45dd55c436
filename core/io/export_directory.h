#pragma once
// The export's output folder: created if missing. Every export records in
// report.json the project file it was made from. A previous export of the
// same project is cleared of the entries an export writes, so stale labels
// never survive a re-export. A folder holding another project's export (or an
// export that names no project), or any other non-empty folder, is only
// replaced when the user confirmed it; even then only the entries an export
// writes are removed, everything else stays. Exporting into (or above) the
// image folder is always refused: clearing it could delete the user's images.
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace samlabel::io {

enum class ExportFolderState {
    Free = 1,            // missing or empty
    OwnExport,           // a samlabel export of the same project: replaced without asking
    OtherProjectExport,  // a samlabel export of another (or an unknown) project
    NotAnExport,         // non-empty, no samlabel report.json
};

struct ExportFolderInspection {
    ExportFolderState state = ExportFolderState::Free;
    std::string owner_project;              // OtherProjectExport: the project recorded in report.json ("" = unknown)
    std::vector<std::string> replaced;      // top-level entries an export would remove
    std::vector<std::string> kept;          // top-level entries it leaves alone
    bool needs_confirmation() const {
        return state == ExportFolderState::OtherProjectExport || state == ExportFolderState::NotAnExport;
    }
    // One sentence for the user: whose folder it is and what replacing removes.
    std::string describe(const std::filesystem::path& output_dir) const;
};

// Thrown when exporting would replace a folder that needs the user's confirmation.
class ExportFolderInUse : public std::runtime_error {
public:
    ExportFolderInUse(const std::filesystem::path& output_dir, ExportFolderInspection inspection);
    const ExportFolderInspection& inspection() const { return inspection_; }

private:
    ExportFolderInspection inspection_;
};

// What report.json records for `project_file` (its canonical path; "" when unknown).
std::string export_project_marker(const std::filesystem::path& project_file);

// Reads the folder (its top level and report.json) without changing anything.
ExportFolderInspection inspect_export_directory(const std::filesystem::path& output_dir,
                                                const std::filesystem::path& project_file);

// Everything prepare_export_directory refuses, without changing anything:
// throws std::runtime_error naming the folder and the problem; ExportFolderInUse
// when the folder needs confirmation and `replace_confirmed` is false.
ExportFolderInspection check_export_directory(const std::filesystem::path& output_dir,
                                              const std::filesystem::path& image_root,
                                              const std::filesystem::path& project_file, bool replace_confirmed);

// check_export_directory, then creates the folder or removes the export
// entries of what is there.
void prepare_export_directory(const std::filesystem::path& output_dir, const std::filesystem::path& image_root,
                              const std::filesystem::path& project_file = {}, bool replace_confirmed = false);

// The entries a samlabel export may write at its top level.
bool is_export_entry_name(const std::filesystem::path& name);

}  // namespace samlabel::io
