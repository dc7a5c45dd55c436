// The GUI's remote model backend against a real control API server (fake
// model behind it) on loopback: polling status and memory, load, encode,
// segment (the mask comes back through PNG intact), unload, and the failure
// modes (wrong token, server down).
#include "core/service/control_api_client.h"
#include "core/service/control_api_server.h"
#include "core/service/remote_model_backend.h"
#include "tests/service/control_api_test_client.h"
#include "tests/service/fake_model_backend.h"
#include "tests/wait_future.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

#include <cmath>

using namespace samlabel;
using namespace samlabel::service;
using samlabel::service::testing::FakeModelBackend;
using samlabel::service::testing::gradient;
using samlabel::service::testing::ModelEndpoints;
using samlabel::service::testing::start_with_random_token;

namespace {

// tests/wait_future.h, with this test's time limit unless a call names another.
template <typename T>
T wait_result(QFuture<T> f, int timeout_ms = 20000) {
    return samlabel::future_wait::wait_result(std::move(f), timeout_ms);
}

quint16 free_port() {
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();  // closed when probe goes; nobody listens there after
}

}  // namespace

class TestRemoteBackend : public QObject {
    Q_OBJECT

    std::unique_ptr<FakeModelBackend> fake_;
    std::unique_ptr<ControlApiServer> server_;
    QString token_;

private Q_SLOTS:
    void init() {
        fake_ = std::make_unique<FakeModelBackend>();
        fake_->setLastModel(QStringLiteral("/srv/models/sam3"));
        fake_->encode_ms = 50;
        server_ = std::make_unique<ControlApiServer>(fake_.get());
        QString error;
        token_ = start_with_random_token(*server_, ModelEndpoints::On, &error);
        QVERIFY2(!token_.isEmpty(), qPrintable(error));
    }
    void cleanup() {
        server_.reset();
        fake_.reset();
    }

    // The model panel in remote mode: the server's GPUs, its preflight
    // verdict and a cancel reach this side; whereText names the server.
    void thePanelSeesTheServersModel() {
        RemoteModelBackend remote(server_->url(), token_, 100);
        QTRY_VERIFY_WITH_TIMEOUT(remote.isReachable(), 5000);
        QCOMPARE(remote.whereText(), server_->url().toString());
        const std::vector<engine::GpuMemory> gpus = remote.gpus();
        QCOMPARE(int(gpus.size()), 1);
        QCOMPARE(gpus[0].name, std::string("Fake GPU"));
        QCOMPARE(gpus[0].total_bytes, 24ull << 30);

        engine::LoadRequest request;
        request.parts = engine::PartSet::ClickAndDetect;
        fake_->preflight_fits = false;
        fake_->preflight_blocker = QStringLiteral("no tokenizer here");
        const PreflightReply refused = wait_result(remote.preflight(request, {}));
        QVERIFY2(refused.ok(), qPrintable(refused.message));
        QVERIFY(refused.report && !refused.report->verdict.fits);
        QCOMPARE(refused.report->verdict.message, std::string("Refused: the fake model does not fit."));
        QVERIFY(refused.report->estimate.parts == engine::PartSet::ClickAndDetect);  // the request's options arrived
        QCOMPARE(refused.blocker, QStringLiteral("no tokenizer here"));
        QVERIFY(!refused.loadable());
        QCOMPARE(fake_->preflights.load(), 1);

        remote.cancelLoad();
        QTRY_COMPARE_WITH_TIMEOUT(fake_->cancels.load(), 1, 5000);
    }

    // A remote server keeps its own settings: the panel's and the
    // Preferences' changes stay on this side, even with a server that would
    // take them (--allow-runtime-settings), while a model process of ours is
    // sent them through the same client (sendModelProcessSettings).
    void aRemoteServerKeepsItsOwnSettings() {
        ControlApiServer allowing(fake_.get());
        ControlApiOptions options;
        options.token = token_;
        options.allow_runtime_settings = true;
        QVERIFY(allowing.start(options, nullptr));
        RemoteModelBackend remote(allowing.url(), token_, 100);
        QTRY_VERIFY_WITH_TIMEOUT(remote.isReachable(), 5000);
        RuntimeSettings settings;
        settings.auto_unload_after_ms = 60000;
        remote.applyRuntimeSettings(settings);
        remote.applyConvertedWeightsSettings({std::filesystem::path("/tmp/elsewhere"), 1ull << 30});
        const ApiCallResult sent = wait_result(remote.sendModelProcessSettings(
            QJsonObject{{"converted_weights", QJsonObject{{"dir", ""}, {"budget_mb", 1}}}}));  // after the two above: they would have arrived
        QVERIFY2(sent.ok(), qPrintable(sent.describe(allowing.url())));
        QTest::qWait(300);  // anything else sent would be answered by now
        QCOMPARE(fake_->runtime_settings_applied, 0);
        QCOMPARE(fake_->converted_weights_applied, 1);  // only the explicit send
        QVERIFY(fake_->converted_weights.dir.empty());
    }

