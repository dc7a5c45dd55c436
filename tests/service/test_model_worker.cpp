// ModelWorker on its own thread: latest click wins, latest detect wins (after
// clicks), encode-ahead, unload during a load, auto-unload, and the longest
// stall of the GUI thread's event loop while a load runs (target under 50 ms).
#include "core/engine/memory_probe.h"
#include "core/service/model_thread.h"
#include "core/service/model_worker.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>

using namespace samlabel;
using engine::SessionState;

namespace {

std::filesystem::path tiny_checkpoint() { return std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3" / "tiny224"; }
// With the detector and its tokenizer.
std::filesystem::path detect_checkpoint() { return std::filesystem::path(SAMLABEL_TEST_DATA) / "sam3_detect" / "det224"; }

engine::ImageRgb8 test_image(int w, int h, int seed) {
    engine::ImageRgb8 img{w, h, std::vector<std::uint8_t>(std::size_t(w) * h * 3)};
    for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = std::uint8_t((i * (7 + seed)) >> 3);
    return img;
}

engine::LoadRequest cpu_fp32(const std::filesystem::path& dir) {
    engine::LoadRequest r;
    r.checkpoint_dir = dir;
    r.device = engine::DeviceSpec{engine::DeviceKind::Cpu, 0};
    r.dtype = engine::WeightDType::F32;
    return r;
}

// Synthetic images by id; optionally blocks inside the loader until released,
// so a test can hold the worker busy at a known point.
struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool closed = false;
    bool entered = false;
    QStringList loaded;
    void close() {
        std::lock_guard l(m);
        closed = true;
        entered = false;
    }
    void open() {
        {
            std::lock_guard l(m);
            closed = false;
        }
        cv.notify_all();
    }
    bool waitEntered(int ms) {
        std::unique_lock l(m);
        return cv.wait_for(l, std::chrono::milliseconds(ms), [&] { return entered; });
    }
    service::ModelWorker::ImageLoader loader() {
        return [this](const QString& id, QString*) -> std::optional<service::ModelImage> {
            {
                std::unique_lock l(m);
                entered = true;
                loaded.push_back(id);
                cv.notify_all();
                cv.wait(l, [&] { return !closed; });
            }
            return service::ModelImage{test_image(200, 150, int(qHash(id) % 50)), "content-" + id.toStdString()};
        };
    }
};

engine::ClickPrompt click(float x, float y) {
    engine::ClickPrompt p;
    p.points.push_back(engine::PointPrompt{x, y, engine::PointLabel::Positive});
    return p;
}

}  // namespace

class TestModelWorker : public QObject {
    Q_OBJECT
    std::filesystem::path medium_;

    bool loadAndWait(service::ModelWorker* worker, const std::filesystem::path& dir,
                     engine::PartSet parts = engine::PartSet::ClickToSegment) {
        // Heard through a queued connection: a QSignalSpy's wait() started after
        // the model thread already emitted waits for a second signal (it failed a
        // fresh-clone run that way, after 60 s), and Qt 6.4's spy appends from the
        // emitting thread without a lock.
        std::optional<engine::LoadOutcome> outcome;
        QEventLoop loop;
        const auto connection = QObject::connect(
            worker, &service::ModelWorker::loadFinished, &loop,
            [&](const engine::LoadOutcome& o) {
                outcome = o;
                loop.quit();
            },
            Qt::QueuedConnection);
        engine::LoadRequest request = cpu_fp32(dir);
        request.parts = parts;
        worker->requestLoad(request, engine::BudgetSettings{});
        QTimer::singleShot(60000, &loop, &QEventLoop::quit);
        loop.exec();
        QObject::disconnect(connection);
        return outcome && outcome->ok();
    }

private Q_SLOTS:
    void initTestCase() {
        const QString out = QStringLiteral(SAMLABEL_BINARY_DIR) + "/test-data/sam3-session-medium";
        if (!QFileInfo::exists(out + "/model.safetensors") && !QStringLiteral(SAMLABEL_PYTHON).isEmpty()) {
            QDir().mkpath(QFileInfo(out).absolutePath());
            QProcess p;
            p.start(QStringLiteral(SAMLABEL_PYTHON),
                    {QStringLiteral(SAMLABEL_SOURCE_DIR) + "/tests/engine/make_session_checkpoint.py", out});
            QVERIFY(p.waitForFinished(180000));
            QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        }
        if (QFileInfo::exists(out + "/model.safetensors")) medium_ = out.toStdString();
    }

