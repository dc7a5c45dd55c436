// LocalModelBackend answers requests the worker's queue drops. A newer click
// (detect) on the same image from the same source supersedes ours, an unload
// drops everything pending; the worker announces it (segmentDropped /
// encodeDropped / detectDropped) and never answers it. The backend's futures must then finish
// with Cancelled instead of waiting forever (an HTTP client would hang).
// Deterministic: the worker is kept busy by an image loader that blocks until
// the test releases it, so our requests are certainly still pending.
#include "core/service/image_source.h"
#include "core/service/local_model_backend.h"
#include "core/service/model_thread.h"
#include "core/service/model_worker.h"
#include "tests/wait_future.h"

#include <QSemaphore>
#include <QtTest>

#include <algorithm>
#include <filesystem>

using namespace samlabel;
using namespace samlabel::service;

namespace {
const std::filesystem::path kTiny = SAMLABEL_TEST_DATA "/sam3/tiny224";
const QString kSample = QStringLiteral(SAMLABEL_SOURCE_DIR "/resources/samples/coffee.jpg");
const QString kBlocking = QStringLiteral("blocking-image");

using future_wait::wait_finished;  // tests/wait_future.h
}  // namespace

class TestLocalBackendDropped : public QObject {
    Q_OBJECT
    std::unique_ptr<ModelThread> thread_;
    std::unique_ptr<LocalModelBackend> backend_;
    QSemaphore entered_, release_;

private Q_SLOTS:
    void initTestCase() {
        if (!std::filesystem::exists(kTiny / "model.safetensors")) QSKIP("tests/data/sam3/tiny224 is missing");
        thread_ = std::make_unique<ModelThread>(std::make_shared<engine::ModelSession>());
        backend_ = std::make_unique<LocalModelBackend>(thread_->worker());
        // Set while the worker is idle (before any job), as serve does; uploads
        // through the backend's store, files through this test's reader.
        backend_->installImageLoader([this](const QString& id, QString* error) -> std::optional<ModelImage> {
            if (id.startsWith(kBlocking)) {
                entered_.release();
                release_.acquire();
                return read_model_image(kSample, error);
            }
            return read_model_image(id, error);
        });
        backend_->setLocalFilesAllowed(true);
        engine::LoadRequest request;
        request.checkpoint_dir = kTiny;
        request.device.kind = engine::DeviceKind::Cpu;
        request.dtype = engine::WeightDType::F32;
        backend_->setLoadRequest(request, engine::BudgetSettings{});
        QFuture<LoadReply> loaded = backend_->reload();
        QVERIFY(wait_finished(loaded, 60000));
        QVERIFY2(loaded.result().ok(), qPrintable(loaded.result().message));
    }
    void cleanupTestCase() {
        release_.release(10);
        backend_.reset();
        thread_.reset();
    }

    void droppedClickIsAnsweredCancelled() {
        ModelWorker* worker = thread_->worker();
        worker->requestEncode(kBlocking);
        QVERIFY(entered_.tryAcquire(1, 30000));  // the worker thread is inside the loader now
        engine::ClickPrompt prompt;
        prompt.points.push_back({100.f, 100.f, engine::PointLabel::Positive});
        QFuture<SegmentReply> ours = backend_->segment(kSample, prompt);
        QVERIFY(!ours.isFinished());  // pending in the worker behind the blocked encode
        // Another caller clicks: the worker keeps only the newest click.
        QSignalSpy dropped(worker, &ModelWorker::segmentDropped);
        const quint64 theirs = worker->requestSegment(kSample, prompt);
        QCOMPARE(dropped.count(), 1);
        QVERIFY(ours.isFinished());  // answered at once, not after the worker's next task
        QCOMPARE(ours.result().error, BackendError::Cancelled);
        QVERIFY(ours.result().message.contains("dropped"));

        // The other caller's click runs once the worker is free; then the
        // backend takes new clicks (it is not stuck on the dropped one).
        QSignalSpy theirs_done(worker, &ModelWorker::segmented);
        release_.release();
        QTRY_VERIFY_WITH_TIMEOUT(!theirs_done.isEmpty(), 60000);
        QCOMPARE(theirs_done.front().front().toULongLong(), theirs);
        QFuture<SegmentReply> next = backend_->segment(kSample, prompt);
        QVERIFY(wait_finished(next, 60000));
        QVERIFY2(next.result().ok(), qPrintable(next.result().message));
        QVERIFY(!next.result().result.candidates.empty());
    }

