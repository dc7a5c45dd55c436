// Handoff (core/service/handoff.h): a model answer crosses a queued signal to
// the caller that asked for it without its masks being copied; a listener may
// look before the take; a second take is refused.
#include "core/service/handoff.h"

#include <QObject>
#include <QSignalSpy>
#include <QTest>
#include <QSemaphore>
#include <QThread>

#include <atomic>
#include <stdexcept>
#include <vector>

using samlabel::service::Handoff;

namespace {

// A stand-in for a click's answer that counts its copies (moves are free).
struct Masks {
    static inline std::atomic<int> copies{0};
    std::vector<int> pixels;
    Masks() = default;
    explicit Masks(std::vector<int> p) : pixels(std::move(p)) {}
    Masks(const Masks& other) : pixels(other.pixels) { ++copies; }
    Masks& operator=(const Masks& other) {
        pixels = other.pixels;
        ++copies;
        return *this;
    }
    Masks(Masks&&) noexcept = default;
    Masks& operator=(Masks&&) noexcept = default;
};

}  // namespace

Q_DECLARE_METATYPE(Handoff<Masks>)

// Emits from whichever thread calls it, as the model worker does.
class Emitter : public QObject {
    Q_OBJECT
Q_SIGNALS:
    void answered(Handoff<Masks> answer);
};

class TestHandoff : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<Handoff<Masks>>(); }

    // As the model thread answers: emitted on its own thread, received queued
    // here, taken. A spy listens too (the model worker's tests do) and looks
    // at it on the emitting thread, before the take.
    void theCallerTakesTheAnswerWithoutACopy() {
        Emitter emitter;
        std::vector<int> seen_by_listener;
        connect(&emitter, &Emitter::answered, &emitter,
                [&](const Handoff<Masks>& answer) { seen_by_listener = answer.get().pixels; }, Qt::DirectConnection);
        Masks taken;
        bool received = false;
        connect(&emitter, &Emitter::answered, this, [&](const Handoff<Masks>& answer) {
            taken = answer.take();
            received = true;
        });
        Masks::copies = 0;
        // The emitting thread still runs (it holds its own handle) when the answer is taken.
        QSemaphore taken_here;
        QThread* thread = QThread::create([&] {
            const Handoff<Masks> answer(Masks({1, 2, 3}));
            Q_EMIT emitter.answered(answer);
            taken_here.tryAcquire(1, 10000);
        });
        thread->start();
        QTRY_VERIFY_WITH_TIMEOUT(received, 10000);
        taken_here.release();
        QVERIFY(thread->wait(10000));
        delete thread;
        QCOMPARE(taken.pixels, (std::vector<int>{1, 2, 3}));
        QCOMPARE(seen_by_listener, (std::vector<int>{1, 2, 3}));
        QCOMPARE(Masks::copies.load(), 0);
    }

    void takingTwiceOrLookingAfterTheTakeThrows() {
        const Handoff<Masks> first(Masks({4, 5}));
        const Handoff<Masks> second = first;  // a pointer copy
        QCOMPARE(second.get().pixels, (std::vector<int>{4, 5}));
        QCOMPARE(second.take().pixels, (std::vector<int>{4, 5}));
        QVERIFY_THROWS_EXCEPTION(std::logic_error, first.take());
        QVERIFY_THROWS_EXCEPTION(std::logic_error, first.get());
        QVERIFY_THROWS_EXCEPTION(std::logic_error, Handoff<Masks>().take());
    }
};

QTEST_GUILESS_MAIN(TestHandoff)
#include "test_handoff.moc"
