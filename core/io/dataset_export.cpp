#include "core/io/dataset_export.h"

#include "core/io/coco_export.h"
#include "core/io/png_mask_export.h"
#include "core/io/yolo_export.h"

#include <stdexcept>

namespace samlabel::io {

ExportReport export_dataset(const annotation::Project& project, const std::filesystem::path& image_root,
                            const ExportOptions& options) {
    if (!(options.tolerance_px >= 0.0)) throw std::invalid_argument("tolerance must be >= 0 pixels");
    switch (options.format) {
        case ExportFormat::YoloDetect:
        case ExportFormat::YoloSegment: return export_yolo_dataset(project, image_root, options);
        case ExportFormat::Coco: return export_coco_dataset(project, image_root, options);
        case ExportFormat::PngMasks: return export_png_masks(project, image_root, options);
    }
    throw std::invalid_argument("unknown export format");
}

}  // namespace samlabel::io
