#include "core/service/memory_sampler.h"

#include "core/engine/memory_probe.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QThread>
#include <QTimer>

namespace samlabel::service {

namespace {

qint64 monotonic_ms() {
    static QElapsedTimer clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return clock.elapsed();
}

}  // namespace

MemorySample take_memory_sample(engine::MemoryProbe& probe, qint64 started_monotonic_ms) {
    MemorySample s;
    s.time_ms = monotonic_ms() - started_monotonic_ms;
    s.wall_ms = QDateTime::currentMSecsSinceEpoch();
    const engine::SystemMemory sys = probe.system();
    // A confined process (container, systemd slice) sees the cgroup limit as its total.
    s.ram_total_bytes = sys.cgroup_limit_bytes && *sys.cgroup_limit_bytes < sys.total_bytes ? *sys.cgroup_limit_bytes
                                                                                            : sys.total_bytes;
    s.ram_available_bytes = sys.available_bytes;
    s.swap_used_bytes = sys.swap_used_bytes;
    s.process_rss_bytes = sys.process_rss_bytes;
    s.process_peak_rss_bytes = sys.process_peak_rss_bytes;
    s.process_rss_file_bytes = sys.process_rss_file_bytes.value_or(0);
    for (const engine::GpuMemory& g : probe.gpus()) {
        GpuSample gpu;
        gpu.index = g.index;
        gpu.name = QString::fromStdString(g.name);
        gpu.total_bytes = g.total_bytes;
        gpu.used_bytes = g.total_bytes > g.free_bytes ? g.total_bytes - g.free_bytes : 0;
        gpu.process_bytes = g.used_by_this_process_bytes;
        gpu.process_known = g.this_process_known;
        s.gpus.push_back(gpu);
    }
    return s;
}

MemorySampler::MemorySampler(std::shared_ptr<engine::MemoryProbe> probe, int interval_ms, QObject* parent)
    : QObject(parent), probe_(std::move(probe)), interval_ms_(interval_ms), started_ms_(monotonic_ms()) {
    qRegisterMetaType<MemorySample>("samlabel::service::MemorySample");
    thread_ = new QThread(this);
    thread_->setObjectName(QStringLiteral("samlabel-memory"));
    ticker_ = new QObject;  // no parent: it moves to thread_, with its timer
    auto* timer = new QTimer(ticker_);
    timer->setInterval(interval_ms_);
    timer->setTimerType(Qt::PreciseTimer);
    const auto tick = [this] { Q_EMIT sampled(take_memory_sample(*probe_, started_ms_)); };
    connect(timer, &QTimer::timeout, ticker_, tick);
    connect(thread_, &QThread::started, timer, [timer, tick] {
        tick();  // a figure at once, not after the first interval
        timer->start();
    });
    connect(thread_, &QThread::finished, ticker_, &QObject::deleteLater);
    ticker_->moveToThread(thread_);
    thread_->start();
}

MemorySampler::~MemorySampler() {
    thread_->quit();
    thread_->wait();
}

MemorySample MemorySampler::sampleNow() const { return take_memory_sample(*probe_, started_ms_); }

}  // namespace samlabel::service
