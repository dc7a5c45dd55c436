#pragma once
// Options shared by every exporter (samlabel-cli export, the export dialog).
#include "core/io/dataset_split.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace samlabel::io {

enum class ExportFormat { YoloDetect = 1, YoloSegment, Coco, PngMasks };

const char* export_format_name(ExportFormat format);  // "yolo-detect", "yolo-segment", "coco", "png-masks"
// Inverse of export_format_name; nullopt for an unknown name.
std::optional<ExportFormat> parse_export_format(std::string_view name);

enum class ImageTransfer {
    Copy = 1,      // byte-for-byte copy (EXIF orientation kept: consumers apply it themselves)
    HardLink,      // hard link, falling back to a copy where the filesystem refuses (reported)
    None,          // COCO / PNG masks only: reference the images where they are
};

enum class CocoMaskEncoding {
    Rle = 1,        // masks as compressed RLE (lossless); polygon instances as polygons (RLE if they have holes)
    PolygonsUnlessHoles,  // masks without holes as polygons at tolerance_px; masks with holes as RLE
};

// Called after each image; return false to cancel (the report says so).
using ExportProgress = std::function<bool(std::size_t images_done, std::size_t images_total)>;

struct ExportOptions {
    ExportFormat format = ExportFormat::YoloSegment;
    std::filesystem::path output_dir;
    // YOLO needs a split (default 0.8 train / 0.2 val). COCO and PNG masks
    // write one split when unset, else one per split.
    std::optional<SplitFractions> split;
    std::uint64_t seed = 0;
    ImageTransfer image_transfer = ImageTransfer::Copy;
    double tolerance_px = 1.0;   // approxPolyDP epsilon when masks become polygons
    double min_area_px = 4.0;    // mask specks below this are dropped (and reported)
    CocoMaskEncoding coco_masks = CocoMaskEncoding::Rle;
    // Images without instances that were never marked done are left out
    // (counted in the report) unless this is set: then they go in as
    // background images. An image marked done without instances always goes in.
    bool include_unannotated = false;
    // Imported images keep the split and file name they had in their dataset
    // (ImageAnnotations::placement); true splits them by the hash like the rest.
    bool resplit_imported = false;
    // The project file the export is made from. Written into report.json, so
    // exporting another project into the same folder is noticed (export_directory.h).
    std::filesystem::path project_file;
    // The user confirmed replacing a folder that holds another project's export
    // or files that are not a samlabel export; without it that is refused.
    bool replace_foreign_output = false;
    // Images above this many pixels are not decoded and count as unreadable
    // (the GUI passes its own limit, so the export agrees with the canvas).
    std::uint64_t max_pixels = 200'000'000;
    // Leave out auto-label proposals nobody reviewed yet (review "pending");
    // each is listed in the report as skipped, "not reviewed".
    bool only_reviewed = false;
    ExportProgress progress;
};

}  // namespace samlabel::io
