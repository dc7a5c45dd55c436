// SAM3 click-to-segment against the reference: transformers' Sam3TrackerModel
// + Sam3TrackerProcessor, run by tools/make_sam3_fixtures.py on two small
// random-weight checkpoints saved in the facebook/sam3 hub layout
// (tests/data/sam3/<config>/). Every expectation below comes from those
// reference outputs; nothing is computed by the code under test.
//
// Tolerances (issue 5): fp32 low-res mask logits within 1e-4 of the logits'
// scale (max |ref|), IoU scores within 1e-3, binary masks IoU >= 0.999;
// bf16 binary masks IoU >= 0.98 against the fp32 reference, and at least as
// close as transformers' own bf16 model lands (reference_bf16.json).
#include "core/engine/checkpoint.h"
#include "core/engine/sam3_predictor.h"
#include "tests/engine/fixture_images.h"
#include "tests/engine/sam3_reference_cases.h"

#include <QImage>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace samlabel::engine;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace samlabel::engine::testing;

namespace {

const fs::path kData = fs::path(SAMLABEL_TEST_DATA) / "sam3";

// The prompt sets tools/make_sam3_fixtures.py writes: per image one point,
// one point single-mask, positive + negative (multi and single), box,
// box + points, refinement = 7; tiny224 has two images, tiny280 one. A fixture
// that lost prompts (or a reader that skips them) must not pass as "no difference".
int expected_prompt_sets(const std::string& config) { return config == "tiny224" ? 2 * 7 : config == "tiny280" ? 7 : -1; }

ImageRgb8 read_rgb(const fs::path& path) { return read_fixture_rgb(path); }
std::vector<std::uint8_t> read_mask(const fs::path& path) { return read_fixture_mask(path); }

struct Stats {
    double max_logit_rel = 0, max_logit_abs = 0, max_iou_abs = 0, max_obj_rel = 0, min_mask_iou = 1;
    int prompts = 0;
};

}  // namespace

class TestSam3Parity : public QObject {
    Q_OBJECT

