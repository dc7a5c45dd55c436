#pragma once
// What every exporter does first and last: prepare the output folder, open the
// report, plan the images (split, sizes, skips) and map the classes densely;
// at the end write class_map.json and the report files beside the export.
#include "core/annotation/project.h"
#include "core/io/class_map.h"
#include "core/io/dataset_split.h"
#include "core/io/export_image_plan.h"
#include "core/io/export_options.h"
#include "core/io/export_report.h"

#include <filesystem>
#include <optional>
#include <vector>

namespace samlabel::io {

struct ExportStart {
    ExportReport report;
    std::vector<ExportImage> images;
    DenseClassMap classes;
};

// `split`: nullopt puts every image in Train (YOLO always passes fractions).
ExportStart begin_export(const annotation::Project& project, const std::filesystem::path& image_root,
                         const ExportOptions& options, std::optional<SplitFractions> split);

void finish_export(const ExportReport& report, const DenseClassMap& classes);

}  // namespace samlabel::io
