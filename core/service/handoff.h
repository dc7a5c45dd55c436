#pragma once
// A model answer handed from the model thread to the one caller that asked
// for it, through a queued signal. A queued signal copies its arguments; a
// click's answer is three full-size masks (3.7 MB at 1280x960) and a
// detection's one per instance, and copying them into the event and out of it
// cost a click more than the click channel does (measured: about 0.6 ms of a
// 3 ms in-process click on the tiny checkpoint, 1.2 ms on the full-size one).
//
// Copying a Handoff copies a pointer. The caller that asked takes the value
// (moved out, no copy); anyone else listening (a QSignalSpy, another caller
// that sees a request id not its own) may only look at it, and only before it
// is taken. Why not "move when mine is the last handle": the model thread's
// own handle outlives the post by a moment, and on a busy machine the receiver
// often runs in that moment (the copy it fell back to was measured, every time).
// Taking twice, or looking after the take, is a bug and throws.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <utility>

namespace samlabel::service {

template <typename T>
class Handoff {
public:
    Handoff() = default;
    explicit Handoff(T value) : state_(std::make_shared<State>(std::move(value))) {}

    const T& get() const {
        if (!state_ || state_->taken.load()) throw std::logic_error("Handoff: looked at after it was taken");
        return state_->value;
    }

    T take() const {
        if (!state_ || state_->taken.exchange(true)) throw std::logic_error("Handoff: taken twice");
        return std::move(state_->value);
    }

private:
    struct State {
        explicit State(T v) : value(std::move(v)) {}
        T value;
        std::atomic<bool> taken{false};
    };
    std::shared_ptr<State> state_;
};

}  // namespace samlabel::service
