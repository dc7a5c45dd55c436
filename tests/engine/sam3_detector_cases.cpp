#include "tests/engine/sam3_detector_cases.h"

#include "core/engine/safetensors_file.h"
#include "core/engine/sam3_predictor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

namespace samlabel::engine::testing {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr double kNearThreshold = 1e-5;

std::vector<float> reference_tensor(const SafetensorsFile& file, const std::string& name) {
    const TensorEntry* e = file.find(name);
    if (!e) throw std::runtime_error("reference tensor missing: " + name);
    if (e->dtype != TensorDType::F32) throw std::runtime_error("reference tensor not F32: " + name);
    const auto bytes = file.bytes(*e);
    std::vector<float> out(bytes.size() / sizeof(float));
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
}

// max |a - b|; NaN anywhere makes it NaN (so a "<= tolerance" check fails).
double max_abs_diff(const float* a, const float* b, std::size_t n) {
    double m = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
        if (std::isnan(d)) return std::nan("");
        m = std::max(m, d);
    }
    return m;
}

double max_abs(const std::vector<float>& v) {
    double m = 0;
    for (float x : v) m = std::max(m, std::abs(static_cast<double>(x)));
    return std::max(m, 1e-12);
}

std::vector<ExemplarBox> boxes_of(const json& c, std::size_t image_index) {
    std::vector<ExemplarBox> out;
    if (!c.contains("boxes")) return out;
    const json& boxes = c["boxes"].at(image_index);
    const json& labels = c["box_labels"].at(image_index);
    for (std::size_t i = 0; i < boxes.size(); ++i)
        out.push_back({boxes[i][0].get<float>(), boxes[i][1].get<float>(), boxes[i][2].get<float>(), boxes[i][3].get<float>(),
                       labels[i].get<int>() == 1});
    return out;
}

}  // namespace

