// Encode-ahead over the control API, against a fake backend (no weights):
// POST /api/v1/images-in-view is refused (403, naming the flag) unless the
// server reads local images, refuses bad bodies (400 naming the field) and a
// model-less server (409), and otherwise hands the paths to the backend; the
// backend's encode events come back numbered through GET /api/v1/encode-events
// (an encode's progress steps kept as one), and /health says the newest number.
// A RemoteModelBackend told that its server reads this machine's files sends
// the images in view once a model is loaded and re-emits the server's events;
// one that is not (a serve host elsewhere) sends nothing of the kind.
#include "core/service/control_api_server.h"
#include "core/service/remote_model_backend.h"
#include "tests/service/control_api_test_client.h"
#include "tests/service/fake_model_backend.h"
#include "tests/wait_future.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QtTest>

#include <memory>

using namespace samlabel;
using namespace samlabel::service;
using namespace samlabel::service::testing;

namespace {

QByteArray json_bytes(const QJsonObject& o) { return QJsonDocument(o).toJson(QJsonDocument::Compact); }

QJsonObject in_view(const QString& on_screen, const QStringList& ahead) {
    return QJsonObject{{QStringLiteral("on_screen"), on_screen}, {QStringLiteral("ahead"), QJsonArray::fromStringList(ahead)}};
}

}  // namespace

class TestControlApiImagesInView : public QObject {
    Q_OBJECT

    std::unique_ptr<FakeModelBackend> backend_;
    std::unique_ptr<ControlApiServer> server_;
    std::unique_ptr<ControlApiTestClient> api_;
    QString token_;

    void startServer(bool allow_read_local_images) {
        ControlApiOptions options;
        options.token = generate_api_token();
        options.model_endpoints = true;  // serve's endpoints
        options.allow_read_local_images = allow_read_local_images;
        QString error;
        QVERIFY2(server_->start(options, &error), qPrintable(error));
        token_ = options.token;
        api_ = std::make_unique<ControlApiTestClient>(*server_, token_);
    }
    void loadModel() {
        backend_->setLastModel(QStringLiteral("/models/sam3"));
        QVERIFY(future_wait::wait_result(backend_->reload(), 10000).ok());
        QVERIFY(backend_->status().model_loaded);
    }
    HttpResult events(const QString& after) {
        QUrl url = api_->url(QStringLiteral("/api/v1/encode-events"));
        url.setQuery(QStringLiteral("after=") + after);
        return http_call(api_->nam(), "GET", url, api_->token());
    }

private Q_SLOTS:
    void init() {
        backend_ = std::make_unique<FakeModelBackend>();
        backend_->encode_ms = 0;
        server_ = std::make_unique<ControlApiServer>(backend_.get());
    }
    void cleanup() {
        api_.reset();
        server_.reset();
        backend_.reset();
    }

    void refusedWithoutTheFlag() {
        startServer(/*allow_read_local_images=*/false);
        loadModel();
        const HttpResult r = api_->post(QStringLiteral("/api/v1/images-in-view"), json_bytes(in_view(QStringLiteral("/data/a.jpg"), {})));
        QCOMPARE(r.status, 403);
        QCOMPARE(r.json.value(QStringLiteral("error")).toString(), QStringLiteral("forbidden"));
        QVERIFY2(r.json.value(QStringLiteral("message")).toString().contains(QStringLiteral("--allow-read-local-images")),
                 qPrintable(r.json.value(QStringLiteral("message")).toString()));
        QVERIFY(backend_->on_screen.isEmpty());  // nothing reached the backend
    }

