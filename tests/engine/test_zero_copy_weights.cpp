// Zero-copy weights on the CPU: a model loaded in the dtype its checkpoint
// stores uses the mapped file's bytes as its parameters (no copy), and
// dropping the model unmaps the file. Checked against the kernel's own view
// of the process (/proc/self/maps), not against what the loader reports.
#include "core/engine/checkpoint.h"
#include "core/engine/sam3_predictor.h"

#include <QTest>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace samlabel::engine;
namespace fs = std::filesystem;

namespace {

struct Range {
    std::uintptr_t begin = 0, end = 0;
};

// The address ranges the kernel maps from `file`.
std::vector<Range> mapped_ranges_of(const fs::path& file) {
    const std::string wanted = fs::canonical(file).string();
    std::ifstream maps("/proc/self/maps");
    std::vector<Range> out;
    for (std::string line; std::getline(maps, line);) {
        std::istringstream fields(line);
        std::string addresses, perms, offset, dev, inode, path;
        fields >> addresses >> perms >> offset >> dev >> inode;
        std::getline(fields >> std::ws, path);
        if (path != wanted) continue;
        const auto dash = addresses.find('-');
        out.push_back({std::stoull(addresses.substr(0, dash), nullptr, 16), std::stoull(addresses.substr(dash + 1), nullptr, 16)});
    }
    return out;
}

bool inside(const std::vector<Range>& ranges, std::uintptr_t address, std::uint64_t bytes) {
    for (const Range& r : ranges)
        if (address >= r.begin && address + bytes <= r.end) return true;
    return false;
}

std::unique_ptr<Sam3Predictor> load(const fs::path& dir, WeightDType dtype, PartSet parts) {
    const auto checkpoint = Checkpoint::open(dir);
    PredictorOptions options;
    options.device.kind = DeviceKind::Cpu;
    options.dtype = dtype;
    options.parts = parts;
    return Sam3Predictor::load(*checkpoint, options);  // the checkpoint object goes; the map must not
}

const fs::path kDetect = fs::path(SAMLABEL_TEST_DATA) / "sam3_detect" / "det224";

}  // namespace

class TestZeroCopyWeights : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fp32WeightsAreTheMappedFile() {
        const fs::path file = kDetect / "model.safetensors";
        QVERIFY(mapped_ranges_of(file).empty());
        {
            const auto predictor = load(kDetect, WeightDType::F32, PartSet::ClickAndDetect);
            const std::vector<Range> ranges = mapped_ranges_of(file);
            QVERIFY2(!ranges.empty(), "the checkpoint is not mapped after the load");
            const auto locations = predictor->weight_locations();
            QVERIFY(locations.size() > 400);
            for (const auto& w : locations)
                QVERIFY2(inside(ranges, w.address, w.bytes), (w.name + " was copied out of the mapped file").c_str());
            QCOMPARE(predictor->mapped_parameter_bytes(), predictor->parameter_bytes());
            // The weights are read-only views: the model still runs (nothing writes them).
            ImageRgb8 image{64, 48, std::vector<std::uint8_t>(64 * 48 * 3, 90)};
            const auto embedding = predictor->encode(image);
            QVERIFY(!predictor->detect(*embedding, DetectPrompt{"red car", {}}).query_scores.empty());
        }
        QVERIFY2(mapped_ranges_of(file).empty(), "the checkpoint is still mapped after the model is gone");
    }

    // bf16 from an F32 file: converted copies, except the detector's per-prompt
    // modules, which the CPU runs in fp32 and so keep the file's own bytes.
    void convertedWeightsAreCopies() {
        const fs::path file = kDetect / "model.safetensors";
        const auto predictor = load(kDetect, WeightDType::BF16, PartSet::ClickAndDetect);
        const std::vector<Range> ranges = mapped_ranges_of(file);
        std::uint64_t mapped = 0;
        for (const auto& w : predictor->weight_locations()) {
            const bool fp32_module = w.name.rfind("detector_model.geometry_encoder.", 0) == 0 ||
                                     w.name.rfind("detector_model.detr_", 0) == 0 ||
                                     w.name.rfind("detector_model.dot_product_scoring.", 0) == 0 ||
                                     w.name.rfind("detector_model.mask_decoder.", 0) == 0;
            QVERIFY2(inside(ranges, w.address, w.bytes) == fp32_module, w.name.c_str());
            if (fp32_module) mapped += w.bytes;
        }
        QVERIFY(mapped > 0);
        QCOMPARE(predictor->mapped_parameter_bytes(), mapped);
    }
};

QTEST_GUILESS_MAIN(TestZeroCopyWeights)
#include "test_zero_copy_weights.moc"
