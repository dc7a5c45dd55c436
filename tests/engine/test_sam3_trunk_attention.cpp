// The trunk's RoPE kernel (core/engine/sam3/trunk/rotary_embedding.cpp: one
// vectorised pass on the CPU) against the reference's formula as torch ops,
// bit for bit in fp32 and bf16, specials included.
#include "tests/engine/rope_harness.h"

#include <QTest>

using namespace samlabel::test;

class TestSam3RotaryEmbedding : public QObject {
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
};

QTEST_APPLESS_MAIN(TestSam3RotaryEmbedding)
#include "test_sam3_rotary_embedding.moc"