DetectionFixture compare_detection_with_reference(const Sam3Predictor& predictor, const fs::path& dir,
                                                  const RgbReader& read_rgb, const MaskReader& read_mask) {
    std::ifstream in(dir / "cases.json");
    if (!in) throw std::runtime_error("cannot read " + (dir / "cases.json").string());
    const json summary = json::parse(in);
    const auto reference = SafetensorsFile::open(dir / "reference_outputs.safetensors");
    const double threshold = summary.at("threshold").get<double>();
    DetectOptions options;
    options.score_threshold = static_cast<float>(threshold);
    options.mask_threshold = summary.at("mask_threshold").get<float>();
    options.raw_outputs = true;

    DetectionFixture fixture;
    fixture.config = summary.at("config").get<std::string>();
    // One encode per image, shared by every case that uses it.
    std::map<std::string, std::shared_ptr<const ImageEmbedding>> embeddings;
    auto embedding_of = [&](const std::string& image) {
        auto& e = embeddings[image];
        if (!e) e = predictor.encode(read_rgb(dir / (image + ".png")));
        return e;
    };

    for (const json& c : summary.at("cases")) {
        ++fixture.cases;
        const std::string name = c.at("name").get<std::string>();
        const json& images = c.at("images");
        const json& runs = c.at("runs");
        for (std::size_t k = 0; k < runs.size(); ++k) {
            const json& run = runs[k];
            const std::string key = name + "/" + std::to_string(k);
            DetectionComparison cmp;
            cmp.label = fixture.config + " " + key + " '" + run.at("text").get<std::string>() + "'";
            cmp.reference_bf16 = run.at("reference_bf16");
            // Several prompts share the case's image; a batch has one image per run.
            const std::size_t image_index = images.size() > 1 ? k : 0;
            const std::string image = images.at(image_index).get<std::string>();
            const auto embedding = embedding_of(image);

            // Tokenization as the reference processor did it (start .. end, no padding).
            const std::vector<std::int64_t> ref_ids_padded = run.at("input_ids").get<std::vector<std::int64_t>>();
            const std::vector<std::int64_t> ref_mask = run.at("attention_mask").get<std::vector<std::int64_t>>();
            std::vector<std::int64_t> ref_ids;
            for (std::size_t i = 0; i < ref_ids_padded.size(); ++i)
                if (ref_mask[i]) ref_ids.push_back(ref_ids_padded[i]);

            DetectPrompt prompt;
            prompt.boxes = boxes_of(c, image_index);
            const std::string text = run.at("text").get<std::string>();
            // Boxes only: the processor used "visual"; the app sends an empty text.
            prompt.text = !c.contains("text") && !c.contains("texts") ? std::string() : text;
            const DetectResult result = predictor.detect(*embedding, prompt, options);
            cmp.tokens_match = result.token_ids == ref_ids;
            cmp.text_from_cache = result.text_from_cache;
            const RawDetectorOutputs& raw = *result.raw;

            const std::vector<float> logits = reference_tensor(*reference, key + "/logits");
            const std::vector<float> boxes = reference_tensor(*reference, key + "/boxes");
            const std::vector<float> presence = reference_tensor(*reference, key + "/presence");
            const std::size_t q = logits.size();
            cmp.query_count_ok = raw.logits.size() == q && raw.boxes.size() == 4 * q && result.query_scores.size() == q;
            if (!cmp.query_count_ok) {
                fixture.runs.push_back(cmp);
                continue;
            }
            cmp.logit_rel_diff = max_abs_diff(raw.logits.data(), logits.data(), q) / max_abs(logits);
            cmp.box_abs_diff = max_abs_diff(raw.boxes.data(), boxes.data(), 4 * q);
            cmp.presence_abs_diff = std::abs(static_cast<double>(raw.presence_logit) - presence[0]);

            // Reference scores as post_process_instance_segmentation computes them.
            std::vector<double> ref_scores(q);
            const double ref_presence = 1.0 / (1.0 + std::exp(-static_cast<double>(presence[0])));
            for (std::size_t i = 0; i < q; ++i) {
                ref_scores[i] = ref_presence / (1.0 + std::exp(-static_cast<double>(logits[i])));
                cmp.score_abs_diff_all = std::max(cmp.score_abs_diff_all, std::abs(result.query_scores[i] - ref_scores[i]));
                cmp.min_reference_margin = std::min(cmp.min_reference_margin, std::abs(ref_scores[i] - threshold));
            }
            cmp.reference_kept = run.at("kept").get<std::vector<int>>();
            for (const Detection& d : result.detections) cmp.ours_kept.push_back(d.query);
            const std::set<int> ours(cmp.ours_kept.begin(), cmp.ours_kept.end());
            const std::set<int> theirs(cmp.reference_kept.begin(), cmp.reference_kept.end());
            for (std::size_t i = 0; i < q; ++i)
                if (ours.count(static_cast<int>(i)) != theirs.count(static_cast<int>(i))) {
                    ++cmp.kept_mismatches_any;
                    cmp.mismatch_margins.push_back(std::abs(ref_scores[i] - threshold));
                    if (std::abs(ref_scores[i] - threshold) > kNearThreshold) ++cmp.kept_mismatches;
                }

            // Queries kept by both: scores, pixel boxes, mask logits, masks.
            const std::vector<float> ref_post_scores = run.at("scores").get<std::vector<float>>();
            const json& ref_boxes_px = run.at("boxes_px");
            const json& mask_files = run.at("mask_files");
            const std::vector<float> ref_mask_logits = reference_tensor(*reference, key + "/kept_mask_logits");
            const std::size_t plane = static_cast<std::size_t>(raw.mask_size) * raw.mask_size;
            const double mask_scale = max_abs(ref_mask_logits);
            for (std::size_t ours_index = 0; ours_index < result.detections.size(); ++ours_index) {
                const Detection& d = result.detections[ours_index];
                const auto it = std::find(cmp.reference_kept.begin(), cmp.reference_kept.end(), d.query);
                if (it == cmp.reference_kept.end()) continue;
                const auto ref_index = static_cast<std::size_t>(it - cmp.reference_kept.begin());
                cmp.score_abs_diff = std::max(cmp.score_abs_diff, std::abs(static_cast<double>(d.score) - ref_post_scores[ref_index]));
                const float box[4] = {d.box.x0, d.box.y0, d.box.x1, d.box.y1};
                for (int j = 0; j < 4; ++j)
                    cmp.box_px_diff = std::max(cmp.box_px_diff, std::abs(static_cast<double>(box[j]) - ref_boxes_px[ref_index][j].get<double>()));
                if (ref_mask_logits.size() >= (ref_index + 1) * plane && raw.kept_mask_logits.size() >= (ours_index + 1) * plane)
                    cmp.mask_logit_rel_diff = std::max(
                        cmp.mask_logit_rel_diff,
                        max_abs_diff(raw.kept_mask_logits.data() + ours_index * plane, ref_mask_logits.data() + ref_index * plane, plane) /
                            mask_scale);
                else
                    cmp.mask_logit_rel_diff = std::nan("");
                cmp.min_mask_iou = std::min(cmp.min_mask_iou, mask_iou(d.mask, read_mask(dir / mask_files[ref_index].get<std::string>())));
                ++cmp.compared_masks;
            }
            fixture.runs.push_back(std::move(cmp));
        }
    }
    return fixture;
}

}  // namespace samlabel::engine::testing