    void latestClickWins() {
        service::ModelThread thread(std::make_shared<engine::ModelSession>());
        service::ModelWorker* worker = thread.worker();
        Gate gate;
        worker->setImageLoader(gate.loader());
        QVERIFY(loadAndWait(worker, tiny_checkpoint()));

        QSignalSpy segmented(worker, &service::ModelWorker::segmented);
        QSignalSpy dropped(worker, &service::ModelWorker::segmentDropped);
        gate.close();
        const quint64 first = worker->requestSegment("img", click(10, 10));
        QVERIFY(gate.waitEntered(10000));  // the worker is inside the first click's encode
        QList<quint64> later;
        for (int i = 0; i < 8; ++i) later.push_back(worker->requestSegment("img", click(20.f + i, 30.f)));
        gate.open();
        QTRY_COMPARE_WITH_TIMEOUT(segmented.size(), 2, 20000);
        QTest::qWait(100);  // nothing else may arrive
        QCOMPARE(segmented.size(), 2);
        QCOMPARE(segmented.at(0).at(0).toULongLong(), first);
        QCOMPARE(segmented.at(1).at(0).toULongLong(), later.last());  // the newest; the 7 between were dropped
        QCOMPARE(worker->droppedSegmentRequests(), 7u);
        QCOMPARE(dropped.size(), 7);  // each dropped request is announced, oldest first
        for (int i = 0; i < 7; ++i) QCOMPARE(dropped.at(i).at(0).toULongLong(), later.at(i));
        const auto result = segmented.at(1).at(2).value<service::Handoff<engine::SegmentResult>>().get();
        QVERIFY(!result.candidates.empty());
        QCOMPARE(gate.loaded.size(), 1);  // encoded once, then served from the cache
    }

    // Detects queue like clicks (only the newest pending one runs, the others
    // are announced dropped) and come after a pending click; one encode of the
    // image serves both.
    void latestDetectWinsAfterClicks() {
        QVERIFY2(std::filesystem::exists(detect_checkpoint() / "model.safetensors"), "tests/data/sam3_detect/det224 is missing");
        Gate gate;  // outlives the worker, which may still be reading through it
        service::ModelThread thread(std::make_shared<engine::ModelSession>());
        const auto reopen = qScopeGuard([&] { gate.open(); });  // a failed check must not leave the worker blocked
        service::ModelWorker* worker = thread.worker();
        worker->setImageLoader(gate.loader());
        QVERIFY(loadAndWait(worker, detect_checkpoint(), engine::PartSet::ClickAndDetect));

        std::mutex order_mutex;
        QStringList order;  // what the worker answered, in order (direct: recorded on the worker thread)
        auto note = [&](const QString& what) {
            std::lock_guard l(order_mutex);
            order.push_back(what);
        };
        connect(worker, &service::ModelWorker::segmented, this, [&](quint64) { note(QStringLiteral("segmented")); }, Qt::DirectConnection);
        connect(worker, &service::ModelWorker::detected, this, [&](quint64 id) { note(QStringLiteral("detected %1").arg(id)); },
                Qt::DirectConnection);
        QSignalSpy failed(worker, &service::ModelWorker::detectFailed);
        QSignalSpy dropped(worker, &service::ModelWorker::detectDropped);

        gate.close();
        worker->requestEncode("img");
        QVERIFY(gate.waitEntered(10000));  // the worker is inside the encode's image read
        QList<quint64> detects;
        for (int i = 0; i < 4; ++i) detects.push_back(worker->requestDetect("img", engine::DetectPrompt{"red car", {}}, {}));
        worker->requestSegment("img", click(50, 50));  // asked last, answered first
        QCOMPARE(dropped.size(), 3);  // announced at once, oldest first
        for (int i = 0; i < 3; ++i) QCOMPARE(dropped.at(i).at(0).toULongLong(), detects.at(i));
        QCOMPARE(worker->droppedDetectRequests(), 3u);
        gate.open();
        QTRY_COMPARE_WITH_TIMEOUT(order.size(), 2, 30000);
        QTest::qWait(100);  // nothing else may arrive
        QCOMPARE(order, (QStringList{QStringLiteral("segmented"), QStringLiteral("detected %1").arg(detects.last())}));
        QCOMPARE(failed.size(), 0);
        QCOMPARE(gate.loaded.size(), 1);  // one encode served the click and the detect

        // An unload drops a pending detect, announced.
        gate.close();
        worker->requestEncode("img2");
        QVERIFY(gate.waitEntered(10000));
        const quint64 pending = worker->requestDetect("img2", engine::DetectPrompt{"red car", {}}, {});
        worker->requestUnload();
        QCOMPARE(dropped.size(), 4);
        QCOMPARE(dropped.last().at(0).toULongLong(), pending);
        QSignalSpy unloaded(worker, &service::ModelWorker::unloaded);
        gate.open();
        QTRY_VERIFY_WITH_TIMEOUT(!unloaded.isEmpty(), 20000);
    }