    void badBodiesAnswer400NamingTheField() {
        startServer(true);
        loadModel();
        struct Case {
            QByteArray body;
            QString names;  // a piece of the message
        };
        QStringList seventeen;
        for (int i = 0; i < 17; ++i) seventeen << QStringLiteral("/data/%1.jpg").arg(i);
        const Case cases[] = {
            {"{\"ahead\": []}", QStringLiteral("\"on_screen\" is required")},
            {"{\"on_screen\": 5}", QStringLiteral("\"on_screen\" is required")},
            {"{\"on_screen\": \"a.jpg\"}", QStringLiteral("\"on_screen\" must be an absolute path")},
            {"{\"on_screen\": \"/data/a.jpg\", \"ahead\": \"/data/b.jpg\"}", QStringLiteral("\"ahead\" must be an array")},
            {"{\"on_screen\": \"/data/a.jpg\", \"ahead\": [\"/data/b.jpg\", 7]}", QStringLiteral("\"ahead\"[1] must be a string")},
            {"{\"on_screen\": \"/data/a.jpg\", \"ahead\": [\"\"]}", QStringLiteral("\"ahead\"[0] is an empty path")},
            {"{\"on_screen\": \"/data/a.jpg\", \"ahead\": [\"rel/b.jpg\"]}", QStringLiteral("\"ahead\"[0] must be an absolute path")},
            {json_bytes(in_view(QStringLiteral("/data/a.jpg"), seventeen)), QStringLiteral("\"ahead\" has 17 paths; at most 16")},
            {"{\"on_screen\": \"/data/a.jpg\", \"ahed\": []}", QStringLiteral("unknown field \"ahed\"")},
            {"[\"/data/a.jpg\"]", QString()},  // not an object (the body parser's message)
            {"{\"on_screen\": ", QString()},     // not JSON
        };
        for (const Case& c : cases) {
            const HttpResult r = api_->post(QStringLiteral("/api/v1/images-in-view"), c.body);
            QVERIFY2(r.status == 400, c.body.constData());
            QCOMPARE(r.json.value(QStringLiteral("error")).toString(), QStringLiteral("bad_request"));
            const QString message = r.json.value(QStringLiteral("message")).toString();
            QVERIFY2(!message.isEmpty() && message.contains(c.names), qPrintable(QString::fromUtf8(c.body) + QStringLiteral(" -> ") + message));
        }
        QVERIFY(backend_->on_screen.isEmpty());
    }

    void withoutAModelAnswers409() {
        startServer(true);
        const HttpResult r = api_->post(QStringLiteral("/api/v1/images-in-view"), json_bytes(in_view(QStringLiteral("/data/a.jpg"), {})));
        QCOMPARE(r.status, 409);
        QCOMPARE(r.json.value(QStringLiteral("error")).toString(), QStringLiteral("not_loaded"));
        QVERIFY(backend_->on_screen.isEmpty());
    }

    void pathsReachTheBackend() {
        startServer(true);
        loadModel();
        const QString screen = QStringLiteral("/data/Fotos/straße 1.jpg");  // UTF-8 on the wire
        const HttpResult r = api_->post(QStringLiteral("/api/v1/images-in-view"),
                                        json_bytes(in_view(screen, {QStringLiteral("/data/b.jpg"), QStringLiteral("/data/c.jpg")})));
        QCOMPARE(r.status, 200);
        QCOMPARE(backend_->on_screen, screen);
        QCOMPARE(backend_->ahead, (QStringList{QStringLiteral("/data/b.jpg"), QStringLiteral("/data/c.jpg")}));
        // "ahead" may be left out; "" is nothing on screen.
        QCOMPARE(api_->post(QStringLiteral("/api/v1/images-in-view"), "{\"on_screen\": \"\"}").status, 200);
        QCOMPARE(backend_->on_screen, QString());
        QVERIFY(backend_->ahead.isEmpty());
    }

