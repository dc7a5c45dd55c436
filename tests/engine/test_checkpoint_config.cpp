// config.json is parsed once, when the checkpoint opens (Checkpoint::sam3_config),
// and both the model and the memory estimate read that parse:
// - the tracker's top-level image_size overrides the nested backbone's when
//   the model is built (as transformers does); the estimate's geometry follows
//   the model's size, not the nested number a second reader would have taken;
// - a config the click path cannot run is refused by the preflight (the verdict
//   names the field) before any weight is read, and load() refuses the same way.
#include "core/engine/checkpoint.h"
#include "core/engine/memory_budget.h"
#include "core/engine/model_session.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>

using namespace samlabel::engine;
namespace fs = std::filesystem;

namespace {

const fs::path kTiny = fs::path(SAMLABEL_TEST_DATA) / "sam3" / "tiny224";

// tiny224's weights with its config.json changed by `edit`.
fs::path copy_with_config(const fs::path& into, const std::function<void(nlohmann::json&)>& edit) {
    fs::create_directories(into);
    for (const char* name : {"model.safetensors", "processor_config.json"}) fs::copy_file(kTiny / name, into / name);
    std::ifstream in(kTiny / "config.json");
    nlohmann::json config = nlohmann::json::parse(in);
    edit(config);
    std::ofstream(into / "config.json") << config.dump(1);
    return into;
}

LoadRequest cpu_request(const fs::path& folder, PartSet parts) {
    LoadRequest request;
    request.checkpoint_dir = folder;
    request.device = {DeviceKind::Cpu, 0};
    request.dtype = WeightDType::F32;
    request.parts = parts;
    return request;
}

}  // namespace

class TestCheckpointConfig : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

private slots:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void theEstimateReadsTheSizeTheModelIsBuiltWith() {
        // Nested backbone image_size stays 224; the tracker's own image_size (which wins) becomes 448.
        const fs::path folder = copy_with_config(fs::path(dir_.path().toStdString()) / "override", [](nlohmann::json& c) {
            QCOMPARE(c["tracker_config"]["vision_config"]["backbone_config"]["image_size"].get<int>(), 224);
            c["tracker_config"]["image_size"] = 448;
        });
        fs::remove(folder / "processor_config.json");  // its 224x224 would disagree; the defaults follow the model's size
        const auto checkpoint = Checkpoint::open(folder);
        QCOMPARE(checkpoint->sam3_config().tracker().trunk.image_size, 448);
        const MemoryEstimate estimate = estimate_load(*checkpoint, PartSet::ClickToSegment, WeightDType::F32, {DeviceKind::Cpu, 0});
        QVERIFY(estimate.geometry.from_config);
        QCOMPARE(estimate.geometry.image_size, 448);
        QCOMPARE(estimate.geometry.grid(), 448 / 14);
    }

    void aConfigTheClickPathCannotRunIsRefusedBeforeLoading() {
        const fs::path folder = copy_with_config(fs::path(dir_.path().toStdString()) / "bad-heads", [](nlohmann::json& c) {
            c["tracker_config"]["mask_decoder_config"]["num_attention_heads"] = 3;  // does not divide hidden_size 32
        });
        ModelSession session;
        const PreflightReport report = session.preflight(cpu_request(folder, PartSet::ClickToSegment), {});
        QVERIFY(!report.verdict.fits);
        QVERIFY2(report.verdict.message.find("mask_decoder_config.num_attention_heads") != std::string::npos,
                 report.verdict.message.c_str());
        const LoadOutcome load = session.load(cpu_request(folder, PartSet::ClickToSegment), {}, {});
        QCOMPARE(load.status, LoadStatus::Refused);
        QVERIFY2(load.message.find("mask_decoder_config.num_attention_heads") != std::string::npos, load.message.c_str());
        QCOMPARE(session.state(), SessionState::Unloaded);
    }
};

QTEST_GUILESS_MAIN(TestCheckpointConfig)
#include "test_checkpoint_config.moc"
