// ModelSession: the state machine, the preflight gate (a refused load
// allocates nothing), cancel mid-load (nothing stays allocated, measured with
// the process's RSS), unload while an encode runs, the embedding cache (memory
// and disk), and the budget re-check before an encode.
//
// Checkpoints: the committed tiny parity fixture (tests/data/sam3/tiny224) for
// behaviour, and a ~90 MB random-weight checkpoint made by transformers
// save_pretrained into the build tree (tests/engine/make_session_checkpoint.py)
// where memory must move measurably.
#include "core/engine/memory_probe.h"
#include "core/engine/model_session.h"
#include "cpu_load_requests.h"
#include "tests/engine/probe_gate.h"

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <future>
#include <thread>

using namespace samlabel::engine;
using samlabel::engine::test::cpu_bf16;
using samlabel::engine::test::cpu_fp32;

namespace {

constexpr std::uint64_t kMiB = 1024ull * 1024ull;
constexpr std::uint64_t kGiB = 1024ull * kMiB;

// The real process figures (RSS), with the machine's total and available RAM
// replaced by what a test wants (a machine that is nearly full, say). The gate
// can hold an encode at its budget re-check (tests/engine/probe_gate.h).
class FakeProbe : public MemoryProbe {
public:
    std::atomic<std::uint64_t> total_bytes{64 * kGiB};
    std::atomic<std::uint64_t> available_bytes{48 * kGiB};
    samlabel::engine::testing::ProbeGate gate;
    SystemMemory system() override {
        gate.pass();
        SystemMemory m = read_system_memory();
        m.total_bytes = total_bytes;
        m.available_bytes = available_bytes;
        m.cgroup_limit_bytes.reset();
        m.cgroup_available_bytes.reset();
        return m;
    }
    std::vector<GpuMemory> gpus() override { return {}; }
};

std::uint64_t rss_now() { return read_system_memory().process_rss_bytes; }

std::filesystem::path tiny_checkpoint() { return std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3" / "tiny224"; }

// A deterministic RGB test image.
ImageRgb8 test_image(int w, int h, int seed) {
    ImageRgb8 img{w, h, std::vector<std::uint8_t>(std::size_t(w) * h * 3)};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c)
                img.pixels[(std::size_t(y) * w + x) * 3 + c] =
                    std::uint8_t((x * (3 + c) + y * (5 + seed) + seed * 40 + ((x / 16 + y / 16) % 2) * 90) & 0xff);
    return img;
}


}  // namespace

class TestModelSession : public QObject {
    Q_OBJECT

    std::filesystem::path medium_;  // empty when it could not be generated

private Q_SLOTS:
    void initTestCase() {
        const QString python = QStringLiteral(SAMLABEL_PYTHON);
        const QString out = QStringLiteral(SAMLABEL_BINARY_DIR) + "/test-data/sam3-session-medium";
        if (QFileInfo::exists(out + "/model.safetensors")) {
            medium_ = out.toStdString();
            return;
        }
        if (python.isEmpty()) return;
        QDir().mkpath(QFileInfo(out).absolutePath());
        QProcess p;
        p.start(python, {QStringLiteral(SAMLABEL_SOURCE_DIR) + "/tests/engine/make_session_checkpoint.py", out});
        QVERIFY2(p.waitForFinished(180000), "generating the session checkpoint timed out");
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        medium_ = out.toStdString();
    }

    void startsUnloadedAndRefusesWorkWithoutAModel() {
        ModelSession session(std::make_shared<FakeProbe>());
        QCOMPARE(session.state(), SessionState::Unloaded);
        QVERIFY(!session.model_info());
        const EncodeOutcome e = session.encode(test_image(32, 32, 1));
        QCOMPARE(e.status, EncodeStatus::NotLoaded);
        QVERIFY_THROWS_EXCEPTION(SessionError, session.segment("anything", ClickPrompt{}));
        const UnloadReport r = session.unload();  // harmless
        QVERIFY(!r.was_loaded);
        QCOMPARE(session.state(), SessionState::Unloaded);
    }

