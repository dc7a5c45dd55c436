// The SAM3 modules of each part set, built for the REAL model's config (the
// config.json that transformers' Sam3VideoConfig() writes, saved by
// tools/make_sam3_fixtures.py as tests/data/sam3/hub_config.json) on the meta
// device, against the facebook/sam3 hub tensor table
// (../shared/reference/sam3-hub-tensors.tsv).
//
// Independent expectations, from the table (rows summed with awk/python):
// - Click path (transformers' Sam3TrackerModel on one image): the trunk
//   (detector_model.vision_encoder.backbone.), the tracker neck levels it keeps
//   (4x, 2x, 1x = tracker_neck.fpn_layers.0-2; level 3 is the 0.5x level the
//   tracker drops) and the tracker heads (tracker_model.prompt_encoder.,
//   .mask_decoder., .shared_image_embedding., .no_memory_embedding):
//   457,408,401 parameters in 681 tensors (458,260,881 with level 3).
// - Detection path (transformers' Sam3Model): the trunk and every
//   detector_model.* tensor except the ones its forward never reads (listed in
//   ../shared/reference/sam3-detector.md): the neck's 0.5x level
//   (vision_encoder.neck.fpn_layers.3, 852,480), CLIP's own projection
//   (text_encoder.text_projection, 524,288), the third pixel-decoder stage
//   (pixel_decoder.{conv_layers,norms}.2, 590,592), and the semantic head
//   (mask_decoder.semantic_projection, 257), which instance results never use:
//   838,408,757 parameters in 1,457 tensors. With those four groups it is
//   840,376,374, the reference notes' "about 840.4 M".
#include "core/engine/sam3_model_tensors.h"
#include "core/engine/sam3_parts.h"

#include <QTest>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace samlabel::engine;
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::vector<std::int64_t>> read_hub_table() {
    const fs::path path = fs::path(SAMLABEL_SHARED_DIR) / "reference" / "sam3-hub-tensors.tsv";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::map<std::string, std::vector<std::int64_t>> rows;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string name, dtype, shape;
        std::getline(fields, name, '\t');
        std::getline(fields, dtype, '\t');
        std::getline(fields, shape, '\t');
        std::vector<std::int64_t> dims;
        std::istringstream s(shape);
        for (std::string d; std::getline(s, d, ',');) dims.push_back(std::stoll(d));
        rows[name] = dims;
    }
    return rows;
}

bool starts(const std::string& name, const char* prefix) { return name.rfind(prefix, 0) == 0; }

bool needed_by_detection(const std::string& name) {
    if (!starts(name, "detector_model.")) return false;
    for (const char* unused : {"detector_model.vision_encoder.neck.fpn_layers.3.", "detector_model.text_encoder.text_projection.",
                               "detector_model.mask_decoder.pixel_decoder.conv_layers.2.",
                               "detector_model.mask_decoder.pixel_decoder.norms.2.", "detector_model.mask_decoder.semantic_projection."})
        if (starts(name, unused)) return false;
    return true;
}

bool needed_by_click_path(const std::string& name) {
    for (const char* prefix : {"detector_model.vision_encoder.backbone.", "tracker_neck.fpn_layers.0.", "tracker_neck.fpn_layers.1.",
                               "tracker_neck.fpn_layers.2.", "tracker_model.prompt_encoder.", "tracker_model.mask_decoder.",
                               "tracker_model.shared_image_embedding.", "tracker_model.no_memory_embedding"})
        if (name.rfind(prefix, 0) == 0) return true;
    return false;
}

std::string text(const std::vector<std::int64_t>& v) {
    std::string s;
    for (auto d : v) s += (s.empty() ? "" : ",") + std::to_string(d);
    return s;
}

}  // namespace

class TestSam3PartTensors : public QObject {
    Q_OBJECT

