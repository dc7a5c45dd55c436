#pragma once
// The project file: versioned JSON documented in docs/project-format.md.
//   {"format": "samlabel-project", "version": 3, "classes": [...], "images": [...], ...}
// parse() validates everything and names file + JSON path + reason on failure;
// load_project_file() never loses anything: a file that fails validation is
// moved aside and the newest valid backup is used instead.
#include "core/annotation/project.h"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace samlabel::annotation {

inline constexpr std::string_view kProjectFormatName = "samlabel-project";
// 2: images[].dataset (imported split); 3: class prompts and thresholds,
// instance source sam3-detect + review state, images[].autolabel.
inline constexpr int kProjectFormatVersion = 3;
inline constexpr std::string_view kDefaultProjectFileName = "samlabel-project.json";

// A validation failure. what() = "<file>: <json path>: <reason>", e.g.
// "project.samlabel.json: images[3].instances[2].class_id: 7 is not a known class".
class ProjectFileError : public std::runtime_error {
public:
    ProjectFileError(std::string file, std::string json_path, std::string reason);
    const std::string& file() const { return file_; }
    const std::string& json_path() const { return json_path_; }  // "" for the document itself
    const std::string& reason() const { return reason_; }

private:
    std::string file_, json_path_, reason_;
};

// Deterministic JSON text (same project -> same bytes), 1-space indented.
std::string serialize(const Project& project);

// Parses and validates. Throws ProjectFileError (file_for_errors is only used
// in messages). Versions newer than kProjectFormatVersion are refused with a
// message saying which samlabel version is needed.
Project parse(std::string_view json_text, const std::string& file_for_errors);

// <image folder>/samlabel-project.json
std::filesystem::path default_project_path(const std::filesystem::path& image_folder);
// <project path>.bak: the previous good version, kept by save_project_file.
std::filesystem::path backup_path(const std::filesystem::path& project_path);
// <stem>.autosave.json beside the project: optional separate autosave target.
// load_project_file considers it as a recovery candidate.
std::filesystem::path autosave_path(const std::filesystem::path& project_path);
// <stem>.corrupt-<yyyymmdd-hhmmss>.json (local time); a -2, -3 ... suffix is
// added when the name is taken.
std::filesystem::path corrupt_backup_path(const std::filesystem::path& project_path);

struct ProjectLoadResult {
    enum class Origin {
        Loaded = 1,          // the file was valid
        NewProject,          // no file yet: empty project
        RecoveredFromBackup, // the file failed; `recovered_from` was used
        EmptyAfterFailure,   // the file failed and no valid backup existed
    };
    Project project;
    Origin origin = Origin::NewProject;
    // When the file failed: "<file>: <json path>: <reason>" (or the I/O error).
    std::string problem;
    // Where the failed file was moved (empty if it could not be moved; then
    // `problem` says why and the file was left in place).
    std::filesystem::path moved_aside_to;
    std::filesystem::path recovered_from;  // the backup/autosave used, if any
    bool ok() const { return problem.empty(); }
};

// Loads `path`. Missing file -> NewProject. A file that cannot be read or
// fails validation is moved aside to corrupt_backup_path(); then the newest
// (by modification time) valid one of backup_path() and autosave_path() is
// loaded, else an empty project. Never throws: everything is in the result.
ProjectLoadResult load_project_file(const std::filesystem::path& path);

// Atomic save (core/annotation/atomic_file.h): temp file in the same folder, fsync,
// rename over `path`; the previous version becomes backup_path(path).
// Throws std::runtime_error naming the file and the OS error; on failure the
// old file is intact.
void save_project_file(const std::filesystem::path& path, const Project& project);

}  // namespace samlabel::annotation
