#pragma once
// Folding auto-label results into a project: every image's detections become
// proposals (source sam3-detect, score, review pending) unless they overlap an
// instance of their class already there; with `replace` they take that
// instance's place instead. Images are merged in natural path order whatever
// the order of the files, so shards merged together give the same project as
// one unsharded run. An image already stamped with the results' recipe is
// skipped (merging twice changes nothing).
#include "core/annotation/edit_operations.h"
#include "core/annotation/project.h"
#include "core/autolabel/autolabel_recipe.h"
#include "core/autolabel/image_detections.h"
#include "core/autolabel/results_file.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace samlabel::autolabel {

struct MergeOptions {
    double overlap_iou = kDefaultOverlapIou;  // a candidate above this IoU with an instance of its class is not proposed
    bool replace = false;                     // ... or replaces it (explicit; off by default)
    bool again = false;                       // merge images already stamped with this recipe once more
    annotation::ReviewState review = annotation::ReviewState::Pending;
};

struct ImageMergeCounts {
    std::size_t proposed = 0;
    std::size_t skipped_overlap = 0;
    std::size_t replaced = 0;
    bool already_merged = false;
};

// The edit that merges one image's detections into the project as it is now.
// Detections of a class the project lacks are counted in *missing_class and
// left out (create the classes first: add_missing_classes). nullptr when the
// image was already merged with this recipe (and !options.again).
// allocate_id hands out fresh instance ids (Project::allocate_instance_id or
// the GUI document's).
std::unique_ptr<annotation::EditOperation> make_image_merge(const annotation::Project& project, const ImageDetections& detections,
                                                            const std::string& recipe_id, const MergeOptions& options,
                                                            const std::function<std::uint64_t()>& allocate_id, std::int64_t now_ms,
                                                            ImageMergeCounts* counts, std::size_t* missing_class = nullptr);

// AddClass edits for the recipe's classes the project does not have yet.
std::vector<std::unique_ptr<annotation::EditOperation>> add_missing_classes(const annotation::Project& project, const Recipe& recipe);

// Results that must not be mixed: the files were made with different recipes
// (model, dtype, prompts, thresholds), or a class's prompt differs from the one
// the project saved for it. what() says which file and what differs.
class MergeRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct MergeSummary {
    std::string recipe_id;
    std::size_t images = 0;           // distinct images in the results
    std::size_t images_merged = 0;    // images changed (proposals or stamp)
    std::size_t already_merged = 0;
    std::size_t proposed = 0;
    std::size_t skipped_overlap = 0;
    std::size_t replaced = 0;
    std::size_t classes_added = 0;
    std::vector<std::string> warnings;  // missing shards, images whose size changed, ...
};

// Checks the files against each other and against the project's class
// prompts (MergeRefused unless allow_mismatch), then merges every image into
// `project` in natural path order. `files[i]` names results[i] in messages.
MergeSummary merge_results(annotation::Project& project, const std::vector<ResultsContent>& results,
                           const std::vector<std::string>& files, const MergeOptions& options, bool allow_mismatch,
                           std::int64_t now_ms);

// The command line's merge: reads the project file (a folder: its
// samlabel-project.json, created when missing) and the results files, merges,
// and saves the project atomically (the previous version kept as .bak) when
// anything changed. Throws MergeRefused, ResultsFileError,
// annotation::ProjectFileError or std::runtime_error, each naming the file.
MergeSummary merge_results_into_project_file(const std::filesystem::path& project, const std::vector<std::filesystem::path>& results_files,
                                             const MergeOptions& options, bool allow_mismatch);

}  // namespace samlabel::autolabel
