// ModelSession with concept detection: a detection-only load, detection added
// to a loaded click model (a preflight of the increment; refused: the model
// keeps what it had), the re-encode an image needs once detection is there,
// and a folder without tokenizer files refused by the preflight itself.
//
// Checkpoints: the detection parity fixtures (tests/data/sam3_detect/det224:
// click + detection + tokenizer) and the click fixture without tokenizer files
// (tests/data/sam3/tiny224). Expected detections come from the transformers
// reference recorded in det224/cases.json, never from the code under test.
#include "core/engine/memory_probe.h"
#include "core/engine/model_session.h"
#include "tests/engine/fixture_images.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <fstream>

using namespace samlabel::engine;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kGiB = 1024ull * 1024ull * 1024ull;

const fs::path kDetect = fs::path(SAMLABEL_TEST_DATA) / "sam3_detect" / "det224";
const fs::path kClickOnly = fs::path(SAMLABEL_TEST_DATA) / "sam3" / "tiny224";

// Real process figures; the machine's RAM as the test wants it.
class FakeProbe : public MemoryProbe {
public:
    std::uint64_t available_bytes = 48 * kGiB;
    SystemMemory system() override {
        SystemMemory m = read_system_memory();
        m.total_bytes = 64 * kGiB;
        m.available_bytes = available_bytes;
        m.cgroup_limit_bytes.reset();
        m.cgroup_available_bytes.reset();
        return m;
    }
    std::vector<GpuMemory> gpus() override { return {}; }
};

LoadRequest request(const fs::path& dir, PartSet parts) {
    LoadRequest r;
    r.checkpoint_dir = dir;
    r.device = DeviceSpec{DeviceKind::Cpu, 0};
    r.dtype = WeightDType::F32;
    r.parts = parts;
    return r;
}

// The fixture image of the "text" case and the query ids transformers kept for "red car".
struct Reference {
    ImageRgb8 image;
    std::vector<int> kept;
};

Reference red_car_reference() {
    std::ifstream in(kDetect / "cases.json");
    const nlohmann::json cases = nlohmann::json::parse(in);
    Reference ref;
    for (const auto& c : cases.at("cases"))
        if (c.at("name") == "text") {
            const auto& run = c.at("runs").at(0);
            if (run.at("text") != "red car") throw std::runtime_error("cases.json: the text case is not 'red car'");
            ref.kept = run.at("kept").get<std::vector<int>>();
            ref.image = samlabel::engine::testing::read_fixture_rgb(kDetect / (c.at("images").at(0).get<std::string>() + ".png"));
        }
    if (ref.kept.empty()) throw std::runtime_error("cases.json has no 'text' case with kept queries");
    return ref;
}

}  // namespace

class TestModelSessionDetect : public QObject {
    Q_OBJECT
    Reference ref_;

private Q_SLOTS:
    void initTestCase() { ref_ = red_car_reference(); }

    void detectionOnlyLoadFindsTheReferenceInstances() {
        ModelSession session(std::make_shared<FakeProbe>());
        const LoadOutcome loaded = session.load(request(kDetect, PartSet::DetectOnly), {}, {});
        QVERIFY2(loaded.ok(), loaded.message.c_str());
        QVERIFY(session.encode(ref_.image, "blobs").ok());
        QVERIFY(session.is_encoded("blobs"));
        const DetectResult result = session.detect("blobs", DetectPrompt{"red car", {}});
        std::vector<int> ours;
        for (const Detection& d : result.detections) ours.push_back(d.query);
        QCOMPARE(ours, ref_.kept);
        // No click path loaded: a click is refused with a clear message.
        QVERIFY_THROWS_EXCEPTION(std::exception, session.segment("blobs", ClickPrompt{{{50.f, 50.f, PointLabel::Positive}}, {}, {}, true}));
    }