    void run_config(const std::string& config_name, WeightDType dtype) {
        const fs::path dir = kData / config_name;
        const auto checkpoint = Checkpoint::open(dir);
        PredictorOptions options;
        options.device.kind = DeviceKind::Cpu;
        options.dtype = dtype;
        const auto predictor = Sam3Predictor::load(*checkpoint, options);
        const bool fp32 = dtype == WeightDType::F32;
        QCOMPARE(predictor->dtype_name(), std::string(fp32 ? "float32" : "bfloat16"));

        Stats stats;
        const std::vector<PromptComparison> comparisons = compare_with_reference(*predictor, dir, read_rgb, read_mask);
        QCOMPARE(int(comparisons.size()), expected_prompt_sets(config_name));
        for (const PromptComparison& pc : comparisons) {
            QVERIFY2(pc.candidate_count_ok, pc.label.c_str());
            QVERIFY2(!pc.candidates.empty(), pc.label.c_str());
            QVERIFY2(std::isfinite(pc.object_score_rel_diff), (pc.label + ": object score logit is not finite").c_str());
            for (const CandidateComparison& cc : pc.candidates) {
                QVERIFY2(cc.shape_ok, (cc.label + ": low-res or full-resolution size differs").c_str());
                QVERIFY2(cc.non_finite == 0,
                         (cc.label + ": " + std::to_string(cc.non_finite) + " NaN or infinite logits / IoU scores").c_str());
                stats.max_logit_rel = std::max(stats.max_logit_rel, cc.logit_rel_diff);
                stats.max_logit_abs = std::max(stats.max_logit_abs, cc.logit_abs_diff);
                stats.max_iou_abs = std::max(stats.max_iou_abs, cc.iou_score_abs_diff);
                stats.min_mask_iou = std::min(stats.min_mask_iou, cc.mask_iou);
                if (fp32) {
                    QVERIFY2(cc.logit_rel_diff <= 1e-4,
                             (cc.label + ": low-res logits differ by " + std::to_string(cc.logit_rel_diff) + " of their scale").c_str());
                    QVERIFY2(cc.iou_score_abs_diff <= 1e-3,
                             (cc.label + ": predicted IoU differs by " + std::to_string(cc.iou_score_abs_diff)).c_str());
                    QVERIFY2(cc.mask_iou >= 0.999, (cc.label + ": mask IoU " + std::to_string(cc.mask_iou)).c_str());
                } else {
                    QVERIFY2(cc.mask_iou >= 0.98, (cc.label + ": bf16 mask IoU " + std::to_string(cc.mask_iou)).c_str());
                }
            }
            stats.max_obj_rel = std::max(stats.max_obj_rel, pc.object_score_rel_diff);
            if (fp32)
                QVERIFY2(pc.object_score_rel_diff <= 1e-4,
                         (pc.label + ": object score logit differs by " + std::to_string(pc.object_score_rel_diff)).c_str());
            ++stats.prompts;
        }
        qInfo("%s %s: %d prompt sets; low-res logits max |diff| %.3g (%.3g of scale); IoU score max |diff| %.3g; "
              "object score max rel diff %.3g; min binary mask IoU %.5f",
              config_name.c_str(), fp32 ? "fp32" : "bf16", stats.prompts, stats.max_logit_abs, stats.max_logit_rel,
              stats.max_iou_abs, stats.max_obj_rel, stats.min_mask_iou);
        if (!fp32) {
            // The yardstick the detection issue names: transformers' own bf16
            // model against the same fp32 outputs (tools/record_sam3_bf16_deviation.py).
            std::ifstream in(dir / "reference_bf16.json");
            QVERIFY2(in, "reference_bf16.json is missing: run tools/record_sam3_bf16_deviation.py");
            const double theirs = nlohmann::json::parse(in).at("min_mask_iou").get<double>();
            qInfo("%s bf16: min mask IoU ours %.5f, transformers' own bf16 %.5f", config_name.c_str(), stats.min_mask_iou,
                  theirs);
            QVERIFY2(stats.min_mask_iou >= theirs, "bf16 masks are further from fp32 than transformers' own bf16");
        }
    }

private slots:
    void resize_matches_processor_data() {
        QTest::addColumn<QString>("config");
        QTest::newRow("tiny224") << "tiny224";
        QTest::newRow("tiny280") << "tiny280";
    }
    // The processor's uint8 antialiased bilinear resize, bit for bit.
    void resize_matches_processor() {
        QFETCH(QString, config);
        const fs::path dir = kData / config.toStdString();
        std::ifstream in(dir / "prompts.json");
        const json summary = json::parse(in);
        for (const json& image_entry : summary.at("images")) {
            const ImageRgb8 image = read_rgb(dir / image_entry.at("file").get<std::string>());
            const ImageRgb8 expected = read_rgb(dir / image_entry.at("resized_file").get<std::string>());
            const ImageRgb8 ours = Sam3Predictor::processor_resize(image, expected.width, expected.height);
            QCOMPARE(ours.width, expected.width);
            QCOMPARE(ours.height, expected.height);
            QVERIFY(ours.pixels == expected.pixels);
        }
    }

    void fp32_matches_reference_data() { resize_matches_processor_data(); }
    void fp32_matches_reference() {
        QFETCH(QString, config);
        run_config(config.toStdString(), WeightDType::F32);
    }

    void bf16_matches_reference_data() { resize_matches_processor_data(); }
    void bf16_matches_reference() {
        QFETCH(QString, config);
        run_config(config.toStdString(), WeightDType::BF16);
    }

