// MemorySampler: samples at the requested rate (>= 2 Hz) on its own thread,
// maps the probe's figures into samples (used = total - available, the
// cgroup limit as total when confined, GPU others = used - this process).
#include "core/engine/memory_probe.h"
#include "core/service/memory_sampler.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <atomic>
#include <mutex>

using namespace samlabel;

namespace {

class ScriptedProbe : public engine::MemoryProbe {
public:
    std::atomic<int> calls{0};
    std::atomic<QThread*> thread{nullptr};
    bool confined = false;
    engine::SystemMemory system() override {
        ++calls;
        thread = QThread::currentThread();
        engine::SystemMemory m;
        m.total_bytes = 16000;
        m.available_bytes = 6000;
        m.swap_used_bytes = 5;
        m.process_rss_bytes = 1234;
        m.process_peak_rss_bytes = 2345;
        if (confined) {
            m.cgroup_limit_bytes = 8000;
            m.available_bytes = 3000;
        }
        return m;
    }
    std::vector<engine::GpuMemory> gpus() override {
        engine::GpuMemory g;
        g.index = 1;
        g.name = "Test GPU";
        g.total_bytes = 1000;
        g.free_bytes = 300;  // 700 used in all
        g.used_by_this_process_bytes = 250;
        g.used_by_others_bytes = 450;
        return {g};
    }
};

}  // namespace

class TestMemorySampler : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void samplesAtLeastTwiceASecondOffTheGuiThread() {
        auto probe = std::make_shared<ScriptedProbe>();
        service::MemorySampler sampler(probe, 250);
        QSignalSpy spy(&sampler, &service::MemorySampler::sampled);
        QTest::qWait(1600);
        // 250 ms: a first sample at once, then ~6 more; allow scheduling jitter.
        QVERIFY2(spy.size() >= 5, qPrintable(QStringLiteral("%1 samples in 1.6 s").arg(spy.size())));
        QVERIFY(probe->thread.load() != QThread::currentThread());
        qint64 previous = -1;
        for (const QList<QVariant>& args : spy) {
            const auto s = args.first().value<service::MemorySample>();
            QVERIFY(s.time_ms > previous);  // monotonic
            previous = s.time_ms;
        }
    }

    void mapsTheProbeFigures() {
        auto probe = std::make_shared<ScriptedProbe>();
        service::MemorySampler sampler(probe, 1000);
        const service::MemorySample s = sampler.sampleNow();
        QCOMPARE(s.ram_total_bytes, 16000u);
        QCOMPARE(s.ram_used_bytes(), 10000u);
        QCOMPARE(s.process_rss_bytes, 1234u);
        QCOMPARE(s.process_peak_rss_bytes, 2345u);
        QCOMPARE(s.swap_used_bytes, 5u);
        QCOMPARE(s.gpus.size(), 1);
        QCOMPARE(s.gpus[0].index, 1);
        QCOMPARE(s.gpus[0].name, QStringLiteral("Test GPU"));
        QCOMPARE(s.gpus[0].used_bytes, 700u);
        QCOMPARE(s.gpus[0].process_bytes, 250u);
        QCOMPARE(s.gpus[0].others_bytes(), 450u);

        probe->confined = true;  // in a container the cgroup limit is the ceiling
        const service::MemorySample c = sampler.sampleNow();
        QCOMPARE(c.ram_total_bytes, 8000u);
        QCOMPARE(c.ram_used_bytes(), 5000u);
    }

    void realProbeGivesPlausibleFigures() {
        service::MemorySampler sampler(std::shared_ptr<engine::MemoryProbe>(engine::make_system_memory_probe()), 250);
        const service::MemorySample s = sampler.sampleNow();
        QVERIFY(s.ram_total_bytes > 0);
        QVERIFY(s.process_rss_bytes > 0 && s.process_rss_bytes < s.ram_total_bytes);
        QVERIFY(s.ram_available_bytes <= s.ram_total_bytes);
    }
};

QTEST_GUILESS_MAIN(TestMemorySampler)
#include "test_memory_sampler.moc"
