#pragma once
// Polls the engine's MemoryProbe on its own thread (reading /proc and NVML can
// take milliseconds; the GUI must not pay them) and emits one MemorySample per
// tick, queued to whoever listens: the memory gauge, the control API.
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>

#include <memory>

class QThread;
class QTimer;

namespace samlabel::engine {
class MemoryProbe;
}

namespace samlabel::service {

struct GpuSample {
    int index = 0;
    QString name;
    quint64 total_bytes = 0;
    quint64 used_bytes = 0;      // by every process
    quint64 process_bytes = 0;   // by this process
    bool process_known = true;   // false: cannot be measured here (process_bytes is 0, others_bytes() all in use)
    quint64 others_bytes() const { return used_bytes > process_bytes ? used_bytes - process_bytes : 0; }
};

struct MemorySample {
    qint64 time_ms = 0;            // monotonic, since the sampler started
    qint64 wall_ms = 0;            // unix epoch
    quint64 ram_total_bytes = 0;   // the limit that applies (cgroup or physical)
    quint64 ram_available_bytes = 0;
    quint64 ram_used_bytes() const { return ram_total_bytes > ram_available_bytes ? ram_total_bytes - ram_available_bytes : 0; }
    quint64 swap_used_bytes = 0;
    quint64 process_rss_bytes = 0;
    quint64 process_peak_rss_bytes = 0;
    // Of process_rss_bytes: file-backed pages (zero-copy weights, the converted-
    // weights cache, libraries), which the OS drops and re-reads under pressure
    // instead of swapping. 0 where the OS does not say (Linux does).
    quint64 process_rss_file_bytes = 0;
    QList<GpuSample> gpus;
};

class MemorySampler : public QObject {
    Q_OBJECT
public:
    // Starts sampling at once on a thread of its own.
    explicit MemorySampler(std::shared_ptr<engine::MemoryProbe> probe, int interval_ms = 250, QObject* parent = nullptr);
    ~MemorySampler() override;

    int intervalMs() const { return interval_ms_; }
    // A fresh sample taken on the caller's thread (tests, the CLI, /api/v1/memory).
    MemorySample sampleNow() const;

Q_SIGNALS:
    void sampled(samlabel::service::MemorySample sample);

private:
    std::shared_ptr<engine::MemoryProbe> probe_;
    int interval_ms_;
    QThread* thread_ = nullptr;
    QObject* ticker_ = nullptr;  // lives on thread_, owns the QTimer
    qint64 started_ms_ = 0;
};

// Reads the probe once (any thread).
MemorySample take_memory_sample(engine::MemoryProbe& probe, qint64 started_monotonic_ms);

}  // namespace samlabel::service

Q_DECLARE_METATYPE(samlabel::service::MemorySample)
