#include "core/io/dataset_export.h"

#include "core/io/coco_export.h"
#include "core/io/export_directory.h"
#include "core/io/export_staging.h"
#include "core/io/export_start.h"
#include "core/io/utf8_path.h"
#include "core/io/export_report.h"
#include "core/io/png_mask_export.h"
#include "core/io/yolo_export.h"

#include <stdexcept>

namespace samlabel::io {

ExportReport export_dataset(const annotation::Project& project, const std::filesystem::path& image_root,
                            const ExportOptions& options) {
    if (!(options.tolerance_px >= 0.0)) throw std::invalid_argument("tolerance must be >= 0 pixels");
    if (options.only_reviewed) {
        // Export a copy without the pending proposals, then name each in the report.
        annotation::Project reviewed = project;
        std::vector<SkippedInstance> pending;
        for (const auto& [rel, image] : project.images())
            for (const annotation::Instance& inst : image.instances)
                if (inst.review == annotation::ReviewState::Pending) {
                    pending.push_back({rel, inst.id, SkipReason::NotReviewed, "auto-label proposal not reviewed yet"});
                    std::erase_if(reviewed.find_image(rel)->instances, [&](const annotation::Instance& i) { return i.id == inst.id; });
                }
        ExportOptions inner = options;
        inner.only_reviewed = false;
        ExportReport report = export_dataset(reviewed, image_root, inner);
        report.instances_total += pending.size();
        report.skipped.insert(report.skipped.begin(), pending.begin(), pending.end());
        if (!report.cancelled) write_report_files(report);  // again, now with the proposals left out
        return report;
    }
    try {
        switch (options.format) {
            case ExportFormat::YoloDetect:
            case ExportFormat::YoloSegment: return export_yolo_dataset(project, image_root, options);
            case ExportFormat::Coco: return export_coco_dataset(project, image_root, options);
            case ExportFormat::PngMasks: return export_png_masks(project, image_root, options);
        }
    } catch (const NothingToExport&) {
        throw;  // typed: the callers explain it
    } catch (const ExportFolderInUse&) {
        throw;
    } catch (const ExportSwapError&) {
        throw;  // the one failure after which the folder is not as it was
    } catch (const std::invalid_argument&) {
        throw;
    } catch (const std::exception& e) {
        // A write error (full disk...) while staging: say what the user still has.
        throw std::runtime_error(std::string(e.what()) + "; not exported, " + path_to_utf8(options.output_dir) +
                                 " keeps what it held before");
    }
    throw std::invalid_argument("unknown export format");
}

}  // namespace samlabel::io