    // The fp16 on-disk cache form of an embedding gives back the same masks.
    void embedding_round_trip() {
        const fs::path dir = kData / "tiny224";
        const auto checkpoint = Checkpoint::open(dir);
        PredictorOptions options;
        options.device.kind = DeviceKind::Cpu;
        options.dtype = WeightDType::F32;
        const auto predictor = Sam3Predictor::load(*checkpoint, options);
        const ImageRgb8 image = read_rgb(dir / "blobs_200x150.png");
        const auto embedding = predictor->encode(image);
        const std::vector<std::uint8_t> bytes = embedding->serialize();
        const auto restored = predictor->deserialize_embedding(bytes);
        QCOMPARE(restored->image_width(), image.width);
        QCOMPARE(restored->image_height(), image.height);
        ClickPrompt prompt;
        prompt.points.push_back({80.f, 60.f, PointLabel::Positive});
        const SegmentResult a = predictor->segment(*embedding, prompt);
        const SegmentResult b = predictor->segment(*restored, prompt);
        QCOMPARE(a.candidates.size(), b.candidates.size());
        for (std::size_t k = 0; k < a.candidates.size(); ++k) QVERIFY(mask_iou(a.candidates[k].mask, b.candidates[k].mask) >= 0.99);

        std::vector<std::uint8_t> truncated(bytes.begin(), bytes.begin() + bytes.size() / 2);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, predictor->deserialize_embedding(truncated));
        std::vector<std::uint8_t> wrong_magic = bytes;
        wrong_magic[0] = 'X';
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, predictor->deserialize_embedding(wrong_magic));
    }

    void bad_inputs_are_refused() {
        const fs::path dir = kData / "tiny224";
        const auto checkpoint = Checkpoint::open(dir);
        PredictorOptions options;
        options.device.kind = DeviceKind::Cpu;
        options.dtype = WeightDType::F16;
        try {
            Sam3Predictor::load(*checkpoint, options);
            QFAIL("fp16 on the CPU must be refused");
        } catch (const std::invalid_argument& e) {
            QVERIFY(std::string(e.what()).find("fp16") != std::string::npos);
        }
        options.dtype = WeightDType::F32;
        const auto predictor = Sam3Predictor::load(*checkpoint, options);
        ImageRgb8 broken{10, 10, std::vector<std::uint8_t>(7)};
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, predictor->encode(broken));
        const auto embedding = predictor->encode(read_rgb(dir / "blobs_200x150.png"));
        ClickPrompt inverted;
        inverted.box = BoxPrompt{50.f, 50.f, 10.f, 10.f};
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, predictor->segment(*embedding, inverted));
        ClickPrompt bad_mask;
        bad_mask.points.push_back({1.f, 1.f, PointLabel::Positive});
        bad_mask.previous_mask = LowResMaskLogits{4, 4, std::vector<float>(3)};
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, predictor->segment(*embedding, bad_mask));
        ClickPrompt nan_point;
        nan_point.points.push_back({std::nanf(""), 1.f, PointLabel::Positive});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, predictor->segment(*embedding, nan_point));
    }

    // A checkpoint that lacks click-path tensors fails with an error naming one.
    void missing_tensor_is_named() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        fs::copy_file(kData / "tiny224" / "config.json", dir / "config.json");
        // A valid safetensors file holding one unrelated tensor.
        const std::string header = R"({"other.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
        std::string padded = header + std::string((8 - header.size() % 8) % 8, ' ');
        std::ofstream out(dir / "model.safetensors", std::ios::binary);
        const std::uint64_t n = padded.size();
        out.write(reinterpret_cast<const char*>(&n), 8);
        out << padded;
        const float zero = 0.f;
        out.write(reinterpret_cast<const char*>(&zero), 4);
        out.close();
        const auto checkpoint = Checkpoint::open(dir);
        PredictorOptions options;
        options.device.kind = DeviceKind::Cpu;
        options.dtype = WeightDType::F32;
        try {
            Sam3Predictor::load(*checkpoint, options);
            QFAIL("load must fail");
        } catch (const CheckpointError& e) {
            QVERIFY2(std::string(e.what()).find("tracker_model.mask_decoder.iou_token.weight") != std::string::npos, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestSam3Parity)
#include "test_sam3_parity.moc"
