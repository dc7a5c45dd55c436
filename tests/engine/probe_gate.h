#pragma once
// Holds a ModelSession inside an encode for as long as a test needs, without
// timing: ModelSession::encode re-checks the memory budget with its probe
// while it holds the model (documented: "the budget is checked again first"),
// so a probe whose next system() call on a chosen thread blocks until the test
// releases it keeps that encode running, the model held, at a known point.
// No Qt and no torch: the engine tests and the service tests share it.
#include "core/engine/memory_probe.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

namespace samlabel::engine::testing {

class ProbeGate {
public:
    // The next probe call for which `on_this_thread()` is true blocks until release().
    void holdNext(std::function<bool()> on_this_thread) {
        std::lock_guard lock(mutex_);
        matches_ = std::move(on_this_thread);
        armed_ = true;
        held_ = false;
        released_ = false;
    }
    // Called by the probe on every system() call.
    void pass() {
        std::unique_lock lock(mutex_);
        if (!armed_ || !matches_ || !matches_()) return;
        armed_ = false;
        held_ = true;
        changed_.notify_all();
        changed_.wait(lock, [&] { return released_; });
    }
    bool held() const {
        std::lock_guard lock(mutex_);
        return held_;
    }
    bool waitHeld(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return held_; });
    }
    // Lets the held call go on (and disarms a gate that never held one).
    void release() {
        {
            std::lock_guard lock(mutex_);
            armed_ = false;
            released_ = true;
        }
        changed_.notify_all();
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::function<bool()> matches_;
    bool armed_ = false;
    bool held_ = false;
    bool released_ = false;
};

// The machine's real probe with a gate in front of system().
class GatedMemoryProbe : public MemoryProbe {
public:
    explicit GatedMemoryProbe(std::shared_ptr<MemoryProbe> inner = make_system_memory_probe()) : inner_(std::move(inner)) {}
    ProbeGate gate;
    SystemMemory system() override {
        gate.pass();
        return inner_->system();
    }
    std::vector<GpuMemory> gpus() override { return inner_->gpus(); }

private:
    std::shared_ptr<MemoryProbe> inner_;
};

}  // namespace samlabel::engine::testing
