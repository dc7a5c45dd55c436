// Packing masks into bits and back (core/service/mask_bits.h): every way this
// CPU has (portable, SSE2, AVX2) against a plain bit-by-bit reference, at
// sizes around each loop's step and its tail.
#include "core/service/mask_bits.h"

#include <QTest>

#include <algorithm>
#include <random>
#include <vector>

using namespace samlabel::service::wire;

namespace {

// The format, bit by bit: pixel p is bit p % 8 of byte p / 8.
std::vector<std::uint8_t> reference_pack(const std::vector<std::uint8_t>& mask) {
    std::vector<std::uint8_t> bits((mask.size() + 7) / 8, 0);
    for (std::size_t p = 0; p < mask.size(); ++p)
        if (mask[p] != 0) bits[p / 8] |= std::uint8_t(1u << (p % 8));
    return bits;
}

// Sizes around 8, 16, 32 (the loops' steps), 4096 (the unpacking chunk) and a photo's.
const std::vector<std::size_t> kSizes = {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 4095, 4096, 4097, 8200, 1280 * 960 + 3};

std::vector<std::uint8_t> random_mask(std::size_t pixels, std::mt19937* rng) {
    // Any non-zero byte is a 1: test with 1s and with other values.
    std::vector<std::uint8_t> mask(pixels);
    for (auto& m : mask) {
        const unsigned r = (*rng)() % 4;
        m = r == 0 ? 0 : r == 1 ? 1 : r == 2 ? 255 : std::uint8_t(0x80);
    }
    return mask;
}

}  // namespace

class TestMaskBits : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyWayPacksAsTheReference() {
        std::mt19937 rng(7);
        for (const MaskBitsIsa isa : mask_bits_isas()) {
            for (const std::size_t pixels : kSizes) {
                const std::vector<std::uint8_t> mask = random_mask(pixels, &rng);
                std::vector<std::uint8_t> bits((pixels + 7) / 8, 0xAB);  // the padding bits must come out 0
                pack_mask_bits(isa, mask.data(), pixels, bits.data());
                QVERIFY2(bits == reference_pack(mask),
                         qPrintable(QStringLiteral("%1, %2 pixels").arg(QString::fromUtf8(mask_bits_isa_name(isa).data())).arg(pixels)));
            }
        }
    }

    void everyWayUnpacksToZerosAndOnes() {
        std::mt19937 rng(11);
        for (const MaskBitsIsa isa : mask_bits_isas()) {
            for (const std::size_t pixels : kSizes) {
                const std::vector<std::uint8_t> mask = random_mask(pixels, &rng);
                std::vector<std::uint8_t> expected(pixels);
                for (std::size_t p = 0; p < pixels; ++p) expected[p] = mask[p] != 0 ? 1 : 0;
                std::vector<std::uint8_t> back(3, 9);  // replaced, not appended to
                unpack_mask_bits(isa, reference_pack(mask).data(), pixels, &back);
                QVERIFY2(back == expected,
                         qPrintable(QStringLiteral("%1, %2 pixels").arg(QString::fromUtf8(mask_bits_isa_name(isa).data())).arg(pixels)));
            }
        }
    }

    // The build's x86-64 loops are there (and AVX2 where this CPU has it):
    // a test that ran only the portable loop would prove little about clicks.
    void theWideLoopsAreTested() {
        const std::vector<MaskBitsIsa> isas = mask_bits_isas();
        QCOMPARE(isas.front(), MaskBitsIsa::Portable);
#if defined(__x86_64__) || defined(_M_X64)
        QVERIFY(std::find(isas.begin(), isas.end(), MaskBitsIsa::Sse2) != isas.end());
#if defined(__GNUC__) || defined(__clang__)
        __builtin_cpu_init();
        QCOMPARE(std::find(isas.begin(), isas.end(), MaskBitsIsa::Avx2) != isas.end(), __builtin_cpu_supports("avx2") != 0);
#endif
#endif
    }
};

QTEST_GUILESS_MAIN(TestMaskBits)
#include "test_mask_bits.moc"
