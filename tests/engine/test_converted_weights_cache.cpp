// The converted-weights cache: a bf16 load on the CPU from an fp32 checkpoint
// writes its converted weights once, later loads map them (the weights are the
// cache entry's bytes, checked against /proc/self/maps); a truncated, altered
// or stale entry is detected, reported and rebuilt, never used; the byte budget
// is kept. The models built from the cache compute exactly what a fresh
// conversion does.
#include "core/engine/checkpoint.h"
#include "core/engine/converted_weights_cache.h"
#include "core/engine/sam3_predictor.h"

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace samlabel::engine;
namespace fs = std::filesystem;

namespace {

const fs::path kDetect = fs::path(SAMLABEL_TEST_DATA) / "sam3_detect" / "det224";

bool mapped_by_this_process(const fs::path& file) {
    const std::string wanted = fs::canonical(file).string();
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);)
        if (line.size() >= wanted.size() && line.compare(line.size() - wanted.size(), wanted.size(), wanted) == 0) return true;
    return false;
}

std::unique_ptr<Sam3Predictor> load_bf16(const fs::path& dir, ConvertedWeightsCache& cache) {
    const auto checkpoint = Checkpoint::open(dir);
    PredictorOptions options;
    options.device.kind = DeviceKind::Cpu;
    options.dtype = WeightDType::BF16;
    options.parts = PartSet::ClickAndDetect;
    options.converted_weights = &cache;
    return Sam3Predictor::load(*checkpoint, options);
}

bool has_note(const Sam3Predictor& p, const std::string& text) {
    for (const auto& n : p.load_notes())
        if (n.find(text) != std::string::npos) return true;
    return false;
}

std::vector<float> red_car_scores(const Sam3Predictor& p) {
    ImageRgb8 image{96, 64, std::vector<std::uint8_t>(96 * 64 * 3)};
    for (std::size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<std::uint8_t>((i * 37) % 251);
    return p.detect(*p.encode(image), DetectPrompt{"red car", {}}).query_scores;
}

}  // namespace

class TestConvertedWeightsCache : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    fs::path cache_dir() const { return fs::path(dir_.path().toStdString()) / "converted"; }

private Q_SLOTS:
    void firstLoadWritesLaterLoadsMap() {
        ConvertedWeightsCache cache({cache_dir(), 1ull << 30});
        const auto checkpoint = Checkpoint::open(kDetect);
        const fs::path entry = cache.path_for(ConvertedWeightsCache::key_for(*checkpoint, WeightDType::BF16));
        std::vector<float> first_scores;
        {
            const auto first = load_bf16(kDetect, cache);
            QVERIFY2(has_note(*first, "cached in"), "the first load did not write the cache");
            QVERIFY(fs::exists(entry));
            // Everything is mapped: the fp32 detector modules from the checkpoint, the rest from the entry.
            QCOMPARE(first->mapped_parameter_bytes(), first->parameter_bytes());
            QVERIFY(mapped_by_this_process(entry));
            first_scores = red_car_scores(*first);
        }
        QVERIFY(!mapped_by_this_process(entry));
        const auto modified = fs::last_write_time(entry);
        const auto second = load_bf16(kDetect, cache);
        QVERIFY2(!has_note(*second, "cached in") && second->load_notes().empty(), "the second load did not use the cache");
        QCOMPARE(second->mapped_parameter_bytes(), second->parameter_bytes());
        QVERIFY(mapped_by_this_process(entry));
        QVERIFY(fs::last_write_time(entry) >= modified);
        QCOMPARE(red_car_scores(*second), first_scores);
        QCOMPARE(cache.entries(), std::size_t(1));
    }

    void truncatedEntryIsRebuilt() {
        ConvertedWeightsCache cache({cache_dir(), 1ull << 30});
        const fs::path entry = cache.path_for(ConvertedWeightsCache::key_for(*Checkpoint::open(kDetect), WeightDType::BF16));
        load_bf16(kDetect, cache);
        fs::resize_file(entry, fs::file_size(entry) - 1000);
        const auto p = load_bf16(kDetect, cache);
        QVERIFY2(has_note(*p, "is damaged"), "a truncated entry was not reported");
        QVERIFY(has_note(*p, "cached in"));
        QCOMPARE(p->mapped_parameter_bytes(), p->parameter_bytes());
    }

    void alteredEntryIsRebuilt() {
        ConvertedWeightsCache cache({cache_dir(), 1ull << 30});
        const fs::path entry = cache.path_for(ConvertedWeightsCache::key_for(*Checkpoint::open(kDetect), WeightDType::BF16));
        std::vector<float> reference;
        {
            const auto p = load_bf16(kDetect, cache);
            reference = red_car_scores(*p);
        }
        {  // one flipped byte in the middle of the data
            std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(static_cast<std::streamoff>(fs::file_size(entry) / 2));
            char byte = 0;
            f.read(&byte, 1);
            f.seekp(static_cast<std::streamoff>(fs::file_size(entry) / 2));
            byte = static_cast<char>(byte ^ 0x40);
            f.write(&byte, 1);
        }
        const auto p = load_bf16(kDetect, cache);
        QVERIFY2(has_note(*p, "does not match its checksum"), "an altered entry was used");
        QCOMPARE(red_car_scores(*p), reference);
    }

    void staleEntryIsRebuilt() {
        QTemporaryDir copy;
        const fs::path folder = fs::path(copy.path().toStdString());
        for (const auto& e : fs::directory_iterator(kDetect)) fs::copy_file(e.path(), folder / e.path().filename());
        ConvertedWeightsCache cache({cache_dir(), 1ull << 30});
        const ConvertedWeightsKey before = ConvertedWeightsCache::key_for(*Checkpoint::open(folder), WeightDType::BF16);
        load_bf16(folder, cache);
        // The checkpoint changes (a newer download): another key, and the old entry is not used for it.
        fs::last_write_time(folder / "model.safetensors", fs::last_write_time(folder / "model.safetensors") + std::chrono::hours(1));
        const ConvertedWeightsKey after = ConvertedWeightsCache::key_for(*Checkpoint::open(folder), WeightDType::BF16);
        QVERIFY(before.hex != after.hex);
        // An entry under the new key that was made from the old files (copied over) is refused as stale.
        fs::copy_file(cache.path_for(before), cache.path_for(after), fs::copy_options::overwrite_existing);
        const auto p = load_bf16(folder, cache);
        QVERIFY2(has_note(*p, "another version of the checkpoint"), "a stale entry was used");
        QVERIFY(has_note(*p, "cached in"));
    }

    void budgetIsKept() {
        ConvertedWeightsCache small({cache_dir() / "small", 1000});
        const auto p = load_bf16(kDetect, small);
        QVERIFY2(has_note(*p, "more than the cache's budget"), "an entry over the budget was written");
        QCOMPARE(small.entries(), std::size_t(0));
        ConvertedWeightsCache cache({cache_dir(), 1ull << 30});
        load_bf16(kDetect, cache);
        QVERIFY(cache.disk_bytes() > 0);
        const std::uint64_t bytes = cache.disk_bytes();
        QCOMPARE(cache.clear(), bytes);
        QCOMPARE(cache.entries(), std::size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestConvertedWeightsCache)
#include "test_converted_weights_cache.moc"