    void loadEncodeSegmentUnload() {
        ModelSession session(std::make_shared<FakeProbe>());
        std::uint64_t last_done = 0, total = 0;
        int calls = 0;
        std::vector<SessionState> seen_during_load;
        bool monotonic = true;
        const LoadOutcome out = session.load(
            cpu_fp32(tiny_checkpoint()),
            [&](const LoadProgress& p) -> bool {
                ++calls;
                monotonic = monotonic && p.bytes_done >= last_done;
                last_done = p.bytes_done;
                total = p.bytes_total;
                seen_during_load.push_back(session.state());
                return true;
            },
            BudgetSettings{});
        QVERIFY2(out.ok(), out.message.c_str());
        QVERIFY(out.verdict && out.verdict->fits);
        QVERIFY(calls > 0);
        QVERIFY(monotonic);
        QCOMPARE(last_done, total);
        for (SessionState s : seen_during_load) QCOMPARE(s, SessionState::Loading);
        QCOMPARE(session.state(), SessionState::Ready);
        QCOMPARE(QString::fromStdString(out.dtype_name), QStringLiteral("float32"));
        QCOMPARE(QString::fromStdString(out.device_name), QStringLiteral("cpu"));
        QVERIFY(out.parameter_bytes > 0);

        // Loading again without unloading is refused with a message, the model stays.
        const LoadOutcome again = session.load(cpu_fp32(tiny_checkpoint()), {}, BudgetSettings{});
        QCOMPARE(again.status, LoadStatus::Failed);
        QCOMPARE(session.state(), SessionState::Ready);

        const ImageRgb8 img = test_image(200, 150, 3);
        const EncodeOutcome e1 = session.encode(img, "img-a");
        QVERIFY2(e1.ok(), e1.message.c_str());
        QCOMPARE(e1.status, EncodeStatus::Encoded);
        QVERIFY(session.is_encoded("img-a"));
        const EncodeOutcome e2 = session.encode(img, "img-a");
        QCOMPARE(e2.status, EncodeStatus::MemoryCacheHit);
        QVERIFY(e2.duration_ms < e1.duration_ms);

        ClickPrompt prompt;
        prompt.points.push_back(PointPrompt{100.f, 75.f, PointLabel::Positive});
        const SegmentResult r = session.segment("img-a", prompt);
        QVERIFY(!r.candidates.empty());
        QCOMPARE(r.candidates.front().width, 200);
        QCOMPARE(r.candidates.front().height, 150);
        QVERIFY_THROWS_EXCEPTION(SessionError, session.segment("never-encoded", prompt));

        const UnloadReport u = session.unload();
        QVERIFY(u.was_loaded);
        QCOMPARE(u.embeddings_dropped, 1u);
        QVERIFY(u.embedding_bytes_dropped > 0);
        QCOMPARE(session.state(), SessionState::Unloaded);
        QVERIFY(!session.is_encoded("img-a"));
        QCOMPARE(session.cache().stats().memory_entries, 0u);
        QVERIFY_THROWS_EXCEPTION(SessionError, session.segment("img-a", prompt));
    }

    void refusedLoadAllocatesNothing() {
        if (medium_.empty()) QSKIP("needs SAMLABEL_PYTHON (transformers) to write the session checkpoint");
        auto probe = std::make_shared<FakeProbe>();
        probe->available_bytes = 40 * kMiB;  // far below the ~90 MB of weights
        ModelSession session(probe);
        const std::uint64_t before = rss_now();
        int progress_calls = 0;
        const LoadOutcome out = session.load(cpu_fp32(medium_), [&](const LoadProgress&) { return ++progress_calls, true; },
                                             BudgetSettings{});
        QCOMPARE(out.status, LoadStatus::Refused);
        QVERIFY(out.verdict && !out.verdict->fits);
        QVERIFY(!out.message.empty());
        QCOMPARE(progress_calls, 0);  // not one tensor was streamed
        QCOMPARE(session.state(), SessionState::Unloaded);
        QVERIFY(!session.model_info());
        // Reading the header costs kilobytes; the weights would cost ~90 MB.
        const std::int64_t grew = std::int64_t(rss_now()) - std::int64_t(before);
        QVERIFY2(grew < std::int64_t(4 * kMiB), qPrintable(QStringLiteral("RSS grew by %1 bytes").arg(grew)));
        // The same request fits once memory is there.
        probe->available_bytes = 48 * kGiB;
        QVERIFY(session.preflight(cpu_fp32(medium_), BudgetSettings{}).verdict.fits);
    }