    void encodeEventsAreNumberedAndProgressKeptAsOne() {
        startServer(true);
        QCOMPARE(api_->get(QStringLiteral("/health")).json.value(QStringLiteral("encode_events_seq")).toInt(-1), 0);
        Q_EMIT backend_->imageEncodeStarted(QStringLiteral("/data/a.jpg"));
        Q_EMIT backend_->imageEncodeProgress(QStringLiteral("/data/a.jpg"), 1, 10, 5.0);
        Q_EMIT backend_->imageEncodeProgress(QStringLiteral("/data/a.jpg"), 2, 10, 9.0);
        Q_EMIT backend_->imageEncoded(QStringLiteral("/data/a.jpg"), QStringLiteral("encoded"), 42.0, QString());
        Q_EMIT backend_->imageEncodeStarted(QStringLiteral("/data/missing.jpg"));
        Q_EMIT backend_->imageEncoded(QStringLiteral("/data/missing.jpg"), QStringLiteral("failed"), 0.0,
                                      QStringLiteral("/data/missing.jpg: cannot open"));
        // Six events numbered 1..6; the first progress was replaced by the second (seq 3).
        QCOMPARE(api_->get(QStringLiteral("/health")).json.value(QStringLiteral("encode_events_seq")).toInt(), 6);
        const HttpResult all = events(QStringLiteral("0"));
        QCOMPARE(all.status, 200);
        QCOMPARE(all.json.value(QStringLiteral("last_seq")).toInt(), 6);
        const QJsonArray list = all.json.value(QStringLiteral("events")).toArray();
        QCOMPARE(list.size(), 5);
        auto at = [&list](int i, const char* key) { return list[i].toObject().value(QLatin1String(key)); };
        QCOMPARE(at(0, "kind").toString(), QStringLiteral("started"));
        QCOMPARE(at(0, "seq").toInt(), 1);
        QCOMPARE(at(1, "kind").toString(), QStringLiteral("progress"));
        QCOMPARE(at(1, "seq").toInt(), 3);
        QCOMPARE(at(1, "step").toInt(), 2);
        QCOMPARE(at(1, "steps").toInt(), 10);
        QCOMPARE(at(2, "kind").toString(), QStringLiteral("finished"));
        QCOMPARE(at(2, "state").toString(), QStringLiteral("encoded"));
        QCOMPARE(at(2, "duration_ms").toDouble(), 42.0);
        QCOMPARE(at(4, "image_id").toString(), QStringLiteral("/data/missing.jpg"));
        QCOMPARE(at(4, "state").toString(), QStringLiteral("failed"));
        QCOMPARE(at(4, "message").toString(), QStringLiteral("/data/missing.jpg: cannot open"));
        // Only the newer ones after a number; none after the newest.
        const QJsonArray newer = events(QStringLiteral("4")).json.value(QStringLiteral("events")).toArray();
        QCOMPARE(newer.size(), 2);
        QCOMPARE(newer[0].toObject().value(QStringLiteral("seq")).toInt(), 5);
        QVERIFY(events(QStringLiteral("6")).json.value(QStringLiteral("events")).toArray().isEmpty());
        const HttpResult bad = events(QStringLiteral("-1"));
        QCOMPARE(bad.status, 400);
        QVERIFY(bad.json.value(QStringLiteral("message")).toString().contains(QStringLiteral("\"after\"")));
    }

