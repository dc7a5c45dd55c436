#pragma once
// What an export did: every image written and every instance skipped with its
// reason, so nothing the user annotated disappears silently. Returned to the
// caller and written next to the export as report.json + report.txt.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace samlabel::io {

enum class SkipReason {
    NoClass = 1,    // class id missing or not in the project's class list
    Degenerate,     // no area: fewer than 3 distinct points, empty mask, zero-size box
    OutsideImage,   // lies entirely outside the image rectangle
    ImageUnusable,  // the image file is missing/unreadable or its size is unknown
    SizeMismatch,   // the mask's size differs from the image's
    Hidden,         // PNG masks: every pixel is covered by later (topmost) instances
    NotReviewed,    // an auto-label proposal nobody reviewed yet, with "only reviewed instances"
};

const char* skip_reason_name(SkipReason reason);  // "no class", "degenerate", ...

struct SkippedInstance {
    std::string image;             // relative path of the image (UTF-8)
    std::uint64_t instance_id = 0;
    SkipReason reason = SkipReason::Degenerate;
    std::string detail;            // human-readable specifics
};

struct ExportReport {
    std::string format;              // "yolo-detect", "yolo-segment", "coco", "png-masks"
    std::filesystem::path output_dir;
    // The project file the export was made from ("" when not known): the
    // folder's owner, checked before another export replaces it.
    std::string project_file;
    std::size_t images = 0;          // images listed in the export
    // Images without instances never marked done, and whether they were
    // exported (as background images) or left out.
    std::size_t images_unannotated = 0;
    bool unannotated_included = false;
    // Annotated images whose file is missing, cannot be decoded, or changed
    // size: never exported (each named with its reason in `warnings`).
    std::size_t images_unreadable = 0;
    std::map<std::string, std::size_t> images_per_split;  // YOLO only: "train" -> n
    std::size_t instances_total = 0;    // instances found in the project
    std::size_t instances_written = 0;
    std::size_t image_files_linked = 0;
    std::size_t image_files_copied = 0;
    std::vector<SkippedInstance> skipped;
    std::vector<std::string> warnings;  // lossy-but-written cases (a part dropped, link fell back to copy, ...)
    bool cancelled = false;

    void skip(std::string image, std::uint64_t instance_id, SkipReason reason, std::string detail);
    void warn(std::string message);
};

void write_report_json(const ExportReport& report, std::ostream& out);
void write_report_text(const ExportReport& report, std::ostream& out);

// Writes report.json and report.txt into report.output_dir (atomically).
void write_report_files(const ExportReport& report);
// The same into `dir` (an export's staging folder, export_staging.h).
void write_report_files(const ExportReport& report, const std::filesystem::path& dir);

}  // namespace samlabel::io
