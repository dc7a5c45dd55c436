#include "core/io/export_image_plan.h"

#include "core/io/dataset_relative_path.h"
#include "core/io/image_folder.h"
#include "core/io/image_reader.h"
#include "core/io/split_coverage.h"

#include <opencv2/core/utility.hpp>

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

// Why an image cannot go into a dataset ("" when it can): what the canvas
// would say, since the same reader decodes it. Sets the EXIF-corrected size.
std::string check_image_file(const std::filesystem::path& source, const annotation::ImageAnnotations& image,
                             std::uint64_t max_pixels, int& width, int& height) {
    std::error_code ec;
    if (!std::filesystem::exists(source, ec)) return "file not found: " + path_to_utf8(source);
    ImageReadOptions read_options;
    read_options.max_pixels = max_pixels;
    const ImageReadResult read = read_image(source, read_options);
    if (!read.ok()) {
        const std::string prefix = path_to_utf8(source) + ": ";  // the warning names the image already
        return read.error.rfind(prefix, 0) == 0 ? read.error.substr(prefix.size()) : read.error;
    }
    if (image.width > 0 && image.height > 0 && (image.width != read.width || image.height != read.height))
        return "annotated at " + std::to_string(image.width) + "x" + std::to_string(image.height) + " but the file is now " +
               std::to_string(read.width) + "x" + std::to_string(read.height) +
               " (EXIF-corrected); re-open it in samlabel to check the labels";
    width = read.width;
    height = read.height;
    return {};
}

// Ultralytics finds a label by replacing the LAST "/images/" of the image
// path with "/labels/": a folder of the project named "images" would send
// it to the wrong place, so such folders are renamed "images_".
std::string without_images_folders(std::string rel) {
    for (std::size_t at = 0; (at = rel.find("images/", at)) != std::string::npos; at += 7) {
        if (at == 0 || rel[at - 1] == '/') {
            rel.insert(at + 6, "_");
            ++at;
        }
    }
    return rel;
}

// Why the image's output name (its path, or its imported dataset path) could
// leave the export folder; "" when it cannot.
std::string unsafe_output_name(const annotation::ImageAnnotations& image) {
    std::vector<std::string> names{image.relative_path};
    if (image.placement) names.push_back(image.placement->path);
    for (const std::string& name : names) {
        const DatasetPathCheck check = check_dataset_relative_path(name);
        if (!check.ok() || check.path != name)
            return "its path '" + name + "' " + (check.ok() ? "is not in normal form" : check.problem) +
                   "; it would be written outside the export folder";
    }
    return {};
}

DatasetSplit split_from_name(const std::string& name) {
    if (name == "val") return DatasetSplit::Val;
    if (name == "test") return DatasetSplit::Test;
    return DatasetSplit::Train;
}

}  // namespace

bool is_unannotated(const annotation::ImageAnnotations& image) {
    return image.instances.empty() && image.status != annotation::ImageStatus::Done;
}

std::string replace_extension_utf8(const std::string& relative_utf8, const std::string& new_extension) {
    return split_extension(relative_utf8).first + new_extension;
}

