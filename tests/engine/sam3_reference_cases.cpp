#include "tests/engine/sam3_reference_cases.h"

#include "core/engine/safetensors_file.h"
#include "core/engine/sam3_predictor.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <stdexcept>

namespace samlabel::engine::testing {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The difference recorded for a NaN or infinite value of ours: fails every tolerance.
constexpr double kNotFinite = std::numeric_limits<double>::infinity();

// Reference tensors (all F32) from reference_outputs.safetensors.
class Reference {
public:
    explicit Reference(const fs::path& path) : file_(SafetensorsFile::open(path)) {}
    std::vector<float> get(const std::string& name, std::vector<std::int64_t>* shape = nullptr) const {
        const TensorEntry* e = file_->find(name);
        if (!e) throw std::runtime_error("reference tensor missing: " + name);
        if (e->dtype != TensorDType::F32) throw std::runtime_error("reference tensor not F32: " + name);
        if (shape) *shape = e->shape;
        const auto bytes = file_->bytes(*e);
        std::vector<float> out(bytes.size() / sizeof(float));
        std::memcpy(out.data(), bytes.data(), bytes.size());
        return out;
    }

private:
    std::unique_ptr<SafetensorsFile> file_;
};

ClickPrompt prompt_from(const json& ps, const Reference& ref, const std::string& image_key) {
    ClickPrompt p;
    p.multimask = ps.at("multimask").get<bool>();
    if (ps.contains("points")) {
        const auto& pts = ps["points"];
        const auto& labels = ps["labels"];
        for (std::size_t i = 0; i < pts.size(); ++i)
            p.points.push_back({pts[i][0].get<float>(), pts[i][1].get<float>(),
                                labels[i].get<int>() == 1 ? PointLabel::Positive : PointLabel::Negative});
    }
    if (ps.contains("box")) {
        const auto& b = ps["box"];
        p.box = BoxPrompt{b[0].get<float>(), b[1].get<float>(), b[2].get<float>(), b[3].get<float>()};
    }
    if (ps.contains("previous")) {
        // The refinement round feeds the reference's own previous best low-res
        // mask back, so both sides see the same input.
        std::vector<std::int64_t> shape;
        const std::vector<float> all = ref.get(image_key + "/" + ps["previous"].get<std::string>() + "/low_res_logits", &shape);
        const int candidate = ps.at("previous_candidate").get<int>();
        const std::size_t plane = static_cast<std::size_t>(shape[1] * shape[2]);
        LowResMaskLogits m;
        m.height = static_cast<int>(shape[1]);
        m.width = static_cast<int>(shape[2]);
        m.logits.assign(all.begin() + candidate * plane, all.begin() + (candidate + 1) * plane);
        p.previous_mask = std::move(m);
    }
    return p;
}

}  // namespace

double mask_iou(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
    if (a.size() != b.size()) return 0.0;
    std::size_t inter = 0, uni = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        inter += (a[i] && b[i]);
        uni += (a[i] || b[i]);
    }
    return uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

std::vector<PromptComparison> compare_with_reference(const Sam3Predictor& predictor, const fs::path& dir,
                                                     const RgbReader& read_rgb, const MaskReader& read_mask) {
    std::ifstream in(dir / "prompts.json");
    if (!in) throw std::runtime_error("cannot read " + (dir / "prompts.json").string());
    const json summary = json::parse(in);
    const Reference ref(dir / "reference_outputs.safetensors");
    const std::string config_name = dir.filename().string();
    std::vector<PromptComparison> out;
    for (const json& image_entry : summary.at("images")) {
        const std::string file = image_entry.at("file").get<std::string>();
        const ImageRgb8 image = read_rgb(dir / file);
        const std::string image_key = fs::path(file).stem().string();
        const auto embedding = predictor.encode(image);
        for (const json& ps : image_entry.at("prompts")) {
            const std::string name = ps.at("name").get<std::string>();
            PromptComparison pc;
            pc.label = config_name + " " + image_key + " " + name;
            const SegmentResult result = predictor.segment(*embedding, prompt_from(ps, ref, image_key));

            std::vector<std::int64_t> shape;
            const std::vector<float> logits = ref.get(image_key + "/" + name + "/low_res_logits", &shape);
            const std::vector<float> ious = ref.get(image_key + "/" + name + "/iou_scores");
            const std::vector<float> obj = ref.get(image_key + "/" + name + "/object_score_logits");
            const auto& mask_files = ps.at("mask_files");
            pc.candidate_count_ok = result.candidates.size() == static_cast<std::size_t>(shape[0]) &&
                                    mask_files.size() == result.candidates.size();
            pc.object_score_rel_diff = std::isfinite(result.object_score_logit)
                                           ? std::abs(static_cast<double>(result.object_score_logit) - obj[0]) /
                                                 std::max(1.0, std::abs(static_cast<double>(obj[0])))
                                           : kNotFinite;
            const std::size_t plane = static_cast<std::size_t>(shape[1] * shape[2]);
            const std::size_t count = std::min(result.candidates.size(), static_cast<std::size_t>(shape[0]));
            for (std::size_t k = 0; k < count; ++k) {
                const MaskCandidate& c = result.candidates[k];
                CandidateComparison cc;
                cc.label = pc.label + " candidate " + std::to_string(k);
                cc.shape_ok = c.low_res.height == shape[1] && c.low_res.width == shape[2] && c.width == image.width &&
                              c.height == image.height && c.low_res.logits.size() == plane;
                if (!cc.shape_ok) {
                    pc.candidates.push_back(cc);
                    continue;
                }
                double scale = 0;
                for (std::size_t i = 0; i < plane; ++i) {
                    scale = std::max(scale, std::abs(static_cast<double>(logits[k * plane + i])));
                    const double ours = c.low_res.logits[i];
                    const double diff = std::isfinite(ours) ? std::abs(ours - logits[k * plane + i]) : kNotFinite;
                    if (!std::isfinite(ours)) ++cc.non_finite;
                    cc.logit_abs_diff = std::max(cc.logit_abs_diff, diff);
                }
                cc.logit_rel_diff = cc.logit_abs_diff / std::max(scale, 1e-12);
                if (!std::isfinite(c.predicted_iou)) ++cc.non_finite;
                cc.iou_score_abs_diff =
                    std::isfinite(c.predicted_iou) ? std::abs(static_cast<double>(c.predicted_iou) - ious[k]) : kNotFinite;
                cc.mask_iou = mask_iou(c.mask, read_mask(dir / mask_files[k].get<std::string>()));
                pc.candidates.push_back(cc);
            }
            out.push_back(std::move(pc));
        }
    }
    return out;
}

}  // namespace samlabel::engine::testing
