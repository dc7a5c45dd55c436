#include "core/io/export_start.h"

#include "core/io/atomic_file.h"
#include "core/io/export_directory.h"

#include <sstream>

namespace samlabel::io {

ExportStart begin_export(const annotation::Project& project, const std::filesystem::path& image_root,
                         const ExportOptions& options, std::optional<SplitFractions> split) {
    prepare_export_directory(options.output_dir, image_root);
    ExportReport report;
    report.format = export_format_name(options.format);
    report.output_dir = std::filesystem::absolute(options.output_dir);
    ExportImagePlanOptions plan_options;
    plan_options.split = split;
    plan_options.seed = options.seed;
    std::vector<ExportImage> images = plan_export_images(project, image_root, plan_options, report);
    return ExportStart{std::move(report), std::move(images), DenseClassMap(project)};
}

void finish_export(const ExportReport& report, const DenseClassMap& classes) {
    std::ostringstream map_text;
    classes.write_json(map_text);
    write_file_atomically(report.output_dir / "class_map.json", map_text.str());
    write_report_files(report);
}

}  // namespace samlabel::io