namespace {

// The images an export takes, before any file is read; counts instances and
// never-annotated images into `report`.
std::vector<ExportImage> select_export_images(const annotation::Project& project, const std::filesystem::path& image_root,
                                              const ExportImagePlanOptions& options, ExportReport& report) {
    report.unannotated_included = options.include_unannotated;
    std::vector<ExportImage> selected;
    for (const auto& [rel, image] : project.images()) {
        report.instances_total += image.instances.size();
        if (is_unannotated(image)) {
            ++report.images_unannotated;
            if (!options.include_unannotated) continue;
        }
        // A project loaded from a file has safe paths (project_file validates
        // them); one built in memory might not: nothing may leave the export folder.
        const std::string unsafe = unsafe_output_name(image);
        if (!unsafe.empty()) {
            skip_all(report, image, unsafe);
            continue;
        }
        ExportImage e;
        e.annotations = &image;
        e.source = resolve_image_path(image_root, rel);
        selected.push_back(std::move(e));
    }
    return selected;
}

// Drops (and reports) every image whose file cannot go into a dataset; sets the sizes of the others.
void keep_readable_images(std::vector<ExportImage>& images, std::uint64_t max_pixels, ExportReport& report) {
    // Decoding is the slow part: all cores, one image each.
    std::vector<std::string> problems(images.size());
    cv::parallel_for_(cv::Range(0, int(images.size())), [&](const cv::Range& range) {
        for (int i = range.start; i < range.end; ++i) {
            ExportImage& e = images[std::size_t(i)];
            problems[std::size_t(i)] = check_image_file(e.source, *e.annotations, max_pixels, e.width, e.height);
        }
    });
    std::vector<ExportImage> readable;
    readable.reserve(images.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
        if (problems[i].empty()) {
            readable.push_back(std::move(images[i]));
            continue;
        }
        ++report.images_unreadable;
        skip_all(report, *images[i].annotations, problems[i]);
    }
    images = std::move(readable);
}

std::string describe_move(const SplitMove& m) {
    return m.path + ": put in " + dataset_split_name(m.to) + " instead of " + dataset_split_name(m.from) + " so that " +
           dataset_split_name(m.to) + " has an image (with this few images the split fractions leave it empty)";
}

// Splits (imported split kept, hash, every split covered; the moves are
// returned) and output names.
std::vector<SplitMove> place_export_images(std::vector<ExportImage>& images, const ExportImagePlanOptions& options,
                                           ExportReport& report) {
    std::vector<SplitMove> moves;
    const auto imported = [&](const ExportImage& e) { return options.split && e.annotations->placement.has_value(); };
    if (options.split) {
        std::vector<SplitSlot> slots;
        slots.reserve(images.size());
        for (const ExportImage& e : images) {
            const bool keep = imported(e) && !options.resplit_imported;
            const DatasetSplit split = keep ? split_from_name(e.annotations->placement->split)
                                            : assign_dataset_split(e.annotations->relative_path, *options.split, options.seed);
            slots.push_back(SplitSlot{e.annotations->relative_path, split, keep});
        }
        moves = cover_every_split(slots, *options.split, options.seed);
        for (std::size_t i = 0; i < images.size(); ++i) images[i].split = slots[i].split;
    }

    std::set<std::string> used_stems;  // "<split>/<lower-case dir/stem>": case-insensitive filesystems too
    for (ExportImage& e : images) {
        const std::string& rel = e.annotations->relative_path;
        const std::string name = imported(e) ? e.annotations->placement->path : rel;
        const std::string safe = without_images_folders(name);
        const auto [stem, ext] = split_extension(safe);
        std::string candidate = stem;
        for (int n = 2; !used_stems.insert(std::string(dataset_split_name(e.split)) + "/" + lower_ascii(candidate)).second; ++n)
            candidate = stem + " (" + std::to_string(n) + ")";
        e.output_relative = candidate + ext;
        if (candidate != stem)
            report.warn(rel + ": exported as " + e.output_relative + " (another image in its folder has the same name stem)");
        else if (safe != name)
            report.warn(rel + ": exported as " + e.output_relative + " (a folder named \"images\" would mislead Ultralytics' label lookup)");
    }
    return moves;
}

}  // namespace

std::vector<ExportImage> plan_export_images(const annotation::Project& project, const std::filesystem::path& image_root,
                                            const ExportImagePlanOptions& options, ExportReport& report) {
    std::vector<ExportImage> images = select_export_images(project, image_root, options, report);
    keep_readable_images(images, options.max_pixels, report);
    for (const SplitMove& m : place_export_images(images, options, report)) report.warn(describe_move(m));
    return images;
}

ExportPreview preview_export_images(const annotation::Project& project, const ExportImagePlanOptions& options) {
    ExportReport scratch;
    std::vector<ExportImage> images = select_export_images(project, {}, options, scratch);
    const std::vector<SplitMove> moves = place_export_images(images, options, scratch);
    ExportPreview preview;
    preview.images = images.size();
    preview.unannotated = scratch.images_unannotated;
    if (options.split)
        for (const ExportImage& e : images) ++preview.images_per_split[dataset_split_name(e.split)];
    for (const SplitMove& m : moves) preview.moved.push_back(describe_move(m));
    return preview;
}

}  // namespace samlabel::io