    void detectionAddedToAClickModel() {
        auto probe = std::make_shared<FakeProbe>();
        ModelSession session(probe);
        QVERIFY(session.load(request(kDetect, PartSet::ClickToSegment), {}, {}).ok());
        QVERIFY(session.encode(ref_.image, "blobs").ok());
        try {
            session.detect("blobs", DetectPrompt{"red car", {}});
            QFAIL("detection ran on a click-only model");
        } catch (const SessionError& e) {
            QVERIFY2(std::string(e.what()).find("detect") != std::string::npos, e.what());
        }

        // A machine with no room left: the increment is refused and the click model stays usable.
        probe->available_bytes = 0;
        const LoadOutcome refused = session.add_parts(PartSet::DetectOnly, {}, {});
        QCOMPARE(refused.status, LoadStatus::Refused);
        QVERIFY2(refused.message.find("Refused") != std::string::npos, refused.message.c_str());
        QCOMPARE(session.model_info()->request.parts, PartSet::ClickToSegment);
        QVERIFY(!session.segment("blobs", ClickPrompt{{{50.f, 50.f, PointLabel::Positive}}, {}, {}, true}).candidates.empty());

        // The increment's preflight counts only the new weights (the loaded ones are resident).
        probe->available_bytes = 48 * kGiB;
        const PreflightReport increment = session.preflight_add_parts(PartSet::DetectOnly, {});
        const PreflightReport full = session.preflight(request(kDetect, PartSet::ClickAndDetect), {});
        QVERIFY(increment.verdict.fits);
        QVERIFY(increment.verdict.needed_bytes < full.verdict.needed_bytes);

        const LoadOutcome added = session.add_parts(PartSet::DetectOnly, {}, {});
        QVERIFY2(added.ok(), added.message.c_str());
        QCOMPARE(session.model_info()->request.parts, PartSet::ClickAndDetect);
        // The image was encoded before detection existed: not encoded for the new path.
        QVERIFY(!session.is_encoded("blobs"));
        QVERIFY_THROWS_EXCEPTION(SessionError, session.detect("blobs", DetectPrompt{"red car", {}}));
        QCOMPARE(session.encode(ref_.image, "blobs").status, EncodeStatus::Encoded);
        const DetectResult result = session.detect("blobs", DetectPrompt{"red car", {}});
        std::vector<int> ours;
        for (const Detection& d : result.detections) ours.push_back(d.query);
        QCOMPARE(ours, ref_.kept);
        QVERIFY(!session.segment("blobs", ClickPrompt{{{50.f, 50.f, PointLabel::Positive}}, {}, {}, true}).candidates.empty());

        const UnloadReport unloaded = session.unload();
        QVERIFY(unloaded.was_loaded);
        QVERIFY(!session.model_info());
        QVERIFY_THROWS_EXCEPTION(SessionError, session.detect("blobs", DetectPrompt{"red car", {}}));
    }

    // Without tokenizer files the preflight refuses detection (the panel and
    // the API say so before Load); clicks from the same folder still load.
    void folderWithoutTokenizerIsRefusedByThePreflight() {
        ModelSession session(std::make_shared<FakeProbe>());
        const PreflightReport report = session.preflight(request(kClickOnly, PartSet::DetectOnly), {});
        QVERIFY(!report.verdict.fits);
        QVERIFY2(report.verdict.message.find("tokenizer.json") != std::string::npos, report.verdict.message.c_str());
        const LoadOutcome refused = session.load(request(kClickOnly, PartSet::ClickAndDetect), {}, {});
        QCOMPARE(refused.status, LoadStatus::Refused);
        QCOMPARE(session.state(), SessionState::Unloaded);
        QVERIFY(session.preflight(request(kClickOnly, PartSet::ClickToSegment), {}).verdict.fits);
        QVERIFY(session.load(request(kClickOnly, PartSet::ClickToSegment), {}, {}).ok());
    }
};

QTEST_GUILESS_MAIN(TestModelSessionDetect)
#include "test_model_session_detect.moc"