    // An encode with pause points (what the app runs: a click is answered
    // between two of them) gives the embedding an encode without them gives,
    // and a click from inside it runs at once on an image already encoded.
    void encodeWithPausePointsAnswersClicksInside() {
        ModelSession session(std::make_shared<FakeProbe>());
        QVERIFY(session.load(cpu_fp32(tiny_checkpoint()), {}, BudgetSettings{}).ok());
        const ImageRgb8 image = test_image(320, 240, 3);
        QCOMPARE(session.encode(image, "plain").status, EncodeStatus::Encoded);
        ClickPrompt click;
        click.points.push_back(PointPrompt{120.f, 90.f, PointLabel::Positive});
        const SegmentResult plain = session.segment("plain", click);

        std::vector<int> steps;
        int total = 0;
        std::optional<SegmentResult> inside;
        SessionState state_inside = SessionState::Unloaded;
        const EncodeOutcome paused = session.encode(image, "paused", [&](int step, int count) {
            steps.push_back(step);
            total = count;
            if (step == 2) {
                state_inside = session.state();
                inside = session.segment("plain", click);  // would deadlock on the session's lock if not answered inside
            }
        });
        QCOMPARE(paused.status, EncodeStatus::Encoded);
        QCOMPARE(session.state(), SessionState::Ready);
        QCOMPARE(state_inside, SessionState::Busy);  // the encode still held the session
        // Each trunk layer pauses after its k and v projections (2), after each
        // block of queries, and after each of 12 row blocks of its MLP; one more
        // step for the path features. The fixture (config.json, backbone_config):
        // 3 layers, layer 1 global; a 224 px image in 14 px patches is a 16 x 16
        // grid (256 tokens), windows are 7 x 7 (49 tokens). A windowed layer has
        // 6 query blocks; the global one 6 per 49 keys its queries see: 6 * ceil(256 / 49).
        const int windowed = 2 + 6 + 12, global = 2 + 6 * 6 + 12;
        QCOMPARE(total, 2 * windowed + global + 1);
        QCOMPARE(int(steps.size()), total);
        for (int i = 0; i < total; ++i) QCOMPARE(steps[std::size_t(i)], i + 1);

        const auto same = [](const SegmentResult& a, const SegmentResult& b, const char* what) {
            QCOMPARE(a.candidates.size(), b.candidates.size());
            for (std::size_t i = 0; i < a.candidates.size(); ++i) {
                QVERIFY2(std::abs(a.candidates[i].predicted_iou - b.candidates[i].predicted_iou) < 1e-5f, what);
                const auto& x = a.candidates[i].low_res.logits;
                const auto& y = b.candidates[i].low_res.logits;
                QCOMPARE(x.size(), y.size());
                float scale = 0.f, diff = 0.f;
                for (std::size_t k = 0; k < x.size(); ++k) {
                    scale = std::max(scale, std::abs(x[k]));
                    diff = std::max(diff, std::abs(x[k] - y[k]));
                }
                QVERIFY2(!(diff > 1e-5f * std::max(scale, 1.f)), what);  // NaN fails too
            }
        };
        QVERIFY(inside);
        same(*inside, plain, "a click answered inside the encode");
        same(session.segment("paused", click), plain, "the embedding of the paused encode");
    }

    void cancelMidLoadLeavesNothingAllocated() {
        if (medium_.empty()) QSKIP("needs SAMLABEL_PYTHON (transformers) to write the session checkpoint");
        ModelSession session(std::make_shared<FakeProbe>());
        // Warm-up: a full load and unload, so libtorch's one-time allocations
        // (thread pools, kernel tables) are in the baseline and not blamed on
        // the cancelled load.
        QVERIFY(session.load(cpu_bf16(medium_), {}, BudgetSettings{}).ok());
        const UnloadReport warm = session.unload();
        QVERIFY(warm.was_loaded);

        const std::uint64_t baseline = rss_now();
        std::uint64_t rss_at_cancel = 0, done_at_cancel = 0;
        const LoadOutcome out = session.load(
            cpu_bf16(medium_),
            [&](const LoadProgress& p) {
                if (p.bytes_done * 4 < p.bytes_total * 3) return true;
                rss_at_cancel = rss_now();
                done_at_cancel = p.bytes_done;
                return false;  // cancel past three quarters
            },
            BudgetSettings{});
        QCOMPARE(out.status, LoadStatus::Cancelled);
        QCOMPARE(session.state(), SessionState::Unloaded);
        QVERIFY(!session.model_info());
        const std::uint64_t after = rss_now();
        const std::int64_t grown = std::int64_t(rss_at_cancel) - std::int64_t(baseline);
        const std::int64_t left = std::int64_t(after) - std::int64_t(baseline);
        qInfo("cancel: baseline %.1f MB, at cancel +%.1f MB (%.1f MB streamed), after cancel %+.1f MB", baseline / 1e6,
              grown / 1e6, done_at_cancel / 1e6, left / 1e6);
        // Tolerance 8 MB: glibc keeps some freed small chunks in per-thread
        // arenas and a few page-table/stack pages come and go; a leaked
        // three-quarters-loaded model would be ~34 MB (bf16). The load must first have grown
        // the RSS well past the tolerance, or the check would prove nothing.
        QVERIFY2(grown > std::int64_t(24 * kMiB), "the load never allocated enough for the check to mean anything");
        QVERIFY2(left < std::int64_t(8 * kMiB), qPrintable(QStringLiteral("%1 MB stayed after cancel").arg(left / 1e6)));

        // cancel_load() from another thread works the same way.
        std::atomic<bool> started{false};
        auto fut = std::async(std::launch::async, [&] {
            return session.load(cpu_bf16(medium_),
                                [&](const LoadProgress&) {
                                    started = true;
                                    std::this_thread::sleep_for(std::chrono::milliseconds(2));
                                    return true;
                                },
                                BudgetSettings{});
        });
        while (!started && fut.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) {
        }
        session.cancel_load();
        QCOMPARE(fut.get().status, LoadStatus::Cancelled);
        QCOMPARE(session.state(), SessionState::Unloaded);
    }