    // An API upload's encode is its own source in the worker's queue: the
    // GUI's next image does not cancel it (both are encoded). An unload drops
    // it, answered Cancelled at once.
    void apiEncodeOutlivesTheGuisNextImageNotAnUnload() {
        ModelWorker* worker = thread_->worker();
        worker->requestEncode(kBlocking + QStringLiteral("-2"));  // a new id: read (and blocked) again
        QVERIFY(entered_.tryAcquire(1, 30000));
        QString error;
        auto image = read_model_image(QStringLiteral(SAMLABEL_SOURCE_DIR "/resources/samples/camera.jpg"), &error);
        QVERIFY2(image, qPrintable(error));
        QFuture<EncodeReply> ours = backend_->encode(image->image, QStringLiteral("camera"));
        QVERIFY(!ours.isFinished());
        // The GUI shows another image: a request of another source.
        QSignalSpy dropped(worker, &ModelWorker::encodeDropped);
        QSignalSpy encoded(worker, &ModelWorker::encoded);
        const QString other = QStringLiteral(SAMLABEL_SOURCE_DIR "/resources/samples/rocket.jpg");  // not encoded yet
        worker->requestEncode(other);
        QCOMPARE(dropped.count(), 0);
        QVERIFY(!ours.isFinished());
        release_.release();
        QVERIFY(wait_finished(ours, 60000));
        QVERIFY2(ours.result().ok(), qPrintable(ours.result().message));
        QCOMPARE(ours.result().image_id, QStringLiteral("camera"));
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(encoded.begin(), encoded.end(),
                                             [&](const QList<QVariant>& e) { return e.front().toString() == other; }),
                                 60000);

        // An unload drops a pending encode and answers it.
        worker->requestEncode(kBlocking + QStringLiteral("-4"));
        QVERIFY(entered_.tryAcquire(1, 30000));
        engine::ImageRgb8 pixels{64, 48, std::vector<std::uint8_t>(64 * 48 * 3, 77)};  // never encoded before
        QFuture<EncodeReply> pending = backend_->encode(pixels, QStringLiteral("grey"));
        QVERIFY(!pending.isFinished());
        QFuture<UnloadReply> unloaded = backend_->unload();
        QVERIFY(pending.isFinished());  // at once, not after the running encode
        QCOMPARE(pending.result().error, BackendError::Cancelled);
        QVERIFY(pending.result().message.contains("unload"));
        release_.release();
        QVERIFY(wait_finished(unloaded, 60000));
    }

    // The same for detection (the worker keeps one pending detect too). Last:
    // it loads the tiny detection checkpoint instead.
    void droppedDetectIsAnsweredCancelled() {
        const std::filesystem::path det224 = SAMLABEL_TEST_DATA "/sam3_detect/det224";
        QVERIFY2(std::filesystem::exists(det224 / "model.safetensors"), "tests/data/sam3_detect/det224 is missing");
        engine::LoadRequest request;
        request.checkpoint_dir = det224;
        request.device.kind = engine::DeviceKind::Cpu;
        request.dtype = engine::WeightDType::F32;
        request.parts = engine::PartSet::ClickAndDetect;
        backend_->setLoadRequest(request, engine::BudgetSettings{});
        QFuture<LoadReply> loaded = backend_->reload();
        QVERIFY(wait_finished(loaded, 60000));
        QVERIFY2(loaded.result().ok(), qPrintable(loaded.result().message));

        ModelWorker* worker = thread_->worker();
        worker->requestEncode(kBlocking + QStringLiteral("-3"));
        QVERIFY(entered_.tryAcquire(1, 30000));
        const engine::DetectPrompt prompt{"red car", {}};
        QFuture<DetectReply> ours = backend_->detect(kSample, prompt, {});
        QVERIFY(!ours.isFinished());
        QSignalSpy dropped(worker, &ModelWorker::detectDropped);
        const quint64 theirs = worker->requestDetect(kSample, prompt, {});
        QCOMPARE(dropped.count(), 1);
        QVERIFY(ours.isFinished());
        QCOMPARE(ours.result().error, BackendError::Cancelled);
        QVERIFY(ours.result().message.contains("dropped"));

        // Heard on this thread (queued): a QSignalSpy appends from the model
        // thread while this one reads it, a data race (Qt 6.4's spy has no lock).
        QList<quint64> theirs_done;
        const QMetaObject::Connection heard = connect(worker, &ModelWorker::detected, this,
                                                      [&](quint64 id) { theirs_done.push_back(id); });
        release_.release();
        QTRY_VERIFY_WITH_TIMEOUT(!theirs_done.isEmpty(), 60000);
        disconnect(heard);
        QCOMPARE(theirs_done.front(), theirs);
        QFuture<DetectReply> next = backend_->detect(kSample, prompt, {});
        QVERIFY(wait_finished(next, 60000));
        QVERIFY2(next.result().ok(), qPrintable(next.result().message));
        // A local file: the size comes from the masks (no upload store).
        if (!next.result().result.detections.empty()) QVERIFY(next.result().width > 0);
    }
};

QTEST_MAIN(TestLocalBackendDropped)
#include "test_local_backend_dropped.moc"
