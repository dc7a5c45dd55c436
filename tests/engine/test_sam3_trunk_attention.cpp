// The trunk's attention pieces: the RoPE kernel (rotary_embedding.cpp, one
// vectorised pass on the CPU) against the reference's formula as torch ops,
// bit for bit in fp32 and bf16, specials included; and the global layers'
// fp32 attention on long sequences against the same block in fp32.
#include "tests/engine/trunk_attention_harness.h"

#include <QTest>

#include <cmath>

using namespace samlabel::test;

class TestSam3TrunkAttention : public QObject {
    Q_OBJECT

private slots:
    void matches_the_reference_bit_for_bit_data() {
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("grid");
        QTest::addColumn<int>("heads");
        QTest::addColumn<int>("head_dim");
        QTest::addColumn<bool>("bf16");
        // The full-size model's windowed (9 windows of 24x24) and global (72x72)
        // shapes, a small one, and a batch of two.
        QTest::newRow("bf16 windows") << 9 << 24 << 16 << 64 << true;
        QTest::newRow("fp32 windows") << 9 << 24 << 16 << 64 << false;
        QTest::newRow("bf16 global") << 1 << 72 << 16 << 64 << true;
        QTest::newRow("bf16 small") << 2 << 6 << 3 << 8 << true;
        QTest::newRow("fp32 small") << 2 << 6 << 3 << 8 << false;
    }
    void matches_the_reference_bit_for_bit() {
        QFETCH(int, batch);
        QFETCH(int, grid);
        QFETCH(int, heads);
        QFETCH(int, head_dim);
        QFETCH(bool, bf16);
        const RopeComparison c = compare_rope_with_torch_ops(batch, grid, heads, head_dim, bf16, 7);
        QCOMPARE(c.values, std::size_t(batch) * grid * grid * heads * head_dim);
        QVERIFY2(c.nan_in_reference > 0, "the specials must reach the comparison");
        QCOMPARE(c.mismatches, std::size_t(0));
    }

    // A global layer on a long sequence takes the fp32-attention path on a CPU
    // on the fp32 product route (this machine's: no AMX) and lands closer to
    // the fp32 block than bf16 attention does; a window-sized sequence keeps bf16.
    void long_global_attention_runs_in_fp32_and_is_closer() {
        const AttentionPrecision p = global_attention_precision(48, 256, 4, 3);  // 2304 tokens
        QVERIFY(p.took_fp32_path);
        qInfo("max error against the fp32 block: fp32 path %.4g, bf16 path %.4g (output scale %.3g)", p.fp32_path_error,
              p.bf16_path_error, p.output_scale);
        QVERIFY(p.fp32_path_error > 0);  // the weights are bf16 either way
        QVERIFY2(p.fp32_path_error < p.bf16_path_error, "the fp32 path is not closer to fp32");
        QVERIFY(!global_attention_precision(24, 256, 4, 3).took_fp32_path);  // 576 tokens
    }

    // A CPU bf16 product through either route rounds the same exact products
    // (bf16 x bf16 is exact in fp32) summed in another order: both land within
    // bf16's rounding of the fp64 product. The route follows the CPU (AMX:
    // oneDNN's bf16 kernels; other x86-64: via fp32), never a timing, so runs
    // on one machine agree exactly.
    void bf16_products_agree_on_both_routes() {
        const Bf16GemmComparison c = compare_bf16_gemm_routes(512, 1024, 768, 5);
        qInfo("max error against fp64: native %.4g, via fp32 %.4g (scale %.3g); this CPU: %s AMX -> %s", c.native_error,
              c.via_fp32_error, c.scale, c.cpu_has_amx_bf16 ? "with" : "without", c.chose_via_fp32 ? "via fp32" : "native");
        const double bf16_rounding = c.scale * std::ldexp(1.0, -8);  // half an ulp at the largest output, and then some
        QVERIFY(c.native_error <= bf16_rounding);
        QVERIFY(c.via_fp32_error <= bf16_rounding);
        QVERIFY(c.small_product_is_plain_linear);
        QVERIFY(!c.rule_x86_amx_via_fp32);
        QVERIFY(c.rule_x86_plain_via_fp32);
        QVERIFY(!c.rule_other_via_fp32);
        if (c.chosen_by_cpu) QCOMPARE(c.chose_via_fp32, !c.cpu_has_amx_bf16);
    }
};

QTEST_APPLESS_MAIN(TestSam3TrunkAttention)
#include "test_sam3_trunk_attention.moc"
