#include "core/io/export_options.h"

namespace samlabel::io {

const char* export_format_name(ExportFormat format) {
    switch (format) {
        case ExportFormat::YoloDetect: return "yolo-detect";
        case ExportFormat::YoloSegment: return "yolo-segment";
        case ExportFormat::Coco: return "coco";
        case ExportFormat::PngMasks: return "png-masks";
    }
    return "unknown";
}

std::optional<ExportFormat> parse_export_format(std::string_view name) {
    for (ExportFormat f : {ExportFormat::YoloDetect, ExportFormat::YoloSegment, ExportFormat::Coco, ExportFormat::PngMasks})
        if (name == export_format_name(f)) return f;
    return std::nullopt;
}

}  // namespace samlabel::io
