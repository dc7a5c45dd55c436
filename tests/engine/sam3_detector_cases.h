#pragma once
// The SAM3 concept-detection parity fixtures (tests/data/sam3_detect/<config>/,
// written by tools/make_sam3_detector_fixtures.py with transformers' Sam3Model
// + Sam3Processor) compared with what a Sam3Predictor answers. Shared by
// test_sam3_detect_parity (CPU, asserts) and the GPU checks (no Qt there), so
// no Qt here: the caller supplies the image and mask readers.
#include "tests/engine/sam3_reference_cases.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace samlabel::engine::testing {

// One prompt on one image against the reference.
struct DetectionComparison {
    std::string label;                  // "<config> <case>/<k> '<text>'"
    bool tokens_match = false;          // our tokenizer gave the reference processor's ids
    bool query_count_ok = false;
    bool text_from_cache = false;       // the text encoding came from the predictor's cache
    // Raw outputs (every query), |ours - ref| over the scale max|ref| (boxes and presence: absolute).
    double logit_rel_diff = 0, box_abs_diff = 0, presence_abs_diff = 0;
    double score_abs_diff_all = 0;      // every query's score
    // Post-processing.
    std::vector<int> ours_kept, reference_kept;
    int kept_mismatches = 0;            // queries kept by one side only, not within 1e-5 of the threshold
    int kept_mismatches_any = 0;        // the same, counting every query
    std::vector<double> mismatch_margins;  // |ref score - threshold| of each query kept by one side only
    double min_reference_margin = 1;    // min |ref score - threshold|
    double score_abs_diff = 0;          // over the queries kept by both
    double box_px_diff = 0;             // pixel boxes of the queries kept by both
    double mask_logit_rel_diff = 0;     // low-res mask logits of the queries kept by both
    double min_mask_iou = 1;            // full-resolution binary masks of the queries kept by both
    int compared_masks = 0;
    nlohmann::json reference_bf16;      // transformers' own bf16 model against its fp32 outputs
};

struct DetectionFixture {
    std::string config;
    int cases = 0;                      // prompt cases in cases.json
    std::vector<DetectionComparison> runs;
};

// Encodes each fixture image once and runs every case of cases.json: text
// only, text + boxes, boxes only, several prompts on one encoded image, and
// the reference's batch of two images run one image at a time. Throws
// std::runtime_error for a missing fixture file.
DetectionFixture compare_detection_with_reference(const Sam3Predictor& predictor, const std::filesystem::path& dir,
                                                  const RgbReader& read_rgb, const MaskReader& read_mask);

}  // namespace samlabel::engine::testing