    void remoteBackendOnThisMachineSendsAndFollows() {
        startServer(true);
        backend_->setLastModel(QStringLiteral("/models/sam3"));
        QStringList paths;
        connect(server_.get(), &ControlApiServer::requestServed, this, [&paths](const QString&, const QString& path, int) { paths << path; });
        RemoteModelBackend remote(server_->url(), token_, /*poll_interval_ms=*/50);
        remote.setServerReadsImageFiles(true);
        QVERIFY(remote.readsImageFiles());
        QSignalSpy encoded(&remote, &ModelBackend::imageEncoded);
        QSignalSpy progress(&remote, &ModelBackend::imageEncodeProgress);
        // No model yet: kept, not sent.
        remote.setImagesInView(QStringLiteral("/data/a.jpg"), {QStringLiteral("/data/b.jpg")});
        QTest::qWait(200);
        QVERIFY(!paths.contains(QStringLiteral("/api/v1/images-in-view")));
        // Once a model loads, the server's backend gets them.
        QVERIFY(future_wait::wait_result(remote.reload(), 10000).ok());
        QTRY_COMPARE_WITH_TIMEOUT(backend_->on_screen, QStringLiteral("/data/a.jpg"), 5000);
        QCOMPARE(backend_->ahead, QStringList{QStringLiteral("/data/b.jpg")});
        // The same images again: nothing new to send (the polls have settled on the model first).
        QTest::qWait(300);
        const qsizetype sent = paths.count(QStringLiteral("/api/v1/images-in-view"));
        QVERIFY(sent >= 1);
        remote.setImagesInView(QStringLiteral("/data/a.jpg"), {QStringLiteral("/data/b.jpg")});
        QTest::qWait(200);
        QCOMPARE(paths.count(QStringLiteral("/api/v1/images-in-view")), sent);
        // Others are sent at once.
        remote.setImagesInView(QStringLiteral("/data/b.jpg"), {});
        QTRY_COMPARE_WITH_TIMEOUT(backend_->on_screen, QStringLiteral("/data/b.jpg"), 5000);
        QVERIFY(backend_->ahead.isEmpty());
        // The server's encodes come back through the polls, in order.
        Q_EMIT backend_->imageEncodeStarted(QStringLiteral("/data/a.jpg"));
        Q_EMIT backend_->imageEncodeProgress(QStringLiteral("/data/a.jpg"), 3, 4, 30.0);
        Q_EMIT backend_->imageEncoded(QStringLiteral("/data/a.jpg"), QStringLiteral("encoded"), 40.0, QString());
        Q_EMIT backend_->imageEncoded(QStringLiteral("/data/b.jpg"), QStringLiteral("cached"), 0.5, QString());
        QTRY_COMPARE_WITH_TIMEOUT(encoded.count(), 2, 5000);
        QCOMPARE(encoded[0][0].toString(), QStringLiteral("/data/a.jpg"));
        QCOMPARE(encoded[0][1].toString(), QStringLiteral("encoded"));
        QCOMPARE(encoded[0][2].toDouble(), 40.0);
        QCOMPARE(encoded[1][0].toString(), QStringLiteral("/data/b.jpg"));
        QCOMPARE(encoded[1][1].toString(), QStringLiteral("cached"));
        QCOMPARE(progress.count(), 1);
        QCOMPARE(progress[0][1].toInt(), 3);
        // Idle: the polls ask for events only when /health's number moved.
        const qsizetype asked = paths.count(QStringLiteral("/api/v1/encode-events"));
        QTest::qWait(400);
        QCOMPARE(paths.count(QStringLiteral("/api/v1/encode-events")), asked);
    }

    void remoteServerElsewhereGetsNoPaths() {
        startServer(true);
        backend_->setLastModel(QStringLiteral("/models/sam3"));
        QStringList paths;
        connect(server_.get(), &ControlApiServer::requestServed, this, [&paths](const QString&, const QString& path, int) { paths << path; });
        RemoteModelBackend remote(server_->url(), token_, 50);
        QVERIFY(!remote.readsImageFiles());
        QSignalSpy encoded(&remote, &ModelBackend::imageEncoded);
        QVERIFY(future_wait::wait_result(remote.reload(), 10000).ok());
        remote.setImagesInView(QStringLiteral("/data/a.jpg"), {QStringLiteral("/data/b.jpg")});
        Q_EMIT backend_->imageEncoded(QStringLiteral("api-file-1"), QStringLiteral("encoded"), 40.0, QString());
        QTest::qWait(400);
        QVERIFY(backend_->on_screen.isEmpty());
        QVERIFY(!paths.contains(QStringLiteral("/api/v1/images-in-view")));
        QVERIFY(!paths.contains(QStringLiteral("/api/v1/encode-events")));
        QCOMPARE(encoded.count(), 0);
    }
};

QTEST_GUILESS_MAIN(TestControlApiImagesInView)
#include "test_control_api_images_in_view.moc"
