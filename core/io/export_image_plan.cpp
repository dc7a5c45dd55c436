#include "core/io/export_image_plan.h"

#include "core/io/image_folder.h"
#include "core/io/image_reader.h"

#include <cctype>
#include <set>
#include <system_error>

namespace samlabel::io {
namespace {

std::string lower_ascii(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Splits "dir/name.ext" into "dir/name" and ".ext" (no extension: "").
std::pair<std::string, std::string> split_extension(const std::string& rel) {
    const std::size_t slash = rel.rfind('/');
    const std::size_t dot = rel.rfind('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
        dot == (slash == std::string::npos ? 0 : slash + 1))
        return {rel, ""};
    return {rel.substr(0, dot), rel.substr(dot)};
}

void skip_all(ExportReport& report, const annotation::ImageAnnotations& image, const std::string& why) {
    report.warn(image.relative_path + ": image not exported: " + why);
    for (const annotation::Instance& inst : image.instances)
        report.skip(image.relative_path, inst.id, SkipReason::ImageUnusable, why);
}

}  // namespace

std::string replace_extension_utf8(const std::string& relative_utf8, const std::string& new_extension) {
    return split_extension(relative_utf8).first + new_extension;
}

std::vector<ExportImage> plan_export_images(const annotation::Project& project, const std::filesystem::path& image_root,
                                            const ExportImagePlanOptions& options, ExportReport& report) {
    std::vector<ExportImage> out;
    out.reserve(project.images().size());
    std::set<std::string> used_stems;  // "<split>/<lower-case dir/stem>": case-insensitive filesystems too
    for (const auto& [rel, image] : project.images()) {
        report.instances_total += image.instances.size();
        ExportImage e;
        e.annotations = &image;
        e.source = resolve_image_path(image_root, rel);
        const std::optional<ImageHeaderInfo> header = read_image_header(e.source);
        if (!header) {
            std::error_code ec;
            skip_all(report, image,
                     std::filesystem::exists(e.source, ec) ? "unreadable or unsupported image file"
                                                           : "file not found: " + path_to_utf8(e.source));
            continue;
        }
        if (image.width > 0 && image.height > 0 && (image.width != header->width || image.height != header->height)) {
            skip_all(report, image,
                     "annotated at " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                         " but the file is now " + std::to_string(header->width) + "x" + std::to_string(header->height) +
                         " (EXIF-corrected); re-open it in samlabel to check the labels");
            continue;
        }
        e.width = header->width;
        e.height = header->height;
        e.split = options.split ? assign_dataset_split(rel, *options.split, options.seed) : DatasetSplit::Train;

        // Ultralytics finds a label by replacing the LAST "/images/" of the image
        // path with "/labels/": a folder of the project named "images" would send
        // it to the wrong place, so such folders are renamed "images_".
        std::string safe_rel = rel;
        for (std::size_t at = 0; (at = safe_rel.find("images/", at)) != std::string::npos; at += 7) {
            if (at == 0 || safe_rel[at - 1] == '/') {
                safe_rel.insert(at + 6, "_");
                ++at;
            }
        }
        const auto [stem, ext] = split_extension(safe_rel);
        std::string candidate = stem;
        for (int n = 2; !used_stems.insert(std::string(dataset_split_name(e.split)) + "/" + lower_ascii(candidate)).second; ++n)
            candidate = stem + " (" + std::to_string(n) + ")";
        e.output_relative = candidate + ext;
        if (candidate != stem)
            report.warn(rel + ": exported as " + e.output_relative + " (another image in its folder has the same name stem)");
        else if (safe_rel != rel)
            report.warn(rel + ": exported as " + e.output_relative + " (a folder named \"images\" would mislead Ultralytics' label lookup)");
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace samlabel::io
