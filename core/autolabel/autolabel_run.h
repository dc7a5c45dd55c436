#pragma once
// The auto-label loop without a model of its own: for each image to do, ask a
// detector (the CLI's ModelSession, a test's fake), append the image's
// detections to the results file (flushed to disk), report progress. Cancel
// between images: every finished image is already in the file, and the next
// run with the same recipe skips it.
#include "core/autolabel/image_detections.h"
#include "core/autolabel/results_file.h"

#include <atomic>
#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace samlabel::autolabel {

struct RunProgress {
    std::size_t done = 0;        // images finished by this run
    std::size_t to_do = 0;       // images this run takes (done before excluded)
    std::size_t done_before = 0; // skipped: finished by an earlier run with the same recipe
    std::size_t failed = 0;      // unreadable images (not in the results: a later run retries them)
    std::size_t detections = 0;
    double elapsed_s = 0.0;
    double images_per_s = 0.0;   // finished images / elapsed
    double eta_s = -1.0;         // -1 until the first image finished
    std::string image;           // the image just finished (or failed)
};

// "12/50 images, 0.83 images/s, ETA 46 s, 31 detections (3 done before, 1 failed)"
std::string format_progress(const RunProgress& progress);

// Returns the detections of one image (relative path); throws std::exception
// with a message naming the image when it cannot be read or detected.
using ImageDetector = std::function<ImageDetections(const std::string& relative_path)>;

struct RunSummary {
    RunProgress last;
    bool cancelled = false;
    std::vector<std::string> failures;  // "<image>: <why>"
};

// Runs `detect` on every image of `images` not in `done_before`, in order.
// `cancel` (may be null) is checked before each image.
RunSummary run_autolabel(const std::vector<std::string>& images, const std::set<std::string>& done_before, ResultsWriter& out,
                         const ImageDetector& detect, const std::function<void(const RunProgress&)>& on_progress,
                         const std::atomic<bool>* cancel);

}  // namespace samlabel::autolabel