    // The modules of `parts` bind exactly the hub tensors `needed` selects, with the hub's shapes.
    void check_parts(PartSet parts, bool (*needed_by)(const std::string&), std::size_t tensors, std::uint64_t parameters) {
        std::ifstream in(fs::path(SAMLABEL_TEST_DATA) / "sam3" / "hub_config.json");
        const nlohmann::json config = nlohmann::json::parse(in);
        const auto hub = read_hub_table();
        QCOMPARE(hub.size(), std::size_t(1797));

        const std::vector<ExpectedTensor> ours = sam3_part_tensors(config, parts);
        std::uint64_t params = 0;
        for (const ExpectedTensor& t : ours) {
            const auto it = hub.find(t.name);
            QVERIFY2(it != hub.end(), ("the modules need " + t.name + ", which the hub checkpoint lacks").c_str());
            QVERIFY2(it->second == t.shape,
                     (t.name + ": modules expect [" + text(t.shape) + "], hub has [" + text(it->second) + "]").c_str());
            params += t.element_count();
        }
        // Nothing the path needs is left out, and nothing else is read.
        std::size_t needed = 0;
        for (const auto& [name, shape] : hub) {
            if (!needed_by(name)) continue;
            ++needed;
            const bool found = std::any_of(ours.begin(), ours.end(), [&](const ExpectedTensor& t) { return t.name == name; });
            QVERIFY2(found, ("the modules do not bind " + name).c_str());
        }
        QCOMPARE(ours.size(), needed);
        QCOMPARE(ours.size(), tensors);
        QCOMPARE(params, parameters);
        qInfo("%s: %zu tensors, %llu parameters (%.1f M)", std::string(part_set_name(parts)).c_str(), ours.size(),
              static_cast<unsigned long long>(params), params / 1e6);
    }

private slots:
    void click_modules_match_hub_table() { check_parts(PartSet::ClickToSegment, needed_by_click_path, 681, 457'408'401); }
    void detection_modules_match_hub_table() {
        check_parts(PartSet::DetectOnly, [](const std::string& n) { return starts(n, "detector_model.vision_encoder.backbone.") || needed_by_detection(n); },
                    1457, 838'408'757);
    }
    // One trunk for both paths: the union, not the sum.
    void both_paths_share_the_trunk() {
        check_parts(PartSet::ClickAndDetect, [](const std::string& n) { return needed_by_click_path(n) || needed_by_detection(n); },
                    681 + 1457 - 516, 457'408'401 + 838'408'757 - 446'236'672);
    }

    void bad_configs_are_refused() {
        std::ifstream in(fs::path(SAMLABEL_TEST_DATA) / "sam3" / "hub_config.json");
        const nlohmann::json good = nlohmann::json::parse(in);
        auto expect_refused = [](nlohmann::json config, const char* field) {
            try {
                sam3_part_tensors(config, PartSet::ClickToSegment);
                QFAIL(("accepted a bad " + std::string(field)).c_str());
            } catch (const std::invalid_argument& e) {
                QVERIFY2(std::string(e.what()).find(field) != std::string::npos, e.what());
            }
        };
        nlohmann::json c = good;
        c["tracker_config"]["vision_config"]["backbone_config"]["num_attention_heads"] = 7;
        expect_refused(c, "num_attention_heads");
        c = good;
        c["detector_config"]["vision_config"]["backbone_config"]["num_hidden_layers"] = 8;
        expect_refused(c, "detector_config");
        c = good;
        c["model_type"] = "llama";
        expect_refused(c, "model_type");
        c = good;
        c["tracker_config"]["mask_decoder_config"]["hidden_size"] = 128;
        expect_refused(c, "mask_decoder_config.hidden_size");
        c = good;
        c["tracker_config"]["vision_config"]["backbone_config"]["rope_parameters"]["rope_type"] = "default";
        expect_refused(c, "rope_type");
    }

    void bad_detector_configs_are_refused() {
        std::ifstream in(fs::path(SAMLABEL_TEST_DATA) / "sam3" / "hub_config.json");
        const nlohmann::json good = nlohmann::json::parse(in);
        auto expect_refused = [](nlohmann::json config, const char* field) {
            try {
                sam3_part_tensors(config, PartSet::DetectOnly);
                QFAIL(("accepted a bad " + std::string(field)).c_str());
            } catch (const std::invalid_argument& e) {
                QVERIFY2(std::string(e.what()).find(field) != std::string::npos, e.what());
            }
        };
        nlohmann::json c = good;
        // CLIP's own default activation would silently change every text embedding.
        c["detector_config"]["text_config"]["hidden_act"] = "quick_gelu";
        expect_refused(c, "text_config.hidden_act");
        c = good;
        c["detector_config"]["detr_encoder_config"]["hidden_size"] = 128;
        expect_refused(c, "detr_encoder_config.hidden_size");
        c = good;
        c["detector_config"]["detr_decoder_config"]["num_attention_heads"] = 7;
        expect_refused(c, "detr_decoder_config.num_attention_heads");
        c = good;
        c["detector_config"]["geometry_encoder_config"]["hidden_act"] = "gelu";
        expect_refused(c, "geometry_encoder_config.hidden_act");
        // One encode must serve both paths: the tracker and the detector must see the same input size.
        c = good;
        c["detector_config"]["vision_config"]["backbone_config"]["image_size"] = 896;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, sam3_part_tensors(c, PartSet::ClickAndDetect));
    }
};

QTEST_GUILESS_MAIN(TestSam3PartTensors)
#include "test_sam3_part_tensors.moc"
