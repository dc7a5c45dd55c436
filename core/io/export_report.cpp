#include "core/io/export_report.h"

#include "core/annotation/atomic_file.h"

#include <nlohmann/json.hpp>

#include <ostream>
#include <sstream>

namespace samlabel::io {
namespace {

std::string path_utf8(const std::filesystem::path& p) {
    const std::u8string s = p.u8string();
    return std::string(s.begin(), s.end());
}

}  // namespace

const char* skip_reason_name(SkipReason reason) {
    switch (reason) {
        case SkipReason::NoClass: return "no class";
        case SkipReason::Degenerate: return "degenerate";
        case SkipReason::OutsideImage: return "outside image";
        case SkipReason::ImageUnusable: return "image unusable";
        case SkipReason::SizeMismatch: return "mask size mismatch";
        case SkipReason::Hidden: return "hidden by other instances";
        case SkipReason::NotReviewed: return "not reviewed";
    }
    return "unknown";
}

void ExportReport::skip(std::string image, std::uint64_t instance_id, SkipReason reason, std::string detail) {
    skipped.push_back(SkippedInstance{std::move(image), instance_id, reason, std::move(detail)});
}

void ExportReport::warn(std::string message) { warnings.push_back(std::move(message)); }

void write_report_json(const ExportReport& report, std::ostream& out) {
    nlohmann::ordered_json j;
    j["format"] = report.format;
    j["output_dir"] = path_utf8(report.output_dir);
    j["project_file"] = report.project_file;  // who owns this folder (export_directory.h)
    j["images"] = report.images;
    if (!report.images_per_split.empty()) j["images_per_split"] = report.images_per_split;
    j["images_unannotated"] = report.images_unannotated;
    j["unannotated_included"] = report.unannotated_included;
    j["images_unreadable"] = report.images_unreadable;
    j["instances_total"] = report.instances_total;
    j["instances_written"] = report.instances_written;
    j["instances_skipped"] = report.skipped.size();
    j["image_files_linked"] = report.image_files_linked;
    j["image_files_copied"] = report.image_files_copied;
    j["cancelled"] = report.cancelled;
    nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
    for (const SkippedInstance& s : report.skipped)
        skipped.push_back({{"image", s.image}, {"instance_id", s.instance_id}, {"reason", skip_reason_name(s.reason)},
                           {"detail", s.detail}});
    j["skipped"] = std::move(skipped);
    j["warnings"] = report.warnings;
    out << j.dump(2) << "\n";
}

void write_report_text(const ExportReport& report, std::ostream& out) {
    out << "samlabel export report\n"
        << "format:            " << report.format << "\n"
        << "output:            " << path_utf8(report.output_dir) << "\n";
    if (!report.project_file.empty()) out << "project:           " << report.project_file << "\n";
    out << "images:            " << report.images;
    if (!report.images_per_split.empty()) {
        out << " (";
        bool first = true;
        for (const auto& [split, n] : report.images_per_split) {
            out << (first ? "" : ", ") << split << " " << n;
            first = false;
        }
        out << ")";
    }
    out << "\n";
    if (report.images_unannotated > 0)
        out << "unannotated:       " << report.images_unannotated
            << (report.unannotated_included ? " never annotated, exported as background images (no labels)\n"
                                            : " never annotated, left out (include them to export background images)\n");
    if (report.images_unreadable > 0)
        out << "unreadable:        " << report.images_unreadable << " not exported (see warnings)\n";
    out << "instances:         " << report.instances_written << " written of " << report.instances_total << ", "
        << report.skipped.size() << " skipped\n";
    if (report.image_files_linked + report.image_files_copied > 0)
        out << "image files:       " << report.image_files_linked << " hard-linked, " << report.image_files_copied
            << " copied\n";
    if (report.cancelled) out << "CANCELLED: the export is incomplete\n";
    if (!report.skipped.empty()) {
        out << "\nskipped instances:\n";
        for (const SkippedInstance& s : report.skipped)
            out << "  " << s.image << "  instance " << s.instance_id << ": " << skip_reason_name(s.reason)
                << (s.detail.empty() ? "" : " (" + s.detail + ")") << "\n";
    }
    if (!report.warnings.empty()) {
        out << "\nwarnings:\n";
        for (const std::string& w : report.warnings) out << "  " << w << "\n";
    }
}

void write_report_files(const ExportReport& report) { write_report_files(report, report.output_dir); }

void write_report_files(const ExportReport& report, const std::filesystem::path& dir) {
    std::ostringstream json, text;
    write_report_json(report, json);
    write_report_text(report, text);
    annotation::write_file_atomically(dir / "report.json", json.str());
    annotation::write_file_atomically(dir / "report.txt", text.str());
}

}  // namespace samlabel::io
