#include "core/io/export_start.h"

#include "core/annotation/atomic_file.h"
#include "core/io/export_directory.h"
#include "core/io/image_reader.h"

#include <sstream>

namespace samlabel::io {
namespace {

std::string nothing_to_export_message(const annotation::Project& project, const ExportReport& report) {
    if (project.images().empty()) return "nothing to export: the project has no images";
    std::string s = "nothing to export: of " + std::to_string(project.images().size()) + " image(s), ";
    const bool left_out = report.images_unannotated > 0 && !report.unannotated_included;
    if (left_out) s += std::to_string(report.images_unannotated) + " never annotated (no instance, never marked done), left out";
    if (report.images_unreadable > 0) {
        if (left_out) s += ", and ";
        s += std::to_string(report.images_unreadable) + " unreadable";
        if (!report.warnings.empty()) s += " (" + report.warnings.front() + ")";
    }
    return s;
}

}  // namespace

ExportStart begin_export(const annotation::Project& project, const std::filesystem::path& image_root,
                         const ExportOptions& options, std::optional<SplitFractions> split) {
    // Refuse an unusable folder before the slow part, change it only after.
    const ExportFolderInspection folder =
        check_export_directory(options.output_dir, image_root, options.project_file, options.replace_foreign_output);
    ExportReport report;
    report.format = export_format_name(options.format);
    report.output_dir = std::filesystem::absolute(options.output_dir);
    report.project_file = export_project_marker(options.project_file);
    ExportImagePlanOptions plan_options;
    plan_options.split = split;
    plan_options.seed = options.seed;
    plan_options.include_unannotated = options.include_unannotated;
    plan_options.resplit_imported = options.resplit_imported;
    plan_options.max_pixels = options.max_pixels;
    std::vector<ExportImage> images = plan_export_images(project, image_root, plan_options, report);
    if (images.empty())
        throw NothingToExport(nothing_to_export_message(project, report), report.images_unannotated, report.images_unreadable);
    // The previous export stays until the new one is complete (export_staging.h).
    ExportStaging staging(report.output_dir);
    if (!folder.kept.empty())
        report.warn("the output folder also holds files that are not part of an export, left as they were: " +
                    [&] {
                        std::string names;
                        for (const std::string& k : folder.kept) names += (names.empty() ? "" : ", ") + k;
                        return names;
                    }());
    return ExportStart{std::move(report), std::move(images), DenseClassMap(project), std::move(staging)};
}

void finish_export(ExportStart& start) {
    std::ostringstream map_text;
    start.classes.write_json(map_text);
    annotation::write_file_atomically(start.staging.dir() / "class_map.json", map_text.str());
    write_report_files(start.report, start.staging.dir());
    start.staging.commit();
}

}  // namespace samlabel::io