    void unloadGivesTheMemoryBackAndMeasuresIt() {
        if (medium_.empty()) QSKIP("needs SAMLABEL_PYTHON (transformers) to write the session checkpoint");
        ModelSession session(std::make_shared<FakeProbe>());
        const std::uint64_t before = rss_now();
        const LoadOutcome out = session.load(cpu_bf16(medium_), {}, BudgetSettings{});
        QVERIFY2(out.ok(), out.message.c_str());
        QVERIFY(session.encode(test_image(640, 480, 1), "big").ok());
        const UnloadReport u = session.unload();
        qInfo("load: %.0f ms, RSS %.1f -> %.1f MB (peak %.1f MB); unload freed %.1f MB in %.0f ms", out.duration_ms,
              out.rss_before_bytes / 1e6, out.rss_after_bytes / 1e6, out.peak_rss_bytes / 1e6, u.freed_ram_bytes / 1e6,
              u.duration_ms);
        // The report is a measurement: it must match what the RSS did.
        QVERIFY(u.rss_before_bytes > u.rss_after_bytes);
        QCOMPARE(u.freed_ram_bytes, u.rss_before_bytes - u.rss_after_bytes);
        // At least the converted weights (out.parameter_bytes) came back.
        QVERIFY2(u.freed_ram_bytes + 4 * kMiB > out.parameter_bytes,
                 qPrintable(QStringLiteral("freed %1 of %2 parameter bytes").arg(u.freed_ram_bytes).arg(out.parameter_bytes)));
        const std::int64_t left = std::int64_t(rss_now()) - std::int64_t(before);
        QVERIFY2(left < std::int64_t(24 * kMiB), qPrintable(QStringLiteral("%1 MB stayed after unload").arg(left / 1e6)));
    }

    // Unload while an encode runs: the unload waits for it, the encode ends
    // unharmed and its embedding goes with the model. The probe holds the
    // encode at its budget re-check (inside encode(), the model held) until
    // the unload has been called, so the two always overlap.
    void unloadWhileEncodingWaitsForTheEncode() {
        auto probe = std::make_shared<FakeProbe>();
        ModelSession session(probe);
        QVERIFY(session.load(cpu_fp32(tiny_checkpoint()), {}, BudgetSettings{}).ok());
        const std::thread::id test_thread = std::this_thread::get_id();
        probe->gate.holdNext([test_thread] { return std::this_thread::get_id() != test_thread; });
        std::atomic<bool> unload_called{false};
        std::future<EncodeOutcome> encode;
        std::future<UnloadReport> unload;
        const auto release = qScopeGuard([&] { probe->gate.release(); });  // before the futures wait, on any exit
        encode = std::async(std::launch::async, [&] { return session.encode(test_image(200, 150, 2), "x"); });
        QVERIFY2(probe->gate.waitHeld(std::chrono::seconds(20)), "the encode never reached its budget re-check");
        unload = std::async(std::launch::async, [&] {
            unload_called = true;
            return session.unload();
        });
        while (!unload_called) std::this_thread::yield();
        // Held, the encode cannot end: an unload that did not wait for it would
        // return now (it takes milliseconds on this model).
        QVERIFY2(unload.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout,
                 "the unload returned while an encode was running");
        probe->gate.release();
        const EncodeOutcome e = encode.get();
        const UnloadReport u = unload.get();
        QCOMPARE(e.status, EncodeStatus::Encoded);  // the encode ran to its end, unharmed
        QVERIFY(u.was_loaded);
        QCOMPARE(u.embeddings_dropped, std::size_t(1));  // it ran after the encode had cached its embedding
        QCOMPARE(session.state(), SessionState::Unloaded);
        QCOMPARE(session.cache().stats().memory_entries, 0u);  // the embedding went with the model
        QVERIFY(!session.is_encoded("x"));
        // Work that queued behind the unload finds no model, cleanly.
        QCOMPARE(session.encode(test_image(32, 32, 1), "y").status, EncodeStatus::NotLoaded);
    }

