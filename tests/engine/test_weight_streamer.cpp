// stream_weights: values after the dtype cast checked against the source
// bytes (bf16 rounding computed independently), binding validation listing
// every problem at once, progress and cancellation.
#include "core/engine/checkpoint.h"
#include "tests/engine/safetensors_test_writer.h"
#include "tests/engine/stream_harness.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using samlabel::engine::Checkpoint;
using samlabel::test::DestinationSpec;
using samlabel::test::F32Tensor;
using samlabel::test::StreamHarness;
using samlabel::test::TargetDType;
namespace fs = std::filesystem;

namespace {

// Deterministic values spanning magnitudes, signs and bf16 rounding ties.
std::vector<float> pattern(std::size_t n, std::uint32_t seed) {
    std::vector<float> v(n);
    std::uint32_t state = seed * 2654435761u + 1;
    for (std::size_t i = 0; i < n; ++i) {
        state = state * 1664525u + 1013904223u;
        const float unit = static_cast<float>(state >> 8) / float(1u << 24);  // [0, 1)
        v[i] = (unit - 0.5f) * std::ldexp(1.f, static_cast<int>(i % 17) - 8);
    }
    if (n > 2) {
        v[0] = 1.0f + std::ldexp(1.f, -8);      // exactly halfway between two bf16 values: rounds to even (1.0)
        v[1] = 1.0f + 3 * std::ldexp(1.f, -8);  // halfway, rounds up to even
    }
    return v;
}

std::vector<float> to_floats(const std::vector<std::uint8_t>& bytes) {
    std::vector<float> v(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
    return v;
}

}  // namespace

class TestWeightStreamer : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    fs::path folder_;
    std::vector<F32Tensor> tensors_;
    std::unique_ptr<Checkpoint> checkpoint_;

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        folder_ = fs::path(dir_.path().toStdString());
        tensors_ = {{"encoder.weight", {64, 48}, pattern(64 * 48, 1)},
                    {"encoder.bias", {64}, pattern(64, 2)},
                    {"decoder.weight", {3, 5, 7}, pattern(105, 3)},
                    {"decoder.scale", {}, {0.5f}}};
        samlabel::test::write_f32_safetensors(folder_ / "model.safetensors", tensors_);
        checkpoint_ = Checkpoint::open(folder_);
    }

    void f32ToBf16OnCpu() {
        std::vector<DestinationSpec> specs;
        for (const auto& t : tensors_) specs.push_back({t.name, t.shape});
        StreamHarness harness(specs, TargetDType::BF16);
        const auto outcome = harness.run(*checkpoint_);
        QVERIFY2(!outcome.failed, outcome.error.c_str());
        QVERIFY(!outcome.cancelled);
        QCOMPARE(outcome.tensors, tensors_.size());
        std::uint64_t total = 0;
        for (const auto& t : tensors_) total += t.values.size() * 4;
        QCOMPARE(outcome.bytes_read, total);
        for (std::size_t i = 0; i < tensors_.size(); ++i) {
            const auto bits = harness.raw16(i);
            QCOMPARE(bits.size(), tensors_[i].values.size());
            for (std::size_t k = 0; k < bits.size(); ++k)
                if (bits[k] != samlabel::test::reference_bf16_bits(tensors_[i].values[k]))
                    QFAIL(qPrintable(QString("%1[%2]: bf16 bits %3, expected %4")
                                         .arg(QString::fromStdString(tensors_[i].name))
                                         .arg(k)
                                         .arg(bits[k], 4, 16)
                                         .arg(samlabel::test::reference_bf16_bits(tensors_[i].values[k]), 4, 16)));
        }
        QCOMPARE(harness.raw16(0)[0], std::uint16_t(0x3F80));  // 1 + 2^-8 ties to 1.0
        QCOMPARE(harness.raw16(0)[1], std::uint16_t(0x3F82));  // 1 + 3*2^-8 ties up to 1 + 2^-6
    }

    void f32ToF32IsExact() {
        StreamHarness harness({{"decoder.weight", {3, 5, 7}}, {"decoder.scale", {}}}, TargetDType::F32);
        const auto outcome = harness.run(*checkpoint_);
        QVERIFY2(!outcome.failed, outcome.error.c_str());
        QVERIFY(harness.values(0) == tensors_[2].values);
        QCOMPARE(harness.values(1), std::vector<float>{0.5f});
    }

    void f32ToF16() {
        StreamHarness harness({{"encoder.bias", {64}}}, TargetDType::F16);
        QVERIFY(!harness.run(*checkpoint_).failed);
        const auto got = harness.values(0);
        for (std::size_t k = 0; k < got.size(); ++k) {
            const float want = tensors_[1].values[k];
            // fp16 keeps 11 significant bits; these values are all within its normal range or tiny.
            QVERIFY2(std::fabs(got[k] - want) <= std::fabs(want) * std::ldexp(1.f, -11) + 1e-7f, qPrintable(QString::number(k)));
        }
    }

    void progressReportsEveryTensor() {
        StreamHarness harness({{"encoder.weight", {64, 48}}, {"encoder.bias", {64}}, {"decoder.scale", {}}}, TargetDType::F32);
        const auto outcome = harness.run(*checkpoint_);
        QCOMPARE(outcome.progress_calls.size(), std::size_t(3));
        const std::uint64_t total = (64 * 48 + 64 + 1) * 4;
        std::uint64_t previous = 0;
        for (const auto& p : outcome.progress_calls) {
            QCOMPARE(p.bytes_total, total);
            QVERIFY(p.bytes_done > previous);
            previous = p.bytes_done;
        }
        QCOMPARE(outcome.progress_calls.back().bytes_done, total);
    }

    void everyBindingProblemInOneError() {
        StreamHarness harness({{"encoder.weight", {48, 64}}, {"decoder.missing", {2}}, {"encoder.bias", {64}}}, TargetDType::BF16,
                              "cpu", 7.f);
        const auto outcome = harness.run(*checkpoint_);
        QVERIFY(outcome.failed);
        QVERIFY2(outcome.error.find("2 tensors do not match") != std::string::npos, outcome.error.c_str());
        QVERIFY2(outcome.error.find("'encoder.weight': has shape [64, 48] in model.safetensors but the model expects [48, 64]") !=
                     std::string::npos,
                 outcome.error.c_str());
        QVERIFY2(outcome.error.find("'decoder.missing': not in the checkpoint") != std::string::npos, outcome.error.c_str());
        QVERIFY2(outcome.error.find(folder_.string()) != std::string::npos, outcome.error.c_str());
        QVERIFY(outcome.progress_calls.empty());
        // Validation comes first: not even the valid binding was written.
        for (float v : harness.values(2)) QCOMPARE(v, 7.f);
    }

    void singleProblemNamesTheTensor() {
        StreamHarness harness({{"encoder.bias", {65}}}, TargetDType::F32);
        const auto outcome = harness.run(*checkpoint_);
        QVERIFY(outcome.failed);
        QCOMPARE(QString::fromStdString(outcome.error_tensor), QStringLiteral("encoder.bias"));
        QVERIFY2(outcome.error.find("[64]") != std::string::npos && outcome.error.find("[65]") != std::string::npos,
                 outcome.error.c_str());
    }

    void cancelMidway() {
        // Streaming goes in file order: encoder.weight, encoder.bias, decoder.weight, decoder.scale.
        std::vector<DestinationSpec> specs;
        for (const auto& t : tensors_) specs.push_back({t.name, t.shape});
        StreamHarness harness(specs, TargetDType::F32);
        const auto outcome = harness.run(*checkpoint_, 2);
        QVERIFY(outcome.cancelled);
        QVERIFY(!outcome.failed);
        QCOMPARE(outcome.progress_calls.size(), std::size_t(2));  // no call after the one that said stop
        QCOMPARE(QString::fromStdString(outcome.progress_calls.back().current_tensor), QStringLiteral("encoder.bias"));
        QVERIFY(harness.values(0) == tensors_[0].values);
        QVERIFY(harness.values(1) == tensors_[1].values);
        for (float v : harness.values(2)) QVERIFY(std::isnan(v));  // never written
        QVERIFY(std::isnan(harness.values(3)[0]));
    }

    void unalignedSourceBytes() {
        // Legal in the format: a 2-byte BF16 tensor first puts the F32 one at offset 2.
        const fs::path folder = folder_ / "unaligned";
        fs::create_directories(folder);
        const std::vector<float> w = pattern(10, 9);
        std::vector<std::uint8_t> data(2 + 40);
        data[0] = 0x80;
        data[1] = 0x3F;  // bf16 1.0
        std::memcpy(data.data() + 2, w.data(), 40);
        samlabel::test::write_safetensors(
            folder / "model.safetensors",
            {{"a", {{"dtype", "BF16"}, {"shape", {1}}, {"data_offsets", {0, 2}}}},
             {"w", {{"dtype", "F32"}, {"shape", {10}}, {"data_offsets", {2, 42}}}}},
            data);
        const auto checkpoint = Checkpoint::open(folder);
        StreamHarness harness({{"w", {10}}, {"a", {1}}}, TargetDType::F32);
        const auto outcome = harness.run(*checkpoint);
        QVERIFY2(!outcome.failed, outcome.error.c_str());
        QVERIFY(harness.values(0) == w);
        QCOMPARE(harness.values(1), std::vector<float>{1.f});  // bf16 -> f32 widening
    }

    void shardedCheckpoint() {
        const fs::path folder = folder_ / "sharded";
        fs::create_directories(folder);
        samlabel::test::write_f32_safetensors(folder / "s1.safetensors", {{"x", {2}, {1.f, 2.f}}});
        samlabel::test::write_f32_safetensors(folder / "s2.safetensors", {{"y", {2}, {3.f, 4.f}}});
        std::ofstream(folder / "model.safetensors.index.json")
            << R"({"weight_map": {"x": "s1.safetensors", "y": "s2.safetensors"}})";
        const auto checkpoint = Checkpoint::open(folder);
        StreamHarness harness({{"y", {2}}, {"x", {2}}}, TargetDType::BF16);
        QVERIFY(!harness.run(*checkpoint).failed);
        QCOMPARE(harness.values(0), (std::vector<float>{3.f, 4.f}));
        QCOMPARE(harness.values(1), (std::vector<float>{1.f, 2.f}));
    }
};

QTEST_GUILESS_MAIN(TestWeightStreamer)
#include "test_weight_streamer.moc"
