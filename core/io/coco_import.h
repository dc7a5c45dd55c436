#pragma once
// Reading a COCO instances JSON into a project: categories become classes
// (in category id order), images are looked up by file_name under the image
// folder, annotations become instances: polygons as polygons (each COCO
// polygon one part), RLE (compressed string or uncompressed counts list) as
// masks, a bare bbox as a 4-point polygon.
#include "core/annotation/project.h"
#include "core/io/import_report.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace samlabel::io {

struct CocoImportOptions {
    // file_name is relative to this folder (the project's image root).
    std::filesystem::path image_root;
    // Check each image's size against the file (EXIF-corrected) and skip the
    // annotations of images that differ. Off for in-memory tests.
    bool verify_image_files = true;
};

// From a parsed document; source_name prefixes messages.
annotation::Project import_coco_json(const nlohmann::json& doc, const std::string& source_name,
                                     const CocoImportOptions& options, ImportReport& report);

// From a file. Throws std::runtime_error "<file>: <reason>" on unreadable or
// structurally invalid JSON, and UnsafePathError (dataset_relative_path.h) for
// a file_name that leaves the image folder ('..', absolute, a drive, UNC).
annotation::Project import_coco_file(const std::filesystem::path& json_path, const CocoImportOptions& options,
                                     ImportReport& report);

}  // namespace samlabel::io
