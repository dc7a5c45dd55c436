// Soak (issue 15): a working day of model use in one process must not leak.
// 500 load/unload cycles of the tiny checkpoint, then 5,000 clicks on one
// encoded image (first clicks and refinements fed the previous mask). After a
// warm-up (libtorch's one-time allocations: thread pools, kernel tables) the
// process's RSS may grow at most 10 MB. Prints the figures.
//
// RSS is read after glibc's malloc_trim(0), as Unload does: freed heap that
// glibc keeps for reuse is not a leak; memory still allocated stays counted.
#include "core/engine/memory_probe.h"
#include "core/engine/model_session.h"
#include "tests/engine/cpu_load_requests.h"

#include <QtTest>

#include <malloc.h>

#include <chrono>
#include <filesystem>
#include <random>

using namespace samlabel::engine;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kAllowedGrowthMb = 10.0;

std::filesystem::path tiny_checkpoint() { return std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3" / "tiny224"; }

double rss_mb() {
    malloc_trim(0);
    return double(make_system_memory_probe()->system().process_rss_bytes) / kMiB;
}

ImageRgb8 noise_image(int w, int h, unsigned seed) {
    ImageRgb8 image{w, h, std::vector<std::uint8_t>(std::size_t(w) * h * 3)};
    std::mt19937 rng(seed);
    for (auto& p : image.pixels) p = std::uint8_t(rng() & 0xff);
    return image;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

class TestSoakModelSession : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fiveHundredLoadUnloadCyclesKeepRssFlat() {
        ModelSession session;
        const LoadRequest request = test::cpu_fp32(tiny_checkpoint());
        const auto cycle = [&](int i) {
            const LoadOutcome loaded = session.load(request, {}, BudgetSettings{});
            QVERIFY2(loaded.ok(), loaded.message.c_str());
            // An encode and a click each cycle: the paths a real load is for.
            const ImageRgb8 image = noise_image(64, 48, unsigned(i));
            QCOMPARE(session.encode(image, "cycle").status, EncodeStatus::Encoded);
            ClickPrompt click;
            click.points.push_back({20.f, 20.f, PointLabel::Positive});
            QVERIFY(!session.segment("cycle", click).candidates.empty());
            session.unload();
            QCOMPARE(session.state(), SessionState::Unloaded);
        };
        constexpr int kWarmUp = 20, kCycles = 500;
        for (int i = 0; i < kWarmUp; ++i) cycle(i);
        const double before = rss_mb();
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < kCycles; ++i) {
            cycle(kWarmUp + i);
            if (QTest::currentTestFailed()) return;
        }
        const double seconds = seconds_since(start), after = rss_mb();
        qInfo("{\"soak\": \"load_unload\", \"cycles\": %d, \"seconds\": %.1f, \"rss_before_mb\": %.1f, "
              "\"rss_after_mb\": %.1f, \"growth_mb\": %.2f}",
              kCycles, seconds, before, after, after - before);
        QVERIFY2(after - before <= kAllowedGrowthMb,
                 qPrintable(QStringLiteral("RSS grew %1 MB over %2 load/unload cycles").arg(after - before).arg(kCycles)));
    }

    void fiveThousandClicksKeepRssFlat() {
        ModelSession session;
        QVERIFY(session.load(test::cpu_fp32(tiny_checkpoint()), {}, BudgetSettings{}).ok());
        const ImageRgb8 image = noise_image(320, 240, 7);
        QCOMPARE(session.encode(image, "clicks").status, EncodeStatus::Encoded);
        std::mt19937 rng(11);
        std::uniform_real_distribution<float> ux(0.f, 319.f), uy(0.f, 239.f);
        std::optional<LowResMaskLogits> previous;
        const auto click = [&](int i) {
            ClickPrompt prompt;
            prompt.points.push_back({ux(rng), uy(rng), PointLabel::Positive});
            // Every other click refines: a second point and the previous mask, single-mask.
            if (i % 2 == 1 && previous) {
                prompt.points.push_back({ux(rng), uy(rng), PointLabel::Negative});
                prompt.previous_mask = previous;
                prompt.multimask = false;
            }
            if (i % 7 == 0) prompt.box = BoxPrompt{10.f, 10.f, 200.f, 150.f};
            const SegmentResult result = session.segment("clicks", prompt);
            QVERIFY(!result.candidates.empty());
            previous = result.candidates.front().low_res;
        };
        constexpr int kWarmUp = 200, kClicks = 5000;
        for (int i = 0; i < kWarmUp; ++i) click(i);
        const double before = rss_mb();
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < kClicks; ++i) {
            click(i);
            if (QTest::currentTestFailed()) return;
        }
        const double seconds = seconds_since(start), after = rss_mb();
        qInfo("{\"soak\": \"clicks\", \"clicks\": %d, \"seconds\": %.1f, \"rss_before_mb\": %.1f, "
              "\"rss_after_mb\": %.1f, \"growth_mb\": %.2f}",
              kClicks, seconds, before, after, after - before);
        QVERIFY2(after - before <= kAllowedGrowthMb,
                 qPrintable(QStringLiteral("RSS grew %1 MB over %2 clicks").arg(after - before).arg(kClicks)));
    }
};

QTEST_GUILESS_MAIN(TestSoakModelSession)
#include "test_soak_model_session.moc"
