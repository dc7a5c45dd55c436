#pragma once
// What every exporter does first and last: check the output folder (another
// project's export or foreign files need confirmation), plan the images
// (selection, decoding, split, names), refuse an export with no image, then
// prepare the folder, open the report and map the classes densely; at the end
// write class_map.json and the report files (report.json names the project).
#include "core/annotation/project.h"
#include "core/io/class_map.h"
#include "core/io/dataset_split.h"
#include "core/io/export_image_plan.h"
#include "core/io/export_options.h"
#include "core/io/export_report.h"
#include "core/io/export_staging.h"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <vector>

namespace samlabel::io {

// Not a single image to export; what() says how many were never annotated
// and how many could not be read.
class NothingToExport : public std::runtime_error {
public:
    NothingToExport(const std::string& what, std::size_t unannotated, std::size_t unreadable)
        : std::runtime_error(what), unannotated_(unannotated), unreadable_(unreadable) {}
    std::size_t unannotated() const { return unannotated_; }
    std::size_t unreadable() const { return unreadable_; }

private:
    std::size_t unannotated_, unreadable_;
};

struct ExportStart {
    ExportReport report;  // report.output_dir: the final folder (what data.yaml and the report name)
    std::vector<ExportImage> images;
    DenseClassMap classes;
    ExportStaging staging;  // where the files are written until finish_export swaps them in
};

// `split`: nullopt puts every image in Train (YOLO always passes fractions).
ExportStart begin_export(const annotation::Project& project, const std::filesystem::path& image_root,
                         const ExportOptions& options, std::optional<SplitFractions> split);

// Writes class_map.json and the report files, then swaps the staged export in
// for the previous one. Until then (and if anything throws before) the output
// folder keeps the previous export unchanged.
void finish_export(ExportStart& start);

}  // namespace samlabel::io
