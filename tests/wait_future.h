#pragma once
// Waiting in a test for a QFuture that the event loop completes (the model
// backends answer through queued calls and network replies): one definition
// instead of a copy per test, on Qt Test's own wait (QTest::qWaitFor: events,
// deferred deletes, no busy loop). Each test passes the time it allows.
#include <QFuture>
#include <QTest>

namespace samlabel::future_wait {

// True when the future finished within timeout_ms; the events meanwhile are processed.
template <typename T>
bool wait_finished(const QFuture<T>& future, int timeout_ms) {
    return QTest::qWaitFor([&future] { return future.isFinished(); }, timeout_ms);
}

// The future's result; a future that does not finish within timeout_ms ends
// the test binary (qFatal): the test cannot go on without the answer.
template <typename T>
T wait_result(QFuture<T> future, int timeout_ms) {
    if (!wait_finished(future, timeout_ms)) qFatal("future not finished in %d ms", timeout_ms);
    return future.result();
}

}  // namespace samlabel::future_wait
