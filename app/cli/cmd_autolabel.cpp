// samlabel-cli autolabel PROJECT --weights DIR [--class NAME[=PROMPT]]... [--threshold T] [--only-unlabeled]
//                        [--out RESULTS.jsonl] [--shard I/N] [--shard-count N] ...
// Auto-labels a project headless: every image (or the never-annotated ones, or
// a shard of them) is encoded once and searched for every class's prompt;
// each finished image's detections are appended to a results file and flushed
// before the next image starts, so a crash, a SIGKILL or Ctrl+C loses at most
// the image in progress, and running the same command again resumes. Without
// --out and --shard the results are merged into the project at the end (and
// on Ctrl+C); with them, `samlabel-cli merge` folds the files in later.
#include "app/cli/cli_command.h"
#include "app/cli/cli_options.h"
#include "app/cli/model_options.h"
#include "core/autolabel/autolabel_recipe.h"
#include "core/autolabel/autolabel_run.h"
#include "core/autolabel/image_selection.h"
#include "core/autolabel/merge_results.h"
#include "core/autolabel/model_fingerprint.h"
#include "core/autolabel/project_on_disk.h"
#include "core/autolabel/results_file.h"
#include "core/engine/model_session.h"
#include "core/engine/platform/console_stop.h"
#include "core/io/image_folder.h"
#include "core/io/image_reader.h"
#include "core/service/image_source.h"

#include <QString>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>

#ifndef _WIN32
#include <unistd.h>
#endif

