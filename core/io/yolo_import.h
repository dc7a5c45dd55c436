#pragma once
// Reading Ultralytics YOLO datasets (detect and segment labels) into a project.
// Layouts: <dir>/images/<split>/... with <dir>/labels/<split>/..., or
// <dir>/<split>/images/... with <dir>/<split>/labels/..., or flat
// <dir>/images + <dir>/labels; an image's label file is found with
// Ultralytics' own rule (last "/images/" -> "/labels/", extension -> .txt).
// Class names from data.yaml (or any *.yaml with names in <dir>), else
// classes.txt (one name per line). Coordinates are de-normalised with the
// EXIF-corrected image size, the frame the labels were made in.
// Detect rows (c cx cy w h) become 4-point box polygons; segment rows one
// polygon each (bridged holes stay part of the ring, so exporting again
// writes the same line). Each image in a train/val/test folder (train,
// training, val, valid, validation, test, testing) records that split and its
// path inside it (ImageAnnotations::placement): exports put it back there.
#include "core/annotation/project.h"
#include "core/io/import_report.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace samlabel::io {

struct YoloLabelRow {
    int class_index = 0;
    std::vector<double> values;  // normalised: 4 for a box, 2n (n >= 3) for a polygon
    bool is_box() const { return values.size() == 4; }
};

// Parses one label file's text. Bad lines go to `problems` as
// "<source_name>: line N: <reason>" and are not returned.
std::vector<YoloLabelRow> parse_yolo_labels(std::string_view text, const std::string& source_name,
                                            std::vector<std::string>& problems);

// Converts a parsed row to an instance of class `class_id` (pixels).
annotation::Instance yolo_row_to_instance(const YoloLabelRow& row, annotation::ClassId class_id, int image_width,
                                          int image_height);

struct YoloImportOptions {
    // The folder the project's relative image paths start from; every image of
    // the dataset must be inside it. Empty = the dataset folder.
    std::filesystem::path image_root;
};

// Throws std::runtime_error naming the folder when no images or no class
// names are found, UnsafePathError when data.yaml names a folder outside the
// dataset (yolo_data_yaml_paths.h); per-file problems are in `report`, among
// them images, label files and images/ folders that are links leading outside
// the image folder (not imported).
annotation::Project import_yolo_dataset(const std::filesystem::path& dataset_dir, const YoloImportOptions& options,
                                        ImportReport& report);

}  // namespace samlabel::io
