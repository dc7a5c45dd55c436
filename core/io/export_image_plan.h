#pragma once
// Which image files an export lists, where each goes, and its size.
//  * Never-annotated images (no instance, never marked done) are left out
//    unless asked for; they are counted in the report either way. An image
//    marked done without instances is a deliberate background image.
//  * Every listed image is decoded first, as the canvas would: a file that is
//    missing, cannot be decoded (a truncated JPEG) or no longer matches the
//    size its annotations were made in is never exported; it and each of its
//    instances are reported with the reason.
//  * Split: an imported image keeps its dataset's split and file name
//    (ImageAnnotations::placement) unless re-splitting is asked for; the
//    others get the hash split (dataset_split.h), then every split with a share
//    gets an image when there are enough (split_coverage.h; moves are warned).
#include "core/annotation/project.h"
#include "core/io/dataset_split.h"
#include "core/io/export_report.h"

#include <cstdint>
#include <filesystem>
#include <map>
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
    // UTF-8 '/' path inside the split folder: the image's path in its imported
    // dataset, else its relative path; with " (2)", " (3)" ... added to the stem
    // when another image of the split has the same folder and stem (a.jpg +
    // a.png would share a.txt in YOLO), and folders named "images" renamed
    // "images_" (Ultralytics maps the last /images/ to /labels/).
    std::string output_relative;
};

struct ExportImagePlanOptions {
    std::optional<SplitFractions> split;  // nullopt: everything in Train, names are the relative paths
    std::uint64_t seed = 0;
    bool include_unannotated = false;
    bool resplit_imported = false;
    std::uint64_t max_pixels = 200'000'000;
};

// True for an image with no instance that was never marked done.
bool is_unannotated(const annotation::ImageAnnotations& image);

// Reads and decodes every image it lists (on all cores). Skips and counts go
// into `report`.
std::vector<ExportImage> plan_export_images(const annotation::Project& project,
                                            const std::filesystem::path& image_root,
                                            const ExportImagePlanOptions& options, ExportReport& report);

// What an export would take, without reading a file, for the export dialog to
// show while the options change (unreadable files are found by the export).
struct ExportPreview {
    std::size_t images = 0;       // images that would be exported
    std::size_t unannotated = 0;  // never-annotated images (included or not)
    std::map<std::string, std::size_t> images_per_split;  // "train" -> n; empty without a split
    std::vector<std::string> moved;  // images moved to give a split an image (report warnings)
};
ExportPreview preview_export_images(const annotation::Project& project, const ExportImagePlanOptions& options);

// "dir/name.jpg" -> "dir/name" + new_extension (".txt", ".png").
std::string replace_extension_utf8(const std::string& relative_utf8, const std::string& new_extension);

}  // namespace samlabel::io
