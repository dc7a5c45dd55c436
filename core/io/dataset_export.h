#pragma once
// One entry point for every export format (CLI and export dialog).
#include "core/annotation/project.h"
#include "core/io/export_options.h"
#include "core/io/export_report.h"

#include <filesystem>

namespace samlabel::io {

// image_root: the folder the project's relative image paths start from.
// Throws std::runtime_error / std::invalid_argument for unusable options or
// output folders; everything per image and per instance is in the report,
// which is also written to <output_dir>/report.json and report.txt.
// The export is written aside and swapped in at the end (export_staging.h):
// on a write error (a full disk...) the message names the file and the
// reason, and the output folder keeps what it held before.
ExportReport export_dataset(const annotation::Project& project, const std::filesystem::path& image_root,
                            const ExportOptions& options);

}  // namespace samlabel::io
