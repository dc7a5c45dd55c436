#pragma once
// Model-free smart segmentation: a box and/or positive/negative points seed
// OpenCV's GrabCut. Pure OpenCV (no Qt) so it can run on any worker thread;
// the GUI's GrabCut tool (ui/tools/grabcut_tool) runs it on QtConcurrent.
#include <opencv2/core.hpp>

#include <optional>
#include <string>
#include <vector>

namespace samlabel::annotation {

struct GrabCutSeeds {
    std::optional<cv::Rect> box;            // object lies inside (image pixels)
    std::vector<cv::Point> positive_points; // on the object
    std::vector<cv::Point> negative_points; // on the background
    bool empty() const { return !box && positive_points.empty(); }
};

struct GrabCutResult {
    cv::Mat1b mask;      // image size, 255 = object; empty on error
    std::string error;   // why no mask came out
    double duration_ms = 0.0;
};

// `image`: 8-bit, 1, 3 (BGR) or 4 (BGRA) channels. The work is done on the
// region around the seeds, downscaled so its longer side is at most
// `work_side_px`, which keeps one run well under a second.
GrabCutResult run_grabcut(const cv::Mat& image, const GrabCutSeeds& seeds, int iterations = 5,
                          int work_side_px = 420);

}  // namespace samlabel::annotation
