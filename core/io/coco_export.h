#pragma once
// COCO "instances" JSON (the detection/segmentation format of pycocotools):
//   <out>/annotations/instances.json            (no split)
//   <out>/annotations/instances_<split>.json    (with a split)
//   <out>/images/[<split>/]<relative path>      (unless ImageTransfer::None)
// Segmentation: masks as compressed RLE strings (pycocotools' format, lossless),
// or optionally as polygons when they have no holes; polygon instances as
// polygons, or as RLE when they have holes (COCO polygons cannot express
// holes: pycocotools unions them). bbox [x, y, w, h] and area in pixels;
// iscrowd 0; category ids = dense class index + 1 (class_map.json).
// Coordinates are in the EXIF-corrected frame, pixel (c, r) spanning
// [c, c+1) x [r, r+1); width/height are the EXIF-corrected size.
#include "core/annotation/project.h"
#include "core/io/class_map.h"
#include "core/io/export_image_plan.h"
#include "core/io/export_options.h"
#include "core/io/export_report.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <vector>

namespace samlabel::io {

struct CocoBuildOptions {
    CocoMaskEncoding masks = CocoMaskEncoding::Rle;
    double tolerance_px = 1.0;  // PolygonsUnlessHoles only
    double min_area_px = 4.0;
};

// The COCO document for these images (file_name = ExportImage::output_relative).
// Skips and notes go to `report`; instances_written is increased.
nlohmann::ordered_json build_coco_json(const std::vector<ExportImage>& images, const DenseClassMap& classes,
                                       const CocoBuildOptions& options, ExportReport& report);

// The whole export; output-folder problems throw std::runtime_error, the rest
// is in the returned report (also written beside the export).
ExportReport export_coco_dataset(const annotation::Project& project, const std::filesystem::path& image_root,
                                 const ExportOptions& options);

}  // namespace samlabel::io
