#pragma once
// The SAM3 parity fixtures (tests/data/sam3/<config>/, written by
// tools/make_sam3_fixtures.py with transformers) compared with what a
// Sam3Predictor answers. Shared by test_sam3_parity (CPU, asserts) and
// bench/gpu_check_main.cpp (the same cases on CUDA, on a machine without Qt),
// so no Qt here: the caller supplies the image and mask readers.
#include "core/engine/engine_types.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace samlabel::engine {
class Sam3Predictor;
}

namespace samlabel::engine::testing {

// One mask candidate of one prompt set against the reference.
struct CandidateComparison {
    std::string label;              // "<config> <image> <prompt> candidate <k>"
    bool shape_ok = false;          // low-res size and image size as the reference's
    double logit_abs_diff = 0;      // max |ours - ref| over the low-res logits
    double logit_rel_diff = 0;      // the same, over max |ref|
    double iou_score_abs_diff = 0;  // predicted IoU
    double mask_iou = 0;            // binary full-resolution masks
    // NaN or infinite values among our low-res logits and predicted IoU. Each
    // makes logit_abs_diff / iou_score_abs_diff infinite, so no tolerance
    // passes it (a plain std::max would drop a NaN).
    std::size_t non_finite = 0;
};

struct PromptComparison {
    std::string label;                    // "<config> <image> <prompt>"
    bool candidate_count_ok = false;      // as many candidates as the reference
    double object_score_rel_diff = 0;     // |ours - ref| / max(1, |ref|); infinite when ours is not finite
    std::vector<CandidateComparison> candidates;
};

using RgbReader = std::function<ImageRgb8(const std::filesystem::path&)>;
using MaskReader = std::function<std::vector<std::uint8_t>(const std::filesystem::path&)>;  // 0/1 per pixel

// Encodes every fixture image of `dir` with `predictor` and runs every prompt
// set of prompts.json. Throws std::runtime_error for a missing fixture file.
std::vector<PromptComparison> compare_with_reference(const Sam3Predictor& predictor, const std::filesystem::path& dir,
                                                     const RgbReader& read_rgb, const MaskReader& read_mask);

double mask_iou(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b);

}  // namespace samlabel::engine::testing