    void unloadCancelsARunningLoad() {
        const std::filesystem::path dir = medium_.empty() ? tiny_checkpoint() : medium_;
        ModelSession session(std::make_shared<FakeProbe>());
        std::atomic<bool> started{false};
        auto load = std::async(std::launch::async, [&] {
            return session.load(cpu_fp32(dir),
                                [&](const LoadProgress&) {
                                    started = true;
                                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                                    return true;
                                },
                                BudgetSettings{});
        });
        while (!started && load.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) {
        }
        const UnloadReport u = session.unload();
        QCOMPARE(load.get().status, LoadStatus::Cancelled);
        QVERIFY(!u.was_loaded);  // the unload ran after the cancelled load cleaned up
        QCOMPARE(session.state(), SessionState::Unloaded);
    }

    void encodeIsRefusedWhenMemoryRanOut() {
        auto probe = std::make_shared<FakeProbe>();
        ModelSession session(probe);
        QVERIFY(session.load(cpu_fp32(tiny_checkpoint()), {}, BudgetSettings{}).ok());
        probe->available_bytes = 1 * kMiB;  // another process took the memory
        const EncodeOutcome e = session.encode(test_image(200, 150, 1), "a");
        QCOMPARE(e.status, EncodeStatus::Refused);
        QVERIFY(!e.message.empty());
        QCOMPARE(session.state(), SessionState::Ready);  // the model stays usable
        probe->available_bytes = 48 * kGiB;
        QVERIFY(session.encode(test_image(200, 150, 1), "a").ok());
    }

    void embeddingsComeBackFromDiskAfterAReload() {
        QTemporaryDir dir;
        EmbeddingCacheSettings cache;
        cache.disk_dir = dir.path().toStdString();
        ModelSession session(std::make_shared<FakeProbe>(), cache);
        QVERIFY(session.load(cpu_fp32(tiny_checkpoint()), {}, BudgetSettings{}).ok());
        const ImageRgb8 img = test_image(200, 150, 4);
        QCOMPARE(session.encode(img, "disk-img").status, EncodeStatus::Encoded);
        ClickPrompt prompt;
        prompt.points.push_back(PointPrompt{60.f, 40.f, PointLabel::Positive});
        prompt.multimask = false;
        const SegmentResult fresh = session.segment("disk-img", prompt);
        session.unload();
        QVERIFY(session.load(cpu_fp32(tiny_checkpoint()), {}, BudgetSettings{}).ok());
        QCOMPARE(session.encode(img, "disk-img").status, EncodeStatus::DiskCacheHit);
        const SegmentResult cached = session.segment("disk-img", prompt);
        // fp16 on disk: the masks agree almost everywhere (IoU, not bit equality).
        QCOMPARE(cached.candidates.size(), fresh.candidates.size());
        const auto& a = fresh.candidates.front().mask;
        const auto& b = cached.candidates.front().mask;
        std::size_t inter = 0, uni = 0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            inter += (a[i] && b[i]);
            uni += (a[i] || b[i]);
        }
        QVERIFY(uni == 0 || double(inter) / double(uni) > 0.98);
        // Another dtype is another model: its embeddings are not reused.
        session.unload();
        LoadRequest bf16 = cpu_fp32(tiny_checkpoint());
        bf16.dtype = WeightDType::BF16;
        QVERIFY(session.load(bf16, {}, BudgetSettings{}).ok());
        QCOMPARE(session.encode(img, "disk-img").status, EncodeStatus::Encoded);
    }
};

QTEST_GUILESS_MAIN(TestModelSession)
#include "test_model_session.moc"