    // A click-only model refuses detection before encoding anything; adding the
    // detect parts (requestAddParts) makes it answer, with the image encoded again.
    void detectNeedsTheDetectParts() {
        Gate gate;  // never closed here: synthetic images only
        service::ModelThread thread(std::make_shared<engine::ModelSession>());
        service::ModelWorker* worker = thread.worker();
        worker->setImageLoader(gate.loader());
        QVERIFY(loadAndWait(worker, detect_checkpoint(), engine::PartSet::ClickToSegment));
        QSignalSpy started(worker, &service::ModelWorker::encodeStarted);
        QSignalSpy segmented(worker, &service::ModelWorker::segmented);
        worker->requestSegment("img", click(20, 20));
        QTRY_VERIFY_WITH_TIMEOUT(!segmented.isEmpty(), 20000);  // not wait(): the signal may already be in
        QCOMPARE(started.size(), 1);

        QSignalSpy failed(worker, &service::ModelWorker::detectFailed);
        worker->requestDetect("img", engine::DetectPrompt{"red car", {}}, {});
        QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), 20000);
        QCOMPARE(failed.first().at(3).value<service::DetectFailure>(), service::DetectFailure::DetectionNotLoaded);
        QCOMPARE(started.size(), 1);  // refused before any encode

        QSignalSpy added(worker, &service::ModelWorker::partsAdded);
        QSignalSpy load_finished(worker, &service::ModelWorker::loadFinished);
        worker->requestAddParts(engine::PartSet::DetectOnly, engine::BudgetSettings{});
        QTRY_VERIFY_WITH_TIMEOUT(!added.isEmpty(), 60000);
        const auto outcome = added.first().first().value<engine::LoadOutcome>();
        QVERIFY2(outcome.ok(), outcome.message.c_str());
        QCOMPARE(load_finished.size(), 0);  // the model panel's load state is untouched
        QCOMPARE(worker->session()->model_info()->request.parts, engine::PartSet::ClickAndDetect);

        QSignalSpy detected(worker, &service::ModelWorker::detected);
        worker->requestDetect("img", engine::DetectPrompt{"red car", {}}, {});
        QTRY_VERIFY_WITH_TIMEOUT(!detected.isEmpty(), 20000);
        QCOMPARE(started.size(), 2);  // the embedding from before lacked the detector's features
        QVERIFY(!detected.first().at(2).value<service::Handoff<engine::DetectResult>>().get().detections.empty());
    }

    void encodesAheadAndServesClicksFromTheCache() {
        service::ModelThread thread(std::make_shared<engine::ModelSession>());
        service::ModelWorker* worker = thread.worker();
        Gate gate;
        worker->setImageLoader(gate.loader());
        QVERIFY(loadAndWait(worker, tiny_checkpoint()));
        QSignalSpy encoded(worker, &service::ModelWorker::encoded);
        worker->requestEncode("current");
        worker->setEncodeAhead({"next1", "next2"});
        QTRY_COMPARE_WITH_TIMEOUT(encoded.size(), 3, 20000);
        QCOMPARE(encoded.at(0).at(0).toString(), QStringLiteral("current"));  // the image on screen goes first
        QSignalSpy started(worker, &service::ModelWorker::encodeStarted);
        QSignalSpy segmented(worker, &service::ModelWorker::segmented);
        worker->requestSegment("next2", click(50, 50));
        QTRY_VERIFY_WITH_TIMEOUT(!segmented.isEmpty(), 10000);
        QCOMPARE(started.size(), 0);  // already encoded ahead: no second encode
    }

    // A click on an encoded image does not wait for an encode-ahead (issue
    // 13, item 4): it is answered between two of the encode's steps, and the
    // encode then goes on to its end. The encode is made slow and held at a
    // known point by a slot connected directly to encodeProgress (it runs on
    // the model thread, between two trunk layers): the click is requested
    // while the encode waits there, so the test does not depend on timing.
    void clickOnAnEncodedImageDoesNotWaitForEncodeAhead() {
        service::ModelThread thread(std::make_shared<engine::ModelSession>());
        service::ModelWorker* worker = thread.worker();
        Gate gate;
        worker->setImageLoader(gate.loader());
        QVERIFY(loadAndWait(worker, tiny_checkpoint()));
        QSignalSpy encoded(worker, &service::ModelWorker::encoded);
        worker->requestEncode("on-screen");
        QTRY_VERIFY_WITH_TIMEOUT(!encoded.isEmpty(), 20000);

        std::mutex m;
        std::condition_variable cv;
        bool in_step = false, clicked = false;
        QList<int> steps_seen;
        int steps_total = 0;
        QObject::connect(
            worker, &service::ModelWorker::encodeProgress, worker,
            [&](const QString& id, int step, int steps, double) {
                if (id != QStringLiteral("ahead")) return;
                std::unique_lock l(m);
                steps_seen.push_back(step);
                steps_total = steps;
                if (step != 1) return;
                in_step = true;
                cv.notify_all();
                cv.wait_for(l, std::chrono::seconds(20), [&] { return clicked; });
            },
            Qt::DirectConnection);
        QSignalSpy segmented(worker, &service::ModelWorker::segmented);
        QList<QString> order;  // what the test thread heard, in order
        QObject::connect(worker, &service::ModelWorker::segmented, this, [&] { order.push_back(QStringLiteral("click")); });
        QObject::connect(worker, &service::ModelWorker::encoded, this,
                         [&](const QString& id) { order.push_back(QStringLiteral("encoded ") + id); });
        worker->setEncodeAhead({"ahead"});
        {
            std::unique_lock l(m);
            QVERIFY(cv.wait_for(l, std::chrono::seconds(20), [&] { return in_step; }));  // the encode-ahead is after its first layer
        }
        const quint64 id = worker->requestSegment("on-screen", click(50, 50));
        {
            std::lock_guard l(m);
            clicked = true;
        }
        cv.notify_all();
        QTRY_COMPARE_WITH_TIMEOUT(order.size(), 2, 20000);
        QCOMPARE(order.at(0), QStringLiteral("click"));  // answered inside the encode...
        QCOMPARE(order.at(1), QStringLiteral("encoded ahead"));  // ...which then finished
        QCOMPARE(segmented.first().at(0).toULongLong(), id);
        QVERIFY(!segmented.first().at(2).value<service::Handoff<engine::SegmentResult>>().get().candidates.empty());
        QCOMPARE(encoded.last().at(1).value<engine::EncodeOutcome>().status, engine::EncodeStatus::Encoded);
        // Progress: every trunk layer, then the path features, in order.
        QVERIFY(steps_total >= 2);
        QCOMPARE(steps_seen.size(), steps_total);
        for (int i = 0; i < steps_seen.size(); ++i) QCOMPARE(steps_seen.at(i), i + 1);
        // The click did not encode anything again.
        QCOMPARE(gate.loaded.count(QStringLiteral("on-screen")), 1);
    }

    // An unload asked for while a load streams cancels it: the load answers
    // Cancelled (never Loaded), streams nothing more, and the unload then
    // finds nothing loaded. Asked from inside the load's first progress report
    // (on the model thread, while the load runs), so it always lands mid-load;
    // the load checks for a cancel after every tensor, the last one included.
    void unloadDuringALoadCancelsIt() {
        service::ModelThread thread(std::make_shared<engine::ModelSession>());
        service::ModelWorker* worker = thread.worker();
        QSignalSpy finished(worker, &service::ModelWorker::loadFinished);
        QSignalSpy unloaded(worker, &service::ModelWorker::unloaded);
        QSignalSpy states(worker, &service::ModelWorker::stateChanged);
        std::atomic<bool> asked{false};
        std::atomic<int> progress_at_ask{-1}, progress_reports{0};
        connect(
            worker, &service::ModelWorker::loadProgress, worker,
            [worker, &asked, &progress_at_ask, &progress_reports] {
                const int n = ++progress_reports;
                if (!asked.exchange(true)) {
                    progress_at_ask = n;
                    worker->requestUnload();
                }
            },
            Qt::DirectConnection);
        worker->requestLoad(cpu_fp32(tiny_checkpoint()), engine::BudgetSettings{});
        QVERIFY(unloaded.wait(20000));
        QVERIFY(asked.load());
        QCOMPARE(finished.size(), 1);  // the load answered before the unload
        const auto outcome = finished.first().first().value<engine::LoadOutcome>();
        QVERIFY2(outcome.status == engine::LoadStatus::Cancelled,
                 qPrintable(QStringLiteral("the load ended %1: %2")
                                .arg(QString::fromLatin1(engine::load_status_name(outcome.status)), QString::fromStdString(outcome.message))));
        QCOMPARE(progress_reports.load(), progress_at_ask.load());  // not one progress report after the unload was asked
        QVERIFY(!unloaded.first().first().value<engine::UnloadReport>().was_loaded);  // the cancelled load left nothing
        QCOMPARE(worker->state(), SessionState::Unloaded);
        QCOMPARE(states.last().first().value<SessionState>(), SessionState::Unloaded);
    }

    void autoUnloadAfterIdle() {
        service::ModelThread thread(std::make_shared<engine::ModelSession>());
        service::ModelWorker* worker = thread.worker();
        worker->setAutoUnloadAfterMs(300);
        QSignalSpy unloaded(worker, &service::ModelWorker::unloaded);
        QElapsedTimer t;
        QVERIFY(loadAndWait(worker, tiny_checkpoint()));
        t.start();
        QTRY_VERIFY_WITH_TIMEOUT(!unloaded.isEmpty(), 5000);
        QVERIFY(unloaded.first().at(1).toBool());  // automatic
        QVERIFY(t.elapsed() >= 250);
        QCOMPARE(worker->state(), SessionState::Unloaded);

        // Off (0) by default: a loaded model stays.
        worker->setAutoUnloadAfterMs(0);
        QVERIFY(loadAndWait(worker, tiny_checkpoint()));
        QVERIFY(!unloaded.wait(800));
        QCOMPARE(worker->state(), SessionState::Ready);
    }

    // The GUI thread's event loop must never wait on the model: a 5 ms timer
    // records the longest gap between its ticks while a load (and an encode)
    // runs on the worker and its progress signals arrive here.
    void eventLoopNeverStallsDuringALoad() {
        // SAMLABEL_STALL_CHECKPOINT=DIR measures with another checkpoint (e.g.
        // the full-size benchmark one); CI uses the mid-size one.
        const QString override_dir = qEnvironmentVariable("SAMLABEL_STALL_CHECKPOINT");
        if (override_dir.isEmpty() && medium_.empty())
            QSKIP("needs SAMLABEL_PYTHON (transformers) to write the mid-size checkpoint; the tiny one loads too fast to measure");
        const std::filesystem::path dir = !override_dir.isEmpty() ? std::filesystem::path(override_dir.toStdString()) : medium_;
        service::ModelThread thread(std::make_shared<engine::ModelSession>());
        service::ModelWorker* worker = thread.worker();
        Gate gate;
        worker->setImageLoader(gate.loader());
        QElapsedTimer clock;
        qint64 last = -1, max_gap = 0, ticks = 0;
        QTimer timer;
        timer.setTimerType(Qt::PreciseTimer);
        timer.setInterval(5);
        connect(&timer, &QTimer::timeout, this, [&] {
            const qint64 now = clock.elapsed();
            if (last >= 0) max_gap = std::max(max_gap, now - last);
            last = now;
            ++ticks;
        });
        int progress_signals = 0;
        connect(worker, &service::ModelWorker::loadProgress, this, [&] { ++progress_signals; });
        QSignalSpy finished(worker, &service::ModelWorker::loadFinished);
        QSignalSpy encoded(worker, &service::ModelWorker::encoded);
        clock.start();
        timer.start();
        worker->requestLoad(cpu_fp32(dir), engine::BudgetSettings{});
        worker->requestEncode("first-image");
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 120000);
        QTRY_VERIFY_WITH_TIMEOUT(!encoded.isEmpty(), 300000);
        const qint64 busy_ms = clock.elapsed();
        timer.stop();
        qInfo("event loop: %lld ticks in %lld ms of load + encode, %d progress signals, longest gap %lld ms", ticks,
              busy_ms, progress_signals, max_gap);
        QVERIFY(finished.first().first().value<engine::LoadOutcome>().ok());
        QVERIFY2(max_gap < 50, qPrintable(QStringLiteral("the event loop stalled for %1 ms").arg(max_gap)));
    }
};

QTEST_GUILESS_MAIN(TestModelWorker)
#include "test_model_worker.moc"
