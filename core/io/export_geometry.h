#pragma once
// What an exporter writes for one instance, resolved once for every format:
// the instance's box and polygons in image pixels, clamped to the image, or
// the reason it cannot be written. A mask is the instance's truth when
// present (annotation_types.h); it is polygonised at the user's tolerance.
#include "core/annotation/annotation_types.h"
#include "core/io/class_map.h"
#include "core/io/export_report.h"

#include <opencv2/core.hpp>

#include <optional>
#include <string>
#include <vector>

namespace samlabel::io {

// The instance's dense class index; nullopt when it has none (unassigned, or
// a class no longer in the project), after recording the skip in `report`.
std::optional<int> export_class_index(const annotation::Instance& instance, const std::string& image_relative_path,
                                      const DenseClassMap& classes, ExportReport& report);

struct ExportGeometry {
    bool ok = false;
    SkipReason reason = SkipReason::Degenerate;  // when !ok
    std::string detail;                          // when !ok
    std::vector<std::string> notes;              // lossy-but-written details (dropped specks, clamping)

    cv::Rect2d box;  // corner frame (pixel c spans c..c+1), inside the image, positive size
    std::vector<annotation::PolygonWithHoles> polygons;  // only from export_polygons
    bool has_holes = false;                              // only from export_polygons
};

// Box: the mask's pixel extent, or the polygon vertices' extent clamped to the image.
ExportGeometry export_box(const annotation::Instance& instance, int image_width, int image_height);

struct PolygonExportOptions {
    double tolerance_px = 1.0;   // approxPolyDP epsilon for masks (0 = every contour vertex)
    double min_area_px = 4.0;    // mask specks/holes below this are dropped (and noted)
};

// Polygons: from the mask (cv::findContours on the mask's box only, then
// approxPolyDP), else the instance's polygons with vertices clamped to the
// image. Rings with < 3 points or no area after clamping are dropped and
// noted; if no part remains the instance is skipped.
ExportGeometry export_polygons(const annotation::Instance& instance, int image_width, int image_height,
                               const PolygonExportOptions& options);

}  // namespace samlabel::io
