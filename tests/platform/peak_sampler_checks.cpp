// A load's RAM peak where the OS cannot reset its own counter (Windows):
// sampled during the load (core/engine/peak_sampler.h). The arithmetic and
// the sampler's thread with a scripted probe, then this platform's real probe
// (under wine: Windows' counters) catching an allocation made and freed while
// it samples.
#include "core/engine/peak_sampler.h"
#include "tests/platform/check.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

using namespace samlabel::engine;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

// A probe that answers a script, one reading per call, the last one forever.
struct ScriptedProbe {
    std::vector<std::optional<std::uint64_t>> script;
    std::atomic<std::size_t> calls{0};
    std::optional<std::uint64_t> read() {
        const std::size_t i = calls++;
        return script[std::min(i, script.size() - 1)];
    }
};

bool wait_for_calls(const ScriptedProbe& probe, std::size_t n, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (probe.calls < n) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

}  // namespace

CHECK_CASE("peak sampler: the peak is the largest known reading; unknown readings are gaps, not zeros") {
    PeakOfReadings r;
    CHECK(!r.peak().has_value());
    r.add(100 * MiB);
    r.add(std::nullopt);
    r.add(300 * MiB);
    r.add(200 * MiB);
    CHECK(r.peak().has_value());
    CHECK_EQ(r.peak().value_or(0), 300 * MiB);
    CHECK_EQ(r.known_readings(), std::size_t(3));
    CHECK_EQ(r.unknown_readings(), std::size_t(1));
    PeakOfReadings none;
    none.add(std::nullopt);
    CHECK(!none.peak().has_value());
}

CHECK_CASE("peak sampler: it samples the larger of private bytes and the resident set") {
    SystemMemory m;
    m.process_rss_bytes = 700 * MiB;
    m.process_private_bytes = 900 * MiB;  // committed, not all touched
    CHECK_EQ(memory_figure_for_peak(m).value_or(0), 900 * MiB);
    m.process_private_bytes = 500 * MiB;  // mapped weights resident, not private
    CHECK_EQ(memory_figure_for_peak(m).value_or(0), 700 * MiB);
    m.process_private_bytes.reset();  // not reported (Linux, wine)
    CHECK_EQ(memory_figure_for_peak(m).value_or(0), 700 * MiB);
    CHECK(!memory_figure_for_peak(SystemMemory{}).has_value());
}

CHECK_CASE("peak sampler: a spike between the first and the last reading is caught") {
    ScriptedProbe probe;
    probe.script = {100 * MiB, 150 * MiB, 150 * MiB, 150 * MiB, 900 * MiB, 120 * MiB};
    PeakSampler sampler([&probe] { return probe.read(); }, 5ms);
    CHECK(wait_for_calls(probe, 8, 10s));
    const PeakOfReadings r = sampler.stop();
    CHECK_EQ(r.peak().value_or(0), 900 * MiB);
    CHECK_EQ(r.known_readings(), probe.calls.load());
    const std::size_t calls = probe.calls;
    CHECK_EQ(sampler.stop().known_readings(), calls);  // stopped: no more readings
    std::this_thread::sleep_for(30ms);
    CHECK_EQ(probe.calls.load(), calls);
}

CHECK_CASE("peak sampler: a load shorter than one interval gets its first and last reading; stop does not wait") {
    ScriptedProbe probe;
    probe.script = {100 * MiB, 400 * MiB};
    const auto t0 = std::chrono::steady_clock::now();
    PeakSampler sampler([&probe] { return probe.read(); }, 10s);
    const PeakOfReadings r = sampler.stop();
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK_EQ(r.known_readings(), std::size_t(2));
    CHECK_EQ(r.peak().value_or(0), 400 * MiB);
    CHECK(took < 2s);
}

CHECK_CASE("peak sampler: it reads every interval, not in a busy loop") {
    ScriptedProbe probe;
    probe.script = {1 * MiB};
    PeakSampler sampler([&probe] { return probe.read(); }, 20ms);
    std::this_thread::sleep_for(400ms);
    const std::size_t readings = sampler.stop().known_readings();
    // 400 ms / 20 ms = 20, plus the first and last; a loaded machine reads fewer.
    CHECK(readings >= 4);
    CHECK(readings <= 23);
}

CHECK_CASE("peak sampler: with this platform's probe it catches 256 MiB allocated and freed while it samples") {
    const auto read = [] { return memory_figure_for_peak(read_system_memory()); };
    const std::uint64_t before = read().value_or(0);
    CHECK(before > 0);
    PeakSampler sampler(read, kLoadPeakSampleInterval);
    {
        const std::size_t size = 256 * MiB;
        std::unique_ptr<char[]> block(new char[size]);
        std::memset(block.get(), 1, size);  // touched: resident, not only committed
        std::this_thread::sleep_for(300ms);  // several intervals
    }
    std::this_thread::sleep_for(100ms);
    const std::uint64_t after = read().value_or(0);
    const PeakOfReadings r = sampler.stop();
    const std::uint64_t peak = r.peak().value_or(0);
    std::printf("  before %llu MiB, sampled peak %llu MiB, after %llu MiB, %zu readings\n", (unsigned long long)(before / MiB),
                (unsigned long long)(peak / MiB), (unsigned long long)(after / MiB), r.known_readings());
    CHECK(peak >= before + 240 * MiB);
    CHECK(after + 200 * MiB < peak);  // freed again: the sampled peak is this stretch's, the current figure is not

    // The next stretch (the next load) samples its own peak, while the OS's
    // counter, never reset here (and never resettable on Windows), still
    // holds the block: why Windows samples.
    PeakSampler next(read, kLoadPeakSampleInterval);
    std::this_thread::sleep_for(100ms);
    const std::uint64_t next_peak = next.stop().peak().value_or(0);
    CHECK(next_peak > 0);
    CHECK(next_peak + 200 * MiB < peak);
    CHECK(read_system_memory().process_peak_rss_bytes >= before + 240 * MiB);
}

CHECK_CASE("load peak meter: where the OS resets its peak counter, that counter is the load's peak and nothing samples") {
    ScriptedProbe probe;
    probe.script = {5000 * MiB};
    int resets = 0;
    LoadPeakMeter meter([&resets] { ++resets; return true; }, [&probe] { return probe.read(); }, 1ms);
    std::this_thread::sleep_for(20ms);
    SystemMemory after;
    after.process_rss_bytes = 600 * MiB;
    after.process_peak_rss_bytes = 800 * MiB;  // VmHWM since the reset
    const LoadPeakMeter::Peak peak = meter.finish(after);
    CHECK_EQ(resets, 1);
    CHECK_EQ(peak.bytes, 800 * MiB);
    CHECK(!peak.sampled);
    CHECK_EQ(probe.calls.load(), std::size_t(0));
}

CHECK_CASE("load peak meter: where it cannot be reset (Windows), the peak is sampled, never the lifetime counter") {
    ScriptedProbe probe;
    probe.script = {300 * MiB, 700 * MiB, 450 * MiB};
    LoadPeakMeter meter([] { return false; }, [&probe] { return probe.read(); }, 1ms);
    CHECK(wait_for_calls(probe, 4, 10s));
    SystemMemory after;
    after.process_rss_bytes = 400 * MiB;
    after.process_peak_rss_bytes = 9000 * MiB;  // an earlier load's, the process lifetime's
    const LoadPeakMeter::Peak peak = meter.finish(after);
    CHECK(peak.sampled);
    CHECK_EQ(peak.bytes, 700 * MiB);
}
