#pragma once
// Which image files an export lists, where each goes, and its size. Every
// image in the project is listed (an image without instances gets an empty
// label file), unless its file is missing, unreadable, or no longer matches
// the size its annotations were made in: then the image and each of its
// instances are reported as skipped, never exported with wrong labels.
#include "core/annotation/project.h"
#include "core/io/dataset_split.h"
#include "core/io/export_report.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace samlabel::io {

struct ExportImage {
    const annotation::ImageAnnotations* annotations = nullptr;
    std::filesystem::path source;  // the image file
    int width = 0;                 // EXIF-corrected, as Ultralytics (exif_size) and cv::imread see it
    int height = 0;
    DatasetSplit split = DatasetSplit::Train;
    // UTF-8 '/' path inside the split folder: the source's relative path, with
    // " (2)", " (3)" ... added to the stem when another image in the same folder
    // has the same stem (a.jpg + a.png would share a.txt in YOLO), and folders
    // named "images" renamed "images_" (Ultralytics maps the last /images/ to /labels/).
    std::string output_relative;
};

struct ExportImagePlanOptions {
    std::optional<SplitFractions> split;  // nullopt: everything in Train
    std::uint64_t seed = 0;
};

// Reads each image's header (not its pixels). Skips go into `report`.
std::vector<ExportImage> plan_export_images(const annotation::Project& project,
                                            const std::filesystem::path& image_root,
                                            const ExportImagePlanOptions& options, ExportReport& report);

// "dir/name.jpg" -> "dir/name" + new_extension (".txt", ".png").
std::string replace_extension_utf8(const std::string& relative_utf8, const std::string& new_extension);

}  // namespace samlabel::io