    void clicksGoOverTheNetwork() {
        RemoteModelBackend remote(server_->url(), token_, 100);
        QTRY_VERIFY_WITH_TIMEOUT(remote.isReachable(), 5000);
        QCOMPARE(remote.status().model_loaded, false);
        QCOMPARE(remote.status().model_path, QStringLiteral("/srv/models/sam3"));
        QCOMPARE(remote.memory().vram_total_mb, 16000.0);  // the server's figures, for the gauge

        const LoadReply load = wait_result(remote.reload());
        QVERIFY2(load.ok(), qPrintable(load.message));
        QCOMPARE(load.device, QStringLiteral("cuda:0"));
        QTRY_VERIFY_WITH_TIMEOUT(remote.status().model_loaded, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(remote.memory().vram_process_mb, FakeModelBackend::kBaselineVramMb + FakeModelBackend::kModelVramMb, 5000);

        const EncodeReply enc = wait_result(remote.encode(gradient(40, 30), QStringLiteral("img-1")));
        QVERIFY2(enc.ok(), qPrintable(enc.message));
        QCOMPARE(enc.image_id, QStringLiteral("img-1"));
        QCOMPARE(enc.width, 40);
        QCOMPARE(enc.height, 30);

        engine::ClickPrompt prompt;
        prompt.points.push_back({12.f, 9.f, engine::PointLabel::Positive});
        prompt.multimask = false;
        const SegmentReply seg = wait_result(remote.segment(QStringLiteral("img-1"), prompt));
        QVERIFY2(seg.ok(), qPrintable(seg.message));
        QCOMPARE(int(seg.result.candidates.size()), 1);
        const engine::MaskCandidate& c = seg.result.candidates[0];
        QCOMPARE(c.width, 40);
        QCOMPARE(c.height, 30);
        QCOMPARE(c.predicted_iou, 0.875f);
        for (int y = 0; y < 30; ++y)
            for (int x = 0; x < 40; ++x)
                QCOMPARE(int(c.mask[std::size_t(y) * 40 + x]),
                         std::hypot(x + 0.5 - 12, y + 0.5 - 9) <= FakeModelBackend::kDiscRadiusPx ? 1 : 0);

        const SegmentReply unknown = wait_result(remote.segment(QStringLiteral("never"), prompt));
        QCOMPARE(unknown.error, BackendError::UnknownImage);

        const UnloadReply unload = wait_result(remote.unload());
        QVERIFY(unload.ok());
        QCOMPARE(unload.freed_vram_mb, FakeModelBackend::kModelVramMb);
        QTRY_VERIFY_WITH_TIMEOUT(!remote.status().model_loaded, 5000);
        const SegmentReply late = wait_result(remote.segment(QStringLiteral("img-1"), prompt));
        QCOMPARE(late.error, BackendError::NotLoaded);
    }

    void refusedLoadKeepsTheReason() {
        RemoteModelBackend remote(server_->url(), token_, 100);
        fake_->refuseNextLoad(QStringLiteral("needs 12 GB of VRAM, 3 GB free"));
        const LoadReply r = wait_result(remote.reload());
        QCOMPARE(r.error, BackendError::Refused);
        QVERIFY(r.message.contains(QStringLiteral("12 GB")));
    }

    void wrongTokenAndServerDown() {
        RemoteModelBackend wrong(server_->url(), QStringLiteral("not-the-token"), 100);
        QSignalSpy reach(&wrong, &RemoteModelBackend::reachabilityChanged);
        QTest::qWait(400);
        QVERIFY(!wrong.isReachable());
        QVERIFY2(wrong.lastError().contains(QStringLiteral("token")), qPrintable(wrong.lastError()));
        const UnloadReply u = wait_result(wrong.unload());
        QCOMPARE(u.error, BackendError::Unreachable);
        QCOMPARE(fake_->last_unload_finished_at_ms.load(), 0);

        QUrl down;
        down.setScheme(QStringLiteral("http"));
        down.setHost(QStringLiteral("127.0.0.1"));
        down.setPort(free_port());
        RemoteModelBackend nobody(down, token_, 100);
        const UnloadReply d = wait_result(nobody.unload());
        QCOMPARE(d.error, BackendError::Unreachable);
        QVERIFY2(d.message.contains(QStringLiteral("cannot reach")), qPrintable(d.message));
    }

    // A server from before "masks": "runs" refuses them ("masks" must be "png"
    // or "raw"): the backend asks once more for bits and keeps asking for bits.
    // The server here is a stub that answers as such a server did.
    void anOlderServerGetsBitsInstead() {
        QTcpServer old;
        QVERIFY(old.listen(QHostAddress::LocalHost, 0));
        QList<QByteArray> segment_bodies;
        connect(&old, &QTcpServer::newConnection, &old, [&old, &segment_bodies] {
            QTcpSocket* socket = old.nextPendingConnection();
            auto buffer = std::make_shared<QByteArray>();
            connect(socket, &QTcpSocket::readyRead, socket, [socket, buffer, &segment_bodies] {
                *buffer += socket->readAll();
                for (;;) {  // every whole request in the buffer (keep-alive)
                    const qsizetype head_end = buffer->indexOf("\r\n\r\n");
                    if (head_end < 0) return;
                    const QByteArray head = buffer->left(head_end);
                    qsizetype length = 0;
                    for (const QByteArray& line : head.split('\n'))
                        if (line.toLower().startsWith("content-length:")) length = line.mid(15).trimmed().toLongLong();
                    if (buffer->size() < head_end + 4 + length) return;
                    const QByteArray body = buffer->mid(head_end + 4, length);
                    buffer->remove(0, head_end + 4 + length);
                    QByteArray type = "application/json", answer = "{}", status = "200 OK";
                    if (head.startsWith("POST /api/v1/segment ")) {
                        segment_bodies.append(body);
                        if (body.contains(R"("masks":"runs")")) {
                            status = "400 Bad Request";
                            answer = QJsonDocument(QJsonObject{{QStringLiteral("error"), QStringLiteral("bad_request")},
                                                               {QStringLiteral("message"), QStringLiteral("\"masks\" must be \"png\" or \"raw\"")}})
                                         .toJson();
                        } else {
                            // A 4x2 mask, pixels 0, 5 and 6 set: bits 0x61.
                            const QByteArray json = R"({"image_id":"x","width":4,"height":2,"masks":"raw","candidates":[{"score":0.9}]})";
                            answer = "SLM1" + QByteArray(1, char(json.size())) + QByteArray(3, '\0') + json + QByteArray(1, char(0x61));
                            type = "application/vnd.samlabel.masks";
                        }
                    }
                    socket->write("HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " +
                                  QByteArray::number(answer.size()) + "\r\n\r\n" + answer);
                }
            });
        });
        QUrl url;
        url.setScheme(QStringLiteral("http"));
        url.setHost(QStringLiteral("127.0.0.1"));
        url.setPort(old.serverPort());
        RemoteModelBackend remote(url, QStringLiteral("token"), 60000);
        engine::ClickPrompt click;
        click.points.push_back({1.f, 1.f, engine::PointLabel::Positive});
        for (int round = 0; round < 2; ++round) {
            const SegmentReply reply = wait_result(remote.segment(QStringLiteral("x"), click));
            QVERIFY2(reply.ok(), qPrintable(reply.message));
            QCOMPARE(int(reply.result.candidates.size()), 1);
            QCOMPARE(reply.result.candidates[0].mask, (std::vector<std::uint8_t>{1, 0, 0, 0, 0, 1, 1, 0}));
        }
        QCOMPARE(segment_bodies.size(), 3);  // runs (refused), bits; then bits at once
        QVERIFY(segment_bodies[0].contains(R"("masks":"runs")"));
        QVERIFY(segment_bodies[1].contains(R"("masks":"raw")"));
        QVERIFY(segment_bodies[2].contains(R"("masks":"raw")"));
    }

    // A broken or hostile server cannot fill the GUI's memory: an answer over
    // the client's cap is refused while it downloads, whether its length is
    // announced or not.
    void anOversizedAnswerIsRefused() {
        for (const bool announced : {true, false}) {
            QTcpServer flood;
            QVERIFY(flood.listen(QHostAddress::LocalHost, 0));
            constexpr qint64 kBody = qint64(8) << 20;
            connect(&flood, &QTcpServer::newConnection, &flood, [&flood, announced] {
                QTcpSocket* socket = flood.nextPendingConnection();
                QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
                head += announced ? "Content-Length: " + QByteArray::number(kBody) + "\r\n\r\n" : QByteArray("Connection: close\r\n\r\n");
                socket->write(head);
                const QByteArray chunk(64 * 1024, ' ');
                for (qint64 sent = 0; sent < kBody; sent += chunk.size()) socket->write(chunk);
                socket->disconnectFromHost();  // after the writes drain: the end of an unannounced body
            });
            QUrl url;
            url.setScheme(QStringLiteral("http"));
            url.setHost(QStringLiteral("127.0.0.1"));
            url.setPort(flood.serverPort());
            ControlApiClient client(url, QStringLiteral("token"));
            QCOMPARE(client.maxReplyBytes(), ControlApiClient::kDefaultMaxReplyBytes);
            client.setMaxReplyBytes(qint64(1) << 20);
            const ApiCallResult r = wait_result(client.get(QStringLiteral("/health")));
            QVERIFY(!r.ok());
            QCOMPARE(r.http_status, 0);
            QVERIFY2(r.transport_error.contains(QStringLiteral("larger than 1 MiB")), qPrintable(r.transport_error));
            // Under the cap, the same answer is read.
            ControlApiClient roomy(url, QStringLiteral("token"));
            roomy.setMaxReplyBytes(qint64(16) << 20);
            const ApiCallResult whole = wait_result(roomy.get(QStringLiteral("/health")));
            QCOMPARE(whole.http_status, 200);
            QVERIFY2(whole.transport_error.isEmpty(), qPrintable(whole.transport_error));
        }
    }
};

QTEST_MAIN(TestRemoteBackend)
#include "test_remote_backend.moc"
