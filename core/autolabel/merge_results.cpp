#include "core/autolabel/merge_results.h"

#include "core/annotation/natural_order.h"
#include "core/autolabel/apply_proposals.h"
#include "core/annotation/project_file.h"
#include "core/autolabel/overlap.h"
#include "core/autolabel/project_on_disk.h"
#include "core/io/image_reader.h"

#include <map>
#include <set>

namespace samlabel::autolabel {

using annotation::Project;

std::unique_ptr<annotation::EditOperation> make_image_merge(const Project& project, const ImageDetections& detections,
                                                            const std::string& recipe_id, const MergeOptions& options,
                                                            const std::function<std::uint64_t()>& allocate_id, std::int64_t now_ms,
                                                            ImageMergeCounts* counts, std::size_t* missing_class) {
    ImageMergeCounts local;
    ImageMergeCounts& c = counts ? *counts : local;
    c = {};
    const annotation::ImageAnnotations* image = project.find_image(detections.image);
    if (image && image->autolabel && image->autolabel->recipe == recipe_id && !options.again) {
        c.already_merged = true;
        return nullptr;
    }
    const annotation::ImageAnnotations empty;
    const annotation::ImageAnnotations& existing = image ? *image : empty;
    std::vector<annotation::Instance> add;
    std::vector<std::uint64_t> remove;
    std::set<std::uint64_t> removing;
    for (const Detection& det : detections.detections) {
        const annotation::LabelClass* cls = project.find_class_by_name(det.class_name);
        if (!cls) {
            if (missing_class) ++*missing_class;
            continue;
        }
        // Compared with what the image held before this merge only: the
        // model's own candidates are not checked against each other.
        const std::vector<std::uint64_t> overlaps = overlapping_instances(existing, cls->id, det.mask, options.overlap_iou);
        if (!overlaps.empty() && !options.replace) {
            ++c.skipped_overlap;
            continue;
        }
        for (std::uint64_t id : overlaps)
            if (removing.insert(id).second) {
                remove.push_back(id);
                ++c.replaced;
            }
        annotation::Instance inst = proposal_instance(det.mask, cls->id, det.score, options.review, now_ms);
        inst.id = allocate_id();
        add.push_back(std::move(inst));
        ++c.proposed;
    }
    return std::make_unique<ApplyProposals>(detections.image, std::move(add), std::move(remove),
                                            annotation::AutolabelStamp{recipe_id, now_ms}, "Auto-label " + detections.image,
                                            detections.width, detections.height);
}

std::vector<std::unique_ptr<annotation::EditOperation>> add_missing_classes(const Project& project, const Recipe& recipe) {
    std::vector<std::unique_ptr<annotation::EditOperation>> ops;
    Project preview = project;  // colours: each new class takes the next unused one
    for (const ClassPrompt& c : recipe.classes) {
        if (preview.find_class_by_name(c.class_name)) continue;
        const std::uint32_t rgb = unused_class_colour(preview);
        auto op = std::make_unique<annotation::AddClass>(c.class_name, rgb);
        op->apply(preview);
        ops.push_back(std::make_unique<annotation::AddClass>(c.class_name, rgb));
    }
    return ops;
}

MergeSummary merge_results(Project& project, const std::vector<ResultsContent>& results, const std::vector<std::string>& files,
                           const MergeOptions& options, bool allow_mismatch, std::int64_t now_ms) {
    MergeSummary summary;
    if (results.empty()) return summary;
    const Recipe& recipe = results.front().header.recipe;
    summary.recipe_id = results.front().recipe_id;
    auto name = [&](std::size_t i) { return i < files.size() ? files[i] : "results #" + std::to_string(i + 1); };
    for (std::size_t i = 1; i < results.size(); ++i) {
        if (results[i].recipe_id == summary.recipe_id) continue;
        const std::string why = name(i) + " was made with another model or prompts than " + name(0) + ": " +
                                describe_recipe_difference(recipe, results[i].header.recipe);
        if (!allow_mismatch) throw MergeRefused(why);
        summary.warnings.push_back(why + " (merged anyway)");
    }
    for (const ClassPrompt& c : recipe.classes) {
        const annotation::LabelClass* cls = project.find_class_by_name(c.class_name);
        if (!cls || cls->prompt.empty() || cls->prompt == c.prompt) continue;
        const std::string why = name(0) + ": class '" + c.class_name + "' was searched as '" + c.prompt + "' but the project's prompt for it is '" +
                                cls->prompt + "'";
        if (!allow_mismatch) throw MergeRefused(why);
        summary.warnings.push_back(why + " (merged anyway)");
    }
    // Shards: say which are missing, so a partial merge is not mistaken for a full one.
    std::map<int, std::set<int>> shards;  // count -> indices present
    for (const ResultsContent& r : results) shards[r.header.shard.count].insert(r.header.shard.index);
    for (const auto& [count, present] : shards) {
        if (count <= 1) continue;
        std::string missing;
        for (int i = 0; i < count; ++i)
            if (!present.count(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
        if (!missing.empty()) summary.warnings.push_back("shard(s) " + missing + " of " + std::to_string(count) + " not given: their images are not merged");
    }

    for (auto& op : add_missing_classes(project, recipe)) {
        op->apply(project);
        ++summary.classes_added;
    }
    // The last line for an image wins (a shard rerun after a crash may repeat one).
    std::map<std::string, const ImageDetections*, annotation::NaturalLess> images;
    for (const ResultsContent& r : results)
        for (const ImageDetections& d : r.images) images[d.image] = &d;
    summary.images = images.size();
    for (const auto& [path, detections] : images) {
        const annotation::ImageAnnotations* image = project.find_image(path);
        if (image && image->width > 0 && (image->width != detections->width || image->height != detections->height)) {
            summary.warnings.push_back(path + ": the image is " + std::to_string(image->width) + "x" + std::to_string(image->height) +
                                       " in the project but was " + std::to_string(detections->width) + "x" +
                                       std::to_string(detections->height) + " when detected: not merged");
            continue;
        }
        ImageMergeCounts counts;
        auto op = make_image_merge(project, *detections, summary.recipe_id, options, [&] { return project.allocate_instance_id(); },
                                   now_ms, &counts);
        if (counts.already_merged) {
            ++summary.already_merged;
            continue;
        }
        op->apply(project);
        ++summary.images_merged;
        summary.proposed += counts.proposed;
        summary.skipped_overlap += counts.skipped_overlap;
        summary.replaced += counts.replaced;
    }
    return summary;
}

MergeSummary merge_results_into_project_file(const std::filesystem::path& project_path,
                                             const std::vector<std::filesystem::path>& results_files, const MergeOptions& options,
                                             bool allow_mismatch) {
    std::vector<ResultsContent> results;
    std::vector<std::string> names;
    for (const auto& file : results_files) {
        results.push_back(read_results_file(file));
        names.push_back(io::path_to_utf8(file));
    }
    ProjectOnDisk target = open_project_on_disk(project_path);
    const std::string before = annotation::serialize(target.project);
    MergeSummary summary = merge_results(target.project, results, names, options, allow_mismatch, annotation::unix_now_ms());
    if (annotation::serialize(target.project) != before) annotation::save_project_file(target.file, target.project);
    return summary;
}

}  // namespace samlabel::autolabel
