#pragma once
// Ultralytics YOLO datasets, detect and segment:
//   <out>/images/{train,val[,test]}/<relative path of the image>
//   <out>/labels/{train,val[,test]}/<same path>.txt
//   <out>/data.yaml (path, train, val[, test], names as id -> name); every split
//   it names holds images (an empty val points at train's images, with a warning)
//   <out>/class_map.json (dense id -> project class id), report.json, report.txt
// Label lines: detect `c cx cy w h`, segment `c x1 y1 ... xn yn`, coordinates
// normalised by the EXIF-corrected image size, clamped to [0, 1], 6 decimals.
// Segment lines hold one instance each: holes and parts are joined by
// zero-width bridges (polygon_bridging.h). A listed image without instances
// (marked done, or unannotated images included) gets an empty label file: a
// background image.
#include "core/annotation/project.h"
#include "core/io/class_map.h"
#include "core/io/export_geometry.h"
#include "core/io/export_options.h"
#include "core/io/export_report.h"
#include "core/io/polygon_bridging.h"

#include <opencv2/core.hpp>

#include <filesystem>
#include <iosfwd>
#include <string>

namespace samlabel::io {

enum class YoloTask { Detect = 1, Segment };

// Appends one label line (with '\n') to `out`.
void append_yolo_box_line(std::string& out, int class_index, const cv::Rect2d& box_px, int image_width, int image_height);
void append_yolo_polygon_line(std::string& out, int class_index, const Ring& ring_px, int image_width, int image_height);

// The label file text of one image; skips and notes go to `report`. Returns
// the number of instances written.
std::size_t write_yolo_labels(std::string& out, const annotation::ImageAnnotations& image, int image_width,
                              int image_height, const DenseClassMap& classes, YoloTask task,
                              const PolygonExportOptions& polygon_options, ExportReport& report);

// The whole dataset. Throws std::runtime_error for problems with the output
// folder; per-image and per-instance problems go into the returned report
// (also written to <out>/report.json and report.txt).
ExportReport export_yolo_dataset(const annotation::Project& project, const std::filesystem::path& image_root,
                                 const ExportOptions& options);

}  // namespace samlabel::io
