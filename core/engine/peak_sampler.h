#pragma once
// The peak of a memory figure over a stretch of time, found by sampling it.
// Linux resets its own peak counter before a load (VmHWM, reset_peak_rss());
// Windows cannot (PeakWorkingSetSize and PeakPagefileUsage cover the whole
// process lifetime), so there a load's RAM peak is the largest reading of
// this process's private bytes taken every few tens of milliseconds while the
// load runs. A sampled peak can miss a spike shorter than the interval, so
// it is reported as "sampled". Plain std, no torch.
#include "core/engine/memory_probe.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace samlabel::engine {

// The arithmetic, apart from the thread: the largest of the readings that
// were known (a probe that could not read leaves a gap, not a 0).
class PeakOfReadings {
public:
    void add(std::optional<std::uint64_t> reading);
    std::optional<std::uint64_t> peak() const { return peak_; }
    std::size_t known_readings() const { return known_; }
    std::size_t unknown_readings() const { return unknown_; }

private:
    std::optional<std::uint64_t> peak_;
    std::size_t known_ = 0;
    std::size_t unknown_ = 0;
};

// What a load's peak samples: the larger of this process's private bytes
// (Windows' commit charge: allocations count when made, touched or not, and
// fail at the commit limit) and its resident set (what the load's before and
// after figures are, so the peak is never below them); the resident set alone
// where private bytes are not reported; unknown when neither is.
std::optional<std::uint64_t> memory_figure_for_peak(const SystemMemory& memory);

// How often a load's peak is sampled where it cannot be reset.
inline constexpr std::chrono::milliseconds kLoadPeakSampleInterval{25};

// Reads once when constructed, then every interval on a thread of its own,
// until stop() (or the destructor), which reads once more: a stretch shorter
// than one interval still gets its first and last reading.
class PeakSampler {
public:
    using Read = std::function<std::optional<std::uint64_t>()>;
    PeakSampler(Read read, std::chrono::milliseconds interval);
    ~PeakSampler();
    PeakSampler(const PeakSampler&) = delete;
    PeakSampler& operator=(const PeakSampler&) = delete;

    // Stops the thread (at once, not after the interval) and returns the
    // readings' peak. Later calls return the same.
    PeakOfReadings stop();

private:
    void record(std::optional<std::uint64_t> reading);

    Read read_;
    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    PeakOfReadings readings_;
    std::thread thread_;
};

// A load's RAM peak: the OS's own peak counter, reset when the meter starts,
// where it can be reset (Linux: reset_peak_rss()); else sampled from `read`
// until finish() (Windows). ModelSession's loads use it.
class LoadPeakMeter {
public:
    LoadPeakMeter(const std::function<bool()>& reset_os_peak, PeakSampler::Read read,
                  std::chrono::milliseconds interval = kLoadPeakSampleInterval);
    struct Peak {
        std::uint64_t bytes = 0;
        bool sampled = false;
    };
    // `after`: the probe's reading once the load has ended.
    Peak finish(const SystemMemory& after);

private:
    std::optional<PeakSampler> sampler_;
};

}  // namespace samlabel::engine
