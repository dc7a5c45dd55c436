// The control API over the real model stack: ModelSession + ModelWorker
// thread + LocalModelBackend, with the tiny random-weight SAM3 checkpoint in
// tests/data/sam3/tiny224 (hub layout). health -> load -> segment -> unload ->
// health, the mask compared with transformers' reference mask for the same
// prompt; then an unload arriving while an encode runs (held there by the
// session's probe, tests/engine/probe_gate.h).
#include "core/engine/model_session.h"
#include "core/service/control_api_server.h"
#include "core/service/local_model_backend.h"
#include "core/service/model_thread.h"
#include "core/service/model_worker.h"
#include "tests/engine/probe_gate.h"
#include "tests/service/control_api_test_client.h"
#include "tests/service/tiny_sam3_backend.h"

#include <QFile>
#include <QJsonArray>
#include <QScopeGuard>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>

using namespace samlabel;
using namespace samlabel::service;
using namespace samlabel::service::testing;

namespace {

QByteArray read_all(const std::filesystem::path& p) {
    QFile f(QString::fromStdString(p.string()));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

cv::Mat decode_png(const QString& base64, int flags) {
    const QByteArray png = QByteArray::fromBase64(base64.toLatin1());
    return cv::imdecode(cv::Mat(1, int(png.size()), CV_8UC1, const_cast<char*>(png.constData())), flags);
}

double iou(const cv::Mat& a, const cv::Mat& b) {
    cv::Mat ai = a > 0, bi = b > 0;
    const double inter = cv::countNonZero(ai & bi), uni = cv::countNonZero(ai | bi);
    return uni == 0 ? 1.0 : inter / uni;
}

QByteArray json_bytes(const QJsonObject& o) { return QJsonDocument(o).toJson(QJsonDocument::Compact); }

}  // namespace

class TestControlApiModel : public QObject {
    Q_OBJECT

    std::shared_ptr<engine::testing::GatedMemoryProbe> probe_;
    std::shared_ptr<engine::ModelSession> session_;
    std::unique_ptr<ModelThread> thread_;
    std::unique_ptr<LocalModelBackend> backend_;
    std::unique_ptr<ControlApiServer> server_;
    std::unique_ptr<ControlApiTestClient> api_;

private Q_SLOTS:
    void initTestCase() {
        if (!tiny_sam3_present()) QSKIP("tests/data/sam3/tiny224 is missing");
        probe_ = std::make_shared<engine::testing::GatedMemoryProbe>();
        session_ = std::make_shared<engine::ModelSession>(probe_);
        thread_ = std::make_unique<ModelThread>(session_);
        backend_ = make_tiny_sam3_backend(*thread_);
        server_ = std::make_unique<ControlApiServer>(backend_.get());
        QString error;
        const QString token = start_with_random_token(*server_, ModelEndpoints::On, &error);
        QVERIFY2(!token.isEmpty(), qPrintable(error));
        api_ = std::make_unique<ControlApiTestClient>(*server_, token, 120000);  // loads and encodes on the CPU
    }
    void cleanupTestCase() {
        api_.reset();
        server_.reset();
        backend_.reset();
        thread_.reset();
        session_.reset();
    }

    void healthLoadSegmentUnload() {
        HttpResult h = api_->get(QStringLiteral("/health"));
        QCOMPARE(h.status, 200);
        QCOMPARE(h.json.value("model_loaded").toBool(), false);
        QCOMPARE(h.json.value("state").toString(), QStringLiteral("unloaded"));
        QVERIFY(h.json.value("ram_rss_mb").toDouble() > 0);  // measured, not a placeholder

        HttpResult load = api_->post(QStringLiteral("/api/v1/load"));
        QCOMPARE(load.status, 200);
        QCOMPARE(load.json.value("device").toString(), QStringLiteral("cpu"));
        QCOMPARE(load.json.value("dtype").toString(), QStringLiteral("float32"));
        h = api_->get(QStringLiteral("/health"));
        QCOMPARE(h.json.value("model_loaded").toBool(), true);
        QCOMPARE(h.json.value("state").toString(), QStringLiteral("ready"));
        QVERIFY(h.json.value("model_path").toString().endsWith(QStringLiteral("tiny224")));

        // The reference prompt "one_positive_single": one positive point, one mask.
        const QByteArray png = read_all(kTinySam3Dir / "blobs_200x150.png");
        QVERIFY(!png.isEmpty());
        HttpResult enc = api_->post(QStringLiteral("/api/v1/encode"),
                              json_bytes({{"image_base64", QString::fromLatin1(png.toBase64())}, {"image_id", "blobs"}}));
        QCOMPARE(enc.status, 200);
        QCOMPARE(enc.json.value("width").toInt(), 200);
        QCOMPARE(enc.json.value("height").toInt(), 150);
        HttpResult seg = api_->post(QStringLiteral("/api/v1/segment"),
                              json_bytes({{"image_id", "blobs"}, {"points", QJsonArray{QJsonArray{82.0, 55.5, 1}}}, {"multimask", false}}));
        QCOMPARE(seg.status, 200);
        const QJsonArray candidates = seg.json.value("candidates").toArray();
        QCOMPARE(candidates.size(), 1);
        const cv::Mat mask = decode_png(candidates[0].toObject().value("mask_png_base64").toString(), cv::IMREAD_GRAYSCALE);
        const cv::Mat reference = cv::imread((kTinySam3Dir / "blobs_200x150.one_positive_single.mask0.png").string(), cv::IMREAD_GRAYSCALE);
        QCOMPARE(mask.cols, 200);
        QCOMPARE(mask.rows, 150);
        QVERIFY(!reference.empty());
        const double agreement = iou(mask, reference);
        QVERIFY2(agreement >= 0.999, qPrintable(QStringLiteral("IoU with the transformers reference %1").arg(agreement)));
        QVERIFY(!candidates[0].toObject().value("polygons").toArray().isEmpty());

        HttpResult unload = api_->post(QStringLiteral("/api/v1/unload"));
        QCOMPARE(unload.status, 200);
        QCOMPARE(unload.json.value("was_loaded").toBool(), true);
        QVERIFY(unload.json.contains("freed_ram_mb"));
        QCOMPARE(unload.json.value("vram_after_mb").toDouble(), 0.0);  // CPU
        h = api_->get(QStringLiteral("/health"));
        QCOMPARE(h.json.value("model_loaded").toBool(), false);
        QCOMPARE(h.json.value("state").toString(), QStringLiteral("unloaded"));
        QCOMPARE(h.json.value("device").toString(), QString());
        QCOMPARE(int(session_->cache().stats().memory_entries), 0);  // the embeddings went too

        HttpResult late = api_->post(QStringLiteral("/api/v1/segment"),
                               json_bytes({{"image_id", "blobs"}, {"points", QJsonArray{QJsonArray{82.0, 55.5, 1}}}}));
        QCOMPARE(late.status, 409);
    }

