// The click-to-segment modules, built for the REAL model's config (the
// config.json that transformers' Sam3VideoConfig() writes, saved by
// tools/make_sam3_fixtures.py as tests/data/sam3/hub_config.json) on the meta
// device, against the facebook/sam3 hub tensor table
// (../shared/reference/sam3-hub-tensors.tsv).
//
// Independent expectation: the click path (transformers' Sam3TrackerModel on
// one image) needs exactly the trunk (detector_model.vision_encoder.backbone.),
// the tracker neck levels it keeps (4x, 2x, 1x = tracker_neck.fpn_layers.0-2;
// level 3 is the 0.5x level the tracker drops) and the tracker heads
// (tracker_model.prompt_encoder., .mask_decoder., .shared_image_embedding.,
// .no_memory_embedding). Summing the table's rows with those prefixes (awk)
// gives 457,408,401 parameters in 681 tensors (458,260,881 with level 3).
#include "core/engine/sam3_click_tensors.h"

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

class TestSam3ClickTensors : public QObject {
    Q_OBJECT
private slots:
    void modules_match_hub_table() {
        std::ifstream in(fs::path(SAMLABEL_TEST_DATA) / "sam3" / "hub_config.json");
        const nlohmann::json config = nlohmann::json::parse(in);
        const auto hub = read_hub_table();
        QCOMPARE(hub.size(), std::size_t(1797));

        const std::vector<ExpectedTensor> ours = sam3_click_to_segment_tensors(config);
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
            if (!needed_by_click_path(name)) continue;
            ++needed;
            const bool found = std::any_of(ours.begin(), ours.end(), [&](const ExpectedTensor& t) { return t.name == name; });
            QVERIFY2(found, ("the modules do not bind " + name).c_str());
        }
        QCOMPARE(ours.size(), needed);
        QCOMPARE(ours.size(), std::size_t(681));
        QCOMPARE(params, std::uint64_t(457'408'401));
        qInfo("click-to-segment: %zu tensors, %llu parameters (%.1f M)", ours.size(), static_cast<unsigned long long>(params),
              params / 1e6);
    }

    void bad_configs_are_refused() {
        std::ifstream in(fs::path(SAMLABEL_TEST_DATA) / "sam3" / "hub_config.json");
        const nlohmann::json good = nlohmann::json::parse(in);
        auto expect_refused = [](nlohmann::json config, const char* field) {
            try {
                sam3_click_to_segment_tensors(config);
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
};

QTEST_GUILESS_MAIN(TestSam3ClickTensors)
#include "test_sam3_click_tensors.moc"
