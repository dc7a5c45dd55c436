#include "core/engine/peak_sampler.h"

#include <algorithm>

namespace samlabel::engine {

void PeakOfReadings::add(std::optional<std::uint64_t> reading) {
    if (!reading) {
        ++unknown_;
        return;
    }
    ++known_;
    peak_ = std::max(peak_.value_or(0), *reading);
}

std::optional<std::uint64_t> memory_figure_for_peak(const SystemMemory& memory) {
    if (memory.process_private_bytes) return std::max(*memory.process_private_bytes, memory.process_rss_bytes);
    if (memory.process_rss_bytes > 0) return memory.process_rss_bytes;
    return std::nullopt;
}

PeakSampler::PeakSampler(Read read, std::chrono::milliseconds interval) : read_(std::move(read)), interval_(interval) {
    record(read_());
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
            lock.unlock();  // the read can take a while; stop() must not wait for the lock meanwhile
            const std::optional<std::uint64_t> reading = read_();
            lock.lock();
            readings_.add(reading);
        }
    });
}

PeakSampler::~PeakSampler() { stop(); }

void PeakSampler::record(std::optional<std::uint64_t> reading) {
    std::lock_guard lock(mutex_);
    readings_.add(reading);
}

PeakOfReadings PeakSampler::stop() {
    if (thread_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
        record(read_());
    }
    std::lock_guard lock(mutex_);
    return readings_;
}

LoadPeakMeter::LoadPeakMeter(const std::function<bool()>& reset_os_peak, PeakSampler::Read read,
                             std::chrono::milliseconds interval) {
    if (!reset_os_peak()) sampler_.emplace(std::move(read), interval);
}

LoadPeakMeter::Peak LoadPeakMeter::finish(const SystemMemory& after) {
    if (!sampler_) return {after.process_peak_rss_bytes, false};
    PeakOfReadings readings = sampler_->stop();
    readings.add(memory_figure_for_peak(after));
    return {readings.peak().value_or(0), true};
}

}  // namespace samlabel::engine