    // An unload arriving while an encode runs: the encode completes (200,
    // not dropped), then the model is unloaded (200), and the unload drops
    // what the encode cached. The session's probe holds the encode inside
    // ModelSession::encode (its budget re-check, on the model thread) until
    // the unload has reached the worker, which the GUI's queued image shows:
    // the unload drops it.
    void unloadWhileEncoding() {
        QCOMPARE(api_->post(QStringLiteral("/api/v1/load")).status, 200);
        ModelWorker* worker = thread_->worker();
        QStringList events;  // the worker's answers, in the order it sent them
        connect(worker, &ModelWorker::encoded, this, [&](const QString& id, const engine::EncodeOutcome& outcome) {
            const QString who = id.startsWith(QLatin1String("api-")) ? QStringLiteral("api image") : id;
            events << who + QStringLiteral(": ") + QString::fromLatin1(engine::encode_status_name(outcome.status));
        });
        connect(worker, &ModelWorker::unloaded, this, [&](const engine::UnloadReport& report, bool) {
            events << QStringLiteral("unloaded, embeddings dropped: %1").arg(report.embeddings_dropped);
        });
        const auto disconnect_all = qScopeGuard([&] { worker->disconnect(this); });
        QSignalSpy dropped(worker, &ModelWorker::encodeDropped);

        QThread* model_thread = thread_->thread();
        probe_->gate.holdNext([model_thread] { return QThread::currentThread() == model_thread; });
        const auto release = qScopeGuard([&] { probe_->gate.release(); });
        const QByteArray png = read_all(kTinySam3Dir / "blobs_200x150.png");
        QNetworkReply* encode = api_->postInFlight(QStringLiteral("/api/v1/encode"),
                                                   json_bytes({{"image_base64", QString::fromLatin1(png.toBase64())}}));
        QTRY_VERIFY_WITH_TIMEOUT(probe_->gate.held(), 20000);  // the API's encode runs, holding the model
        worker->requestEncode(QStringLiteral("gui-image"));    // the GUI's image waits behind it
        QNetworkReply* unload = api_->postInFlight(QStringLiteral("/api/v1/unload"));
        QTRY_COMPARE_WITH_TIMEOUT(dropped.size(), 1, 20000);  // the unload reached the worker, mid-encode
        QCOMPARE(dropped.first().first().toString(), QStringLiteral("gui-image"));
        // /health answers while the model is busy; neither request is answered yet.
        QCOMPARE(api_->get(QStringLiteral("/health")).status, 200);
        QVERIFY(!encode->isFinished() && !unload->isFinished());

        probe_->gate.release();
        QTRY_VERIFY_WITH_TIMEOUT(encode->isFinished() && unload->isFinished(), 60000);
        QCOMPARE(encode->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);  // completed, not dropped
        QCOMPARE(unload->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(QJsonDocument::fromJson(unload->readAll()).object().value("was_loaded").toBool(), true);
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 2, 5000);
        QCOMPARE(events, (QStringList{QStringLiteral("api image: encoded"), QStringLiteral("unloaded, embeddings dropped: 1")}));
        QCOMPARE(api_->get(QStringLiteral("/health")).json.value("model_loaded").toBool(), false);
        encode->deleteLater();
        unload->deleteLater();
    }
};

QTEST_MAIN(TestControlApiModel)
#include "test_control_api_model.moc"