namespace samlabel::cli {
namespace {

namespace fs = std::filesystem;
using namespace samlabel::autolabel;

const char* kUsage =
    "usage: samlabel-cli autolabel PROJECT --weights DIR [--class NAME[=PROMPT]]... [--threshold T]\n"
    "                              [--only-unlabeled | --image PATH...] [--out RESULTS.jsonl]\n"
    "                              [--shard I/N | --shard-count N] [--restart] [--mask-threshold M]\n"
    "                              [--overlap-iou 0.7] [--replace] [--device ...] [--dtype ...] [--images DIR]\n"
    "                              [--ram-budget GiB] [--vram-budget GiB]\n"
    "  PROJECT           a project file, or an image folder (its samlabel-project.json)\n"
    "  --weights DIR     a SAM3 checkpoint folder with its tokenizer files\n"
    "  --class NAME[=PROMPT]  a class to find, searched as PROMPT (default: the class's saved prompt,\n"
    "                    else its name); repeatable; default: every class of the project.\n"
    "                    A class the project lacks is created when the results are merged\n"
    "  --threshold T     keep detections scoring above T (default: each class's saved threshold, else 0.5)\n"
    "  --only-unlabeled  only images never annotated (no instance, never marked done)\n"
    "  --image PATH      only these images (relative to the image folder); repeatable\n"
    "  --out FILE        the results file (JSON Lines). Default: PROJECT's folder, <stem>.autolabel.jsonl\n"
    "                    (<stem>.autolabel-I-of-N.jsonl for a shard). A file from an earlier run with the\n"
    "                    same model, prompts and shard is continued: its images are not done again\n"
    "  --restart         begin a new results file even if one from another run is there (kept as .old)\n"
    "  --shard I/N       take the images whose path hash modulo N is I (0-based). Without it:\n"
    "                    JOB_COMPLETION_INDEX (Kubernetes Indexed Job) with --shard-count N, or\n"
    "                    SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT (Slurm array)\n"
    "  --overlap-iou X   merge: a detection overlapping an instance of its class above X is not proposed (0.7)\n"
    "  --replace         merge: ... it replaces that instance instead (off by default)\n"
    "  --ram-budget GiB  keep at least this much RAM free for other programs (default 0)\n"
    "  --vram-budget GiB use at most this much VRAM (leave the rest to e.g. a training run)\n"
    "Without --out and without a shard the results are merged into PROJECT when the run ends (or is\n"
    "interrupted); otherwise merge them with `samlabel-cli merge PROJECT RESULTS...`.\n"
    "exit codes: 0 done, 1 failed (or some images unreadable), 2 bad arguments, 3 refused by the memory\n"
    "preflight, 130/143 interrupted by Ctrl+C/SIGTERM (Windows: Ctrl+C / Ctrl+Break or the console closing;\n"
    "finished images kept; run again to resume)\n";

std::string dtype_text(engine::WeightDType dtype) {
    switch (dtype) {
        case engine::WeightDType::F32: return "float32";
        case engine::WeightDType::BF16: return "bfloat16";
        case engine::WeightDType::F16: return "float16";
        case engine::WeightDType::Auto: break;
    }
    return "auto";
}

bool stderr_is_terminal() {
#ifdef _WIN32
    return false;
#else
    return isatty(2) == 1;
#endif
}

}  // namespace

int cmd_autolabel(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        (args.empty() ? std::cerr : std::cout) << kUsage;
        return args.empty() ? kExitUsage : kExitOk;
    }
    fs::path project_arg, weights, out_path, images_dir;
    std::vector<ClassSpec> class_specs;
    std::optional<float> threshold;
    float mask_threshold = kDefaultMaskThreshold;
    Scope scope = Scope::All;
    std::set<std::string> selected;
    std::optional<ShardSpec> shard;
    std::optional<int> shard_count;
    bool restart = false, only_unlabeled = false;
    MergeOptions merge_options;
    ModelOptions model;
    model.request.parts = engine::PartSet::DetectOnly;
    try {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            auto next = [&]() -> const std::string& {
                if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
                return args[++i];
            };
            if (a == "--weights") weights = io::path_from_utf8(next());
            else if (a == "--class") class_specs.push_back(parse_class_spec(next()));
            else if (a == "--threshold") threshold = parse_fraction(next(), a);
            else if (a == "--mask-threshold") mask_threshold = parse_fraction(next(), a);
            else if (a == "--only-unlabeled") only_unlabeled = true;
            else if (a == "--image") selected.insert(next());
            else if (a == "--out") out_path = io::path_from_utf8(next());
            else if (a == "--shard") shard = parse_shard(next());
            else if (a == "--shard-count") shard_count = parse_count(next(), a);
            else if (a == "--restart") restart = true;
            else if (a == "--overlap-iou") merge_options.overlap_iou = parse_fraction(next(), a);
            else if (a == "--replace") merge_options.replace = true;
            else if (take_model_option(a, next, model, PartsOption::Fixed)) continue;
            else if (a == "--images") images_dir = io::path_from_utf8(next());
            else if (a.rfind("--", 0) == 0) throw std::invalid_argument("unknown option " + a);
            else if (project_arg.empty()) project_arg = io::path_from_utf8(a);
            else throw std::invalid_argument("unexpected argument " + a);
        }
        if (project_arg.empty()) throw std::invalid_argument("expected PROJECT");
        if (weights.empty()) throw std::invalid_argument("--weights DIR is required");
        if (only_unlabeled && !selected.empty()) throw std::invalid_argument("--only-unlabeled and --image exclude each other");
        scope = only_unlabeled ? Scope::Unlabeled : selected.empty() ? Scope::All : Scope::Selected;
        if (!shard) shard = shard_from_environment(shard_count, [](const char* name) { return std::getenv(name); });
        else if (shard_count && *shard_count != shard->count)
            throw std::invalid_argument("--shard " + std::to_string(shard->index) + "/" + std::to_string(shard->count) +
                                        " disagrees with --shard-count " + std::to_string(*shard_count));
    } catch (const std::invalid_argument& e) {
        std::cerr << "samlabel-cli autolabel: " << e.what() << "\n" << kUsage;
        return kExitUsage;
    }
    const ShardSpec the_shard = shard.value_or(ShardSpec{});
    const bool merge_at_end = out_path.empty() && the_shard.count == 1;

    ProjectOnDisk project = open_project_on_disk(project_arg, images_dir);
    for (const std::string& e : project.scan_errors) std::cerr << "samlabel-cli autolabel: " << e << "\n";
    for (const std::string& s : selected)
        if (std::find(project.images.begin(), project.images.end(), s) == project.images.end()) {
            std::cerr << "samlabel-cli autolabel: --image " << s << ": not an image of " << io::path_to_utf8(project.image_root) << "\n";
            return kExitUsage;
        }
    Recipe recipe;
    try {
        recipe.classes = resolve_class_prompts(project.project, class_specs, threshold);
    } catch (const std::invalid_argument& e) {
        std::cerr << "samlabel-cli autolabel: " << io::path_to_utf8(project.file) << ": " << e.what() << "\n";
        return kExitUsage;
    }
    recipe.mask_threshold = mask_threshold;
    recipe.model.fingerprint = checkpoint_fingerprint(weights);  // throws naming the folder

    // The dtype the load will resolve to, known before any weight is read, so
    // a shard with nothing left to do never loads the model.
    engine::ModelSession session;
    model.request.checkpoint_dir = weights;
    engine::PreflightReport preflight;
    try {
        preflight = session.preflight(model.request, model.budget);
    } catch (const std::exception& e) {
        std::cerr << "samlabel-cli autolabel: " << e.what() << "\n";
        return kExitFailure;
    }
    recipe.model.dtype = dtype_text(preflight.estimate.dtype);

    if (out_path.empty()) {
        const std::string stem = io::path_to_utf8(project.file.stem());
        out_path = project.file.parent_path() /
                   io::path_from_utf8(the_shard.count == 1 ? stem + ".autolabel.jsonl"
                                                           : stem + ".autolabel-" + std::to_string(the_shard.index) + "-of-" +
                                                                 std::to_string(the_shard.count) + ".jsonl");
    }
    ResultsHeader header;
    header.recipe = recipe;
    header.shard = the_shard;
    header.project = io::path_to_utf8(project.file);
    header.created_ms = annotation::unix_now_ms();
    std::set<std::string> done;
    std::unique_ptr<ResultsWriter> writer;
    try {
        writer = std::make_unique<ResultsWriter>(out_path, header, restart, &done);
    } catch (const ResultsFileError& e) {
        std::cerr << "samlabel-cli autolabel: " << e.what() << "\n";
        return kExitFailure;
    }
    // Images an earlier run (or the GUI) already merged with this recipe count as done too.
    const std::string id = recipe_id(recipe);
    for (const auto& [path, image] : project.project.images())
        if (image.autolabel && image.autolabel->recipe == id) done.insert(path);

    const std::vector<std::string> images = select_images(project.images, project.project, scope, selected, the_shard);
    std::size_t left = 0;
    for (const std::string& image : images) left += done.count(image) ? 0 : 1;
    std::cerr << "autolabel: " << images.size() << " image(s)" << (the_shard.count > 1 ? " in shard " + std::to_string(the_shard.index) + "/" + std::to_string(the_shard.count) : "")
              << ", " << left << " to do, " << recipe.classes.size() << " class prompt(s); recipe " << id << "; results "
              << io::path_to_utf8(out_path) << (writer->resumed() ? " (resumed)" : "") << "\n";

    // A console stop request (another thread) ends the run after the image in
    // progress; the first one decides the exit code.
    std::atomic<bool> cancel{false};
    std::atomic<int> stop_exit_code{0};
    const engine::ConsoleStopHandler stop_requests([&](engine::ConsoleStop stop) {
        int none = 0;
        stop_exit_code.compare_exchange_strong(none, engine::conventional_exit_code(stop));
        cancel = true;
    });
    RunSummary summary;
    if (left > 0) {
        const engine::LoadOutcome loaded = session.load(model.request, {}, model.budget);
        if (const int refused_or_failed = report_load_outcome("autolabel", loaded)) return refused_or_failed;
        if (loaded.dtype_name != recipe.model.dtype) {
            std::cerr << "samlabel-cli autolabel: the model loaded as " << loaded.dtype_name << ", the preflight said " << recipe.model.dtype << "\n";
            return kExitFailure;
        }
        std::cerr << "autolabel: model " << loaded.device_name << " " << loaded.dtype_name << " loaded in "
                  << int(loaded.duration_ms) << " ms\n";
        const ImageDetector detect = [&](const std::string& rel) {
            const fs::path file = io::resolve_image_path(project.image_root, rel);
            QString read_error;
            const std::optional<service::ModelImage> image = service::read_model_image(QString::fromStdString(io::path_to_utf8(file)), &read_error);
            if (!image) throw std::runtime_error(read_error.toStdString());
            const engine::EncodeOutcome encoded = session.encode(image->image, image->content_key);
            if (!encoded.ok()) throw std::runtime_error(rel + ": encoding failed: " + encoded.message);
            std::vector<engine::DetectResult> results;
            for (const ClassPrompt& c : recipe.classes) {
                engine::DetectOptions options;
                options.score_threshold = c.threshold;
                options.mask_threshold = recipe.mask_threshold;
                results.push_back(session.detect(image->content_key, engine::DetectPrompt{c.prompt, {}}, options));
            }
            return image_detections_from(rel, image->image.width, image->image.height, recipe, results);
        };
        const bool tty = stderr_is_terminal();
        const auto progress = [&](const RunProgress& p) {
            std::cerr << (tty ? "\rautolabel: " : "autolabel: ") << format_progress(p) << (tty ? "   " : "\n") << std::flush;
        };
        try {
            summary = run_autolabel(images, done, *writer, detect, progress, &cancel);
        } catch (const ResultsFileError& e) {
            std::cerr << "\nsamlabel-cli autolabel: " << e.what() << "\n";
            return kExitFailure;
        }
        if (tty) std::cerr << "\n";
        for (const std::string& f : summary.failures) std::cerr << "samlabel-cli autolabel: " << f << "\n";
    }
    writer.reset();

    if (merge_at_end) {
        // The project as it is now (the GUI or another merge may have saved it meanwhile).
        const MergeSummary merged = merge_results_into_project_file(project.exists ? project.file : project_arg, {out_path}, merge_options, false);
        for (const std::string& w : merged.warnings) std::cerr << "samlabel-cli autolabel: " << w << "\n";
        std::cerr << "autolabel: merged into " << io::path_to_utf8(project.file) << ": " << merged.proposed << " proposal(s) on "
                  << merged.images_merged << " image(s), " << merged.skipped_overlap << " not proposed (overlap an instance of their class), "
                  << merged.replaced << " replaced, " << merged.already_merged << " image(s) merged before\n";
    } else {
        std::cerr << "autolabel: results in " << io::path_to_utf8(out_path) << "; fold them in with: samlabel-cli merge "
                  << io::path_to_utf8(project.file) << " " << io::path_to_utf8(out_path) << " ...\n";
    }
    if (summary.cancelled) {
        std::cerr << "autolabel: interrupted after " << summary.last.done << " image(s); every finished image is kept, run the same command to resume\n";
        return stop_exit_code.load() ? stop_exit_code.load() : engine::conventional_exit_code(engine::ConsoleStop::Interrupt);
    }
    return summary.failures.empty() ? kExitOk : kExitFailure;
}

}  // namespace samlabel::cli
