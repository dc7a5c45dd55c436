// The fused bilinear upsample + threshold of SAM3's masks
// (core/engine/sam3/mask_upsample.h) against its reference,
// at::upsample_bilinear2d(align_corners=False) followed by > 0 (what
// Sam3TrackerProcessor.post_process_masks does), and against a hand-computed case.
#include "tests/engine/mask_upsample_harness.h"

#include <QTest>

using namespace samlabel::test;

class TestSam3MaskUpsample : public QObject {
    Q_OBJECT

private slots:
    // 2x2 -> 4x4. Source coordinate per output index (half-pixel, clamped at
    // 0, the last sample repeats): 0 -> 0, 1 -> 0.25, 2 -> 0.75, 3 -> 1.25.
    // Source rows [-1, 1] and [1, 3] widen to r0 = (-1, -0.5, 0.5, 1) and
    // r1 = (1, 1.5, 2.5, 3); output rows: r0; 0.75 r0 + 0.25 r1 =
    // (-0.5, 0, 1, 1.5); 0.25 r0 + 0.75 r1 = (0.5, 1, 2, 2.5); r1. Exactly 0 is not > 0.
    void hand_computed_2x2_to_4x4() {
        const std::vector<float> logits{-1.f, 1.f, 1.f, 3.f};
        const auto masks = fused_upsample_threshold(logits, 1, 2, 2, 4, 4);
        QCOMPARE(masks.size(), std::size_t(1));
        const std::vector<std::uint8_t> expected{0, 0, 1, 1,  //
                                                 0, 0, 1, 1,  //
                                                 1, 1, 1, 1,  //
                                                 1, 1, 1, 1};
        QCOMPARE(masks[0], expected);
    }

    void matches_aten_data() {
        QTest::addColumn<int>("k");
        QTest::addColumn<int>("h");
        QTest::addColumn<int>("w");
        QTest::addColumn<int>("height");
        QTest::addColumn<int>("width");
        QTest::addColumn<bool>("bf16");
        QTest::newRow("sam3 288 -> 1280x960") << 3 << 288 << 288 << 960 << 1280 << false;
        QTest::newRow("sam3 288 -> 173x260 (down)") << 3 << 288 << 288 << 260 << 173 << false;
        QTest::newRow("bf16 logits, odd sizes") << 2 << 37 << 29 << 101 << 333 << true;
        QTest::newRow("same size") << 1 << 16 << 24 << 16 << 24 << false;
        QTest::newRow("one source pixel") << 2 << 1 << 1 << 5 << 7 << false;
        QTest::newRow("one output row") << 1 << 9 << 13 << 1 << 50 << false;
        QTest::newRow("mixed up and down") << 4 << 50 << 10 << 13 << 71 << false;
    }
    void matches_aten() {
        QFETCH(int, k);
        QFETCH(int, h);
        QFETCH(int, w);
        QFETCH(int, height);
        QFETCH(int, width);
        QFETCH(bool, bf16);
        const UpsampleComparison c = compare_with_aten(k, h, w, height, width, bf16, 1234u + static_cast<unsigned>(k * h + w));
        QCOMPARE(c.pixels, static_cast<std::size_t>(k) * height * width);
        // Non-trivial masks: neither empty nor full.
        QVERIFY(c.positives > 0 && c.positives < c.pixels);
        QCOMPARE(c.mismatches_not_near_zero, std::size_t(0));
        QVERIFY2(c.mismatches * 100000 <= c.pixels, ("mismatches: " + std::to_string(c.mismatches)).c_str());
    }
};

QTEST_GUILESS_MAIN(TestSam3MaskUpsample)
#include "test_sam3_mask_upsample.moc"
