// Behaviour bound (not a timing): streaming a ~200 MB F32 checkpoint into
// bf16 CPU tensors raises the peak RSS by at most 1.05 x the bf16 bytes +
// 300 MB (issue 4), and - tighter, which fails if mapped pages were kept -
// by at most the bf16 bytes + two 64 MB slices + 32 MB.
#include "core/engine/checkpoint.h"
#include "core/engine/memory_probe.h"
#include "tests/engine/stream_harness.h"

#include <QTemporaryDir>
#include <QTest>

#include <fstream>

using namespace samlabel::engine;
using samlabel::test::DestinationSpec;
using samlabel::test::StreamHarness;
using samlabel::test::TargetDType;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t MiB = 1ull << 20;

float value_at(std::size_t tensor, std::size_t i) {
    return static_cast<float>((i * 2654435761u + tensor * 97u) % 100003u) * 1.0009765625f - 50000.f;
}

// Writes the checkpoint tensor by tensor, so the test itself never holds it.
void write_checkpoint(const fs::path& file, const std::vector<DestinationSpec>& tensors) {
    nlohmann::json header = nlohmann::json::object();
    header["__metadata__"] = {{"format", "pt"}};
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        std::uint64_t bytes = 4;
        for (auto d : t.shape) bytes *= static_cast<std::uint64_t>(d);
        header[t.key] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string text = header.dump();
    while (text.size() % 8) text.push_back(' ');
    std::ofstream out(file, std::ios::binary);
    const std::uint64_t length = text.size();
    out.write(reinterpret_cast<const char*>(&length), 8);  // little-endian host
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    // Sorted by name = file order (names below sort as written).
    std::vector<float> chunk(1 << 20);
    for (std::size_t t = 0; t < tensors.size(); ++t) {
        std::size_t count = 1;
        for (auto d : tensors[t].shape) count *= static_cast<std::size_t>(d);
        for (std::size_t begin = 0; begin < count; begin += chunk.size()) {
            const std::size_t n = std::min(chunk.size(), count - begin);
            for (std::size_t i = 0; i < n; ++i) chunk[i] = value_at(t, begin + i);
            out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(n * 4));
        }
    }
}

std::uint64_t rss_file_bytes() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("RssFile:", 0) == 0) return std::stoull(line.substr(8)) * 1024;
    return 0;
}

}  // namespace

class TestStreamingRss : public QObject {
    Q_OBJECT

private slots:
    void cpuBf16StaysWithinBound() {
#ifndef __linux__
        QSKIP("peak RSS reset needs Linux");
#endif
        QTemporaryDir dir;
        const fs::path folder(dir.path().toStdString());
        // 80 MB (above one 64 MB slice) + 12 x 10 MB = 200 MB of F32.
        std::vector<DestinationSpec> tensors{{"a.big", {5000, 4000}}};
        for (int i = 0; i < 12; ++i) tensors.push_back({"b.layer" + std::to_string(10 + i), {2500, 1000}});
        write_checkpoint(folder / "model.safetensors", tensors);
        const auto checkpoint = Checkpoint::open(folder);
        QCOMPARE(checkpoint->tensor_bytes(), std::uint64_t(200'000'000));

        const auto harness = StreamHarness::unfilled(tensors, TargetDType::BF16);
        const std::uint64_t target_bytes = harness->destination_bytes();
        QCOMPARE(target_bytes, std::uint64_t(100'000'000));

        const std::uint64_t file_pages_before = rss_file_bytes();
        QVERIFY(reset_peak_rss());
        const std::uint64_t baseline = read_system_memory().process_rss_bytes;
        const auto outcome = harness->run(*checkpoint);
        const SystemMemory after = read_system_memory();
        QVERIFY2(!outcome.failed, outcome.error.c_str());
        QCOMPARE(outcome.bytes_read, std::uint64_t(200'000'000));

        const std::uint64_t growth = after.process_peak_rss_bytes - baseline;
        const std::uint64_t mapped_left = rss_file_bytes() > file_pages_before ? rss_file_bytes() - file_pages_before : 0;
        qInfo("peak RSS growth %.1f MiB for %.1f MiB of bf16 weights; mapped pages left resident %.1f MiB",
              double(growth) / MiB, double(target_bytes) / MiB, double(mapped_left) / MiB);
        QVERIFY2(growth <= std::uint64_t(1.05 * double(target_bytes)) + 300 * MiB, "issue 4 bound");
        QVERIFY2(growth <= target_bytes + 2 * 64 * MiB + 32 * MiB, "mapped pages must be released as streaming goes");
        QVERIFY2(mapped_left < 16 * MiB, "the checkpoint's pages must leave the resident set");

        // Values across the big tensor's 64 MB slice boundary (element 16 Mi).
        const auto bits = harness->raw16(0);
        for (std::size_t i : {std::size_t(0), std::size_t(16777215), std::size_t(16777216), std::size_t(19999999)})
            QCOMPARE(bits[i], samlabel::test::reference_bf16_bits(value_at(0, i)));
        const auto last = harness->raw16(12);
        QCOMPARE(last[2499999], samlabel::test::reference_bf16_bits(value_at(12, 2499999)));
    }
};

QTEST_GUILESS_MAIN(TestStreamingRss)
#include "test_streaming_rss.moc"
