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
ExportReport export_dataset(const annotation::Project& project, const std::filesystem::path& image_root,
                            const ExportOptions& options);

}  // namespace samlabel::io
