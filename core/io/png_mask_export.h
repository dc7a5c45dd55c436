#pragma once
// PNG masks, one pair per image:
//   <out>/instances/<relative path>.png  instance-id image: 0 = background,
//        k = the k-th written instance of that image (draw order; later
//        instances cover earlier ones, as on the canvas). 8-bit, or 16-bit
//        when an image has more than 255 instances.
//   <out>/semantic/<relative path>.png   class image: 0 = background,
//        dense class index + 1 (8-bit, 16-bit above 255 classes).
//   <out>/legend.json  classes (value, name, project class id, colour) and,
//        per image, which instance id and class each instance value is.
// Masks are used pixel for pixel; polygons are rasterised (pixel centre inside).
#include "core/annotation/project.h"
#include "core/io/class_map.h"
#include "core/io/export_options.h"
#include "core/io/export_report.h"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <filesystem>

namespace samlabel::io {

struct PngMaskImages {
    cv::Mat instance_ids;  // CV_8UC1 or CV_16UC1
    cv::Mat semantic;      // CV_8UC1 or CV_16UC1
    nlohmann::ordered_json legend;  // [{"value": k, "instance_id": .., "class_index": .., "class_id": ..}]
};

// Rasterises one image's instances; skips go to `report`.
PngMaskImages render_png_masks(const annotation::ImageAnnotations& image, int image_width, int image_height,
                               const DenseClassMap& classes, ExportReport& report);

ExportReport export_png_masks(const annotation::Project& project, const std::filesystem::path& image_root,
                              const ExportOptions& options);

}  // namespace samlabel::io
