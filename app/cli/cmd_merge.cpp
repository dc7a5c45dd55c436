// samlabel-cli merge PROJECT RESULTS... [--overlap-iou 0.7] [--replace] [--again] [--allow-mismatch]
// Folds auto-label results (one file per shard, in any order) into a project,
// atomically: the project file is replaced in one rename, the previous version
// kept as .bak. Existing instances are never overwritten: a detection that
// overlaps an instance of its class above the IoU is not proposed (--replace
// makes it take that instance's place). Results made with different models or
// prompts are refused unless --allow-mismatch.
#include "app/cli/cli_command.h"
#include "app/cli/cli_options.h"
#include "core/annotation/project_file.h"
#include "core/autolabel/merge_results.h"
#include "core/io/image_reader.h"

#include <iostream>

namespace samlabel::cli {
namespace {

namespace fs = std::filesystem;

const char* kUsage =
    "usage: samlabel-cli merge PROJECT RESULTS... [--overlap-iou 0.7] [--replace] [--again] [--allow-mismatch]\n"
    "  PROJECT           a project file, or an image folder (its samlabel-project.json)\n"
    "  RESULTS           results files of `samlabel-cli autolabel --out` (e.g. one per shard)\n"
    "  --overlap-iou X   a detection overlapping an instance of its class above X is not proposed (0.7)\n"
    "  --replace         ... it replaces that instance instead (off by default)\n"
    "  --again           merge images already merged with the same recipe once more\n"
    "  --allow-mismatch  merge results made with another model or other prompts than the first file\n"
    "                    (or than the project's saved class prompts) anyway\n"
    "Merged detections become instances with source sam3-detect, their score and review \"pending\".\n"
    "Close the project in the GUI first: the GUI would save its own copy over the merge.\n"
    "exit codes: 0 merged, 1 failed or refused, 2 bad arguments\n";

}  // namespace

int cmd_merge(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        (args.empty() ? std::cerr : std::cout) << kUsage;
        return args.empty() ? kExitUsage : kExitOk;
    }
    fs::path project;
    std::vector<fs::path> results;
    autolabel::MergeOptions options;
    bool allow_mismatch = false;
    try {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            if (a == "--overlap-iou") {
                if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
                const float v = parse_numbers(args[++i], 1, a)[0];
                if (!(v >= 0.f && v <= 1.f)) throw std::invalid_argument(a + " must lie in [0, 1]");
                options.overlap_iou = v;
            } else if (a == "--replace") options.replace = true;
            else if (a == "--again") options.again = true;
            else if (a == "--allow-mismatch") allow_mismatch = true;
            else if (a.rfind("--", 0) == 0) throw std::invalid_argument("unknown option " + a);
            else if (project.empty()) project = io::path_from_utf8(a);
            else results.push_back(io::path_from_utf8(a));
        }
        if (project.empty() || results.empty()) throw std::invalid_argument("expected PROJECT and at least one RESULTS file");
    } catch (const std::invalid_argument& e) {
        std::cerr << "samlabel-cli merge: " << e.what() << "\n" << kUsage;
        return kExitUsage;
    }
    autolabel::MergeSummary summary;
    try {
        summary = autolabel::merge_results_into_project_file(project, results, options, allow_mismatch);
    } catch (const autolabel::MergeRefused& e) {
        std::cerr << "samlabel-cli merge: refused: " << e.what() << "\n  (pass --allow-mismatch to merge anyway)\n";
        return kExitFailure;
    } catch (const std::exception& e) {
        std::cerr << "samlabel-cli merge: " << e.what() << "\n";
        return kExitFailure;
    }
    for (const std::string& w : summary.warnings) std::cerr << "samlabel-cli merge: warning: " << w << "\n";
    std::cout << "merged " << results.size() << " results file(s), recipe " << summary.recipe_id << ": " << summary.images << " image(s), "
              << summary.images_merged << " merged, " << summary.already_merged << " merged before; " << summary.proposed
              << " proposal(s), " << summary.skipped_overlap << " not proposed (overlap an instance of their class), " << summary.replaced
              << " replaced; " << summary.classes_added << " class(es) added\n";
    return kExitOk;
}

}  // namespace samlabel::cli
