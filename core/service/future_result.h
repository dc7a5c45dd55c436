#pragma once
// Reading a finished QFuture's answer without copying it. QFuture::result()
// and a `.then([](const T&) ...)` continuation both copy the result (Qt 6.4
// passes parentFuture.result() to the continuation), and a click's or a
// detection's answer carries megabytes of masks: each copy into fresh memory
// costs a millisecond or more on a large image. Qt 6.4's takeResult() resets
// the future while its own continuation runs, so it cannot be used there.
//
// Use in a continuation that takes the parent future itself:
//   backend->segment(id, prompt).then(ctx, [](QFuture<SegmentReply> f) { use(only_result(f)); });
#include <QFuture>

#include <utility>

namespace samlabel::service {

// The future's first result, by reference into the future's own store (valid
// while `future` lives). The future must be finished with a result
// (has_result()).
template <typename T>
const T& only_result(const QFuture<T>& future) {
    return *future.constBegin();
}

template <typename T>
bool has_result(const QFuture<T>& future) {
    return future.isFinished() && future.resultCount() > 0;
}

// Moves the first result out, for the future's only reader: a second reader
// would find a moved-from value. The store holds a non-const T, so moving out
// of it is well defined.
template <typename T>
T take_only_result(const QFuture<T>& future) {
    return std::move(const_cast<T&>(*future.constBegin()));
}

}  // namespace samlabel::service
