// The control API refuses an unauthenticated request from its header block
// (issue 15): it never reaches a handler, its body is never buffered (the 401
// arrives before a byte of the body was sent), and the size refusals (431,
// 411, 413) still come first, as docs/control-api.md says.
#include "core/service/control_api_server.h"
#include "core/service/control_api_wire.h"
#include "tests/service/control_api_test_client.h"
#include "tests/service/fake_model_backend.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTcpSocket>
#include <QtTest>

#include <memory>

using namespace samlabel::service;
using namespace samlabel::service::testing;

namespace {

// A raw connection that sends a header block, then (optionally) body bytes,
// and records what came back and whether the server hung up.
struct RawClient {
    QTcpSocket socket;
    QByteArray received;
    bool disconnected = false;

    bool connect_to(quint16 port) {
        QObject::connect(&socket, &QTcpSocket::readyRead, &socket, [this] { received += socket.readAll(); });
        QObject::connect(&socket, &QTcpSocket::disconnected, &socket, [this] { disconnected = true; });
        socket.connectToHost(QHostAddress(QHostAddress::LocalHost), port);
        return socket.waitForConnected(5000);
    }
    void send(const QByteArray& bytes) {
        socket.write(bytes);
        socket.flush();
    }
    // Runs the event loop (the server lives on this thread) until `done` or the deadline.
    template <typename Pred>
    bool wait_for(Pred done, int timeout_ms = 10000) {
        QElapsedTimer t;
        t.start();
        while (!done() && t.elapsed() < timeout_ms) QTest::qWait(5);
        return done();
    }
    int status() const {
        if (!received.startsWith("HTTP/1.1 ")) return 0;
        return received.mid(9, 3).toInt();
    }
};

QByteArray post_head(const QByteArray& path, qint64 content_length, const QByteArray& authorization) {
    QByteArray head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    if (!authorization.isNull()) head += "Authorization: " + authorization + "\r\n";
    return head + "Content-Length: " + QByteArray::number(content_length) + "\r\n\r\n";
}

}  // namespace

class TestControlApiAuth : public QObject {
    Q_OBJECT

    std::unique_ptr<FakeModelBackend> backend_;
    std::unique_ptr<ControlApiServer> server_;
    std::unique_ptr<ControlApiTestClient> api_;

private Q_SLOTS:
    void init() {
        backend_ = std::make_unique<FakeModelBackend>();
        server_ = std::make_unique<ControlApiServer>(backend_.get());
        QString error;
        const QString token = start_with_random_token(*server_, ModelEndpoints::On, &error);
        QVERIFY2(!token.isEmpty(), qPrintable(error));
        api_ = std::make_unique<ControlApiTestClient>(*server_, token);
    }
    void cleanup() {
        api_.reset();
        server_.reset();
        backend_.reset();
    }

    // The counter the other tests rely on does count: an authorised request reaches the handler.
    void authorisedRequestsReachTheHandler() {
        QCOMPARE(server_->requestsHandled(), quint64(0));
        QCOMPARE(api_->get(QStringLiteral("/health")).status, 200);
        QCOMPARE(server_->requestsHandled(), quint64(1));
        QCOMPARE(api_->post(QStringLiteral("/api/v1/load"), "{\"a\": ").status, 400);  // handled, then refused
        QCOMPARE(server_->requestsHandled(), quint64(2));
    }

    void unauthenticatedRequestsNeverReachAHandler_data() {
        QTest::addColumn<QByteArray>("request");
        const QByteArray wrong = "Bearer " + QByteArray(64, '0');
        QTest::newRow("GET, no header") << QByteArray("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        QTest::newRow("GET, wrong token") << QByteArray("GET /api/v1/memory HTTP/1.1\r\nHost: x\r\nAuthorization: " + wrong + "\r\n\r\n");
        QTest::newRow("POST unload, no header, body") << post_head("/api/v1/unload", 2, QByteArray()) + "{}";
        QTest::newRow("POST load, wrong token, body") << post_head("/api/v1/load", 2, wrong) + "{}";
        QTest::newRow("Basic scheme") << QByteArray("GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n");
        QTest::newRow("unknown path") << QByteArray("GET /secret HTTP/1.1\r\nHost: x\r\n\r\n");
        QTest::newRow("wrong method") << QByteArray("DELETE /api/v1/unload HTTP/1.1\r\nHost: x\r\n\r\n");
        // The token of a later duplicate header does not count.
        QTest::newRow("second Authorization") << QByteArray("GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: " + wrong +
                                                            "\r\nAuthorization: Bearer " + QByteArray(64, '1') + "\r\n\r\n");
    }
    void unauthenticatedRequestsNeverReachAHandler() {
        QFETCH(QByteArray, request);
        QByteArray response;
        QCOMPARE(raw_request_status(server_->port(), request, 10000, &response), 401);
        QVERIFY2(response.contains("WWW-Authenticate: Bearer"), response.constData());
        QVERIFY2(response.contains("unauthorized"), response.constData());  // the JSON error code
        QCOMPARE(server_->requestsHandled(), quint64(0));
        QCOMPARE(backend_->last_unload_finished_at_ms.load(), 0);
        QCOMPARE(server_->requestsServed(), quint64(1));  // answered (by the guard) and counted
    }

    // A large declared body with a wrong token: the 401 comes from the header
    // block, before one byte of the body was sent (QHttpServer would wait for
    // the whole body before any handler ran), and what follows is discarded.
    void wrongTokenIsAnsweredBeforeTheBody() {
        const qint64 declared = wire::kMaxUploadBodyBytes - 1;  // 64 MB: within the cap, so only the token stops it
        RawClient client;
        QVERIFY(client.connect_to(server_->port()));
        client.send(post_head("/api/v1/encode", declared, "Bearer " + QByteArray(64, 'f')));
        QVERIFY2(client.wait_for([&] { return response_complete(client.received); }),
                 "no answer before the body: the server waited to buffer it");
        QCOMPARE(client.status(), 401);
        QVERIFY(client.received.contains("wrong token"));
        QCOMPARE(server_->requestsHandled(), quint64(0));
        // Streaming the body anyway: discarded as it arrives; the server hangs up once it is all in.
        const QByteArray chunk(1 << 20, 'a');
        qint64 sent = 0;
        while (sent < declared && !client.disconnected) {
            const qint64 n = qMin<qint64>(chunk.size(), declared - sent);
            client.send(chunk.left(n));
            sent += n;
            client.wait_for([&] { return client.socket.bytesToWrite() == 0 || client.disconnected; }, 10000);
        }
        QVERIFY(client.wait_for([&] { return client.disconnected; }, 30000));
        QCOMPARE(server_->requestsHandled(), quint64(0));
        // Still serving, and the next authorised request is handled.
        QCOMPARE(api_->get(QStringLiteral("/health")).status, 200);
        QCOMPARE(server_->requestsHandled(), quint64(1));
    }

    void missingTokenIsAnsweredBeforeTheBody() {
        RawClient client;
        QVERIFY(client.connect_to(server_->port()));
        client.send(post_head("/api/v1/unload", wire::kMaxSmallBodyBytes, QByteArray()));  // the whole small cap, none sent
        QVERIFY2(client.wait_for([&] { return response_complete(client.received); }),
                 "no answer before the body: the server waited to buffer it");
        QCOMPARE(client.status(), 401);
        QVERIFY(client.received.contains("Authorization: Bearer"));
        QCOMPARE(server_->requestsHandled(), quint64(0));
        QCOMPARE(backend_->last_unload_finished_at_ms.load(), 0);
    }

    // Documented order: the size refusals need no secret and come first.
    void sizeRefusalsComeBeforeTheTokenCheck() {
        const QByteArray wrong = "Bearer " + QByteArray(64, '0');
        QCOMPARE(raw_request_status(server_->port(), post_head("/api/v1/unload", wire::kMaxSmallBodyBytes + 1, wrong)), 413);
        QCOMPARE(raw_request_status(server_->port(), post_head("/api/v1/encode", 4'000'000'000LL, QByteArray())), 413);
        QCOMPARE(raw_request_status(server_->port(),
                                    "POST /api/v1/load HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
                 411);
        QCOMPARE(raw_request_status(server_->port(),
                                    "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + QByteArray(70 * 1024, 'p') + "\r\n\r\n"),
                 431);
        QCOMPARE(server_->requestsHandled(), quint64(0));
    }

    // setToken() takes effect for the next request, in the guard too.
    void changedTokenIsCheckedByTheGuard() {
        const QByteArray old_token = api_->token();
        server_->setToken(QString(64, QLatin1Char('b')));
        QByteArray response;
        QCOMPARE(raw_request_status(server_->port(), "GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + old_token + "\r\n\r\n",
                                    10000, &response),
                 401);
        QCOMPARE(server_->requestsHandled(), quint64(0));
        QCOMPARE(raw_request_status(server_->port(), "GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                                         QByteArray(64, 'b') + "\r\n\r\n"),
                 200);
        QCOMPARE(server_->requestsHandled(), quint64(1));
    }
};

QTEST_GUILESS_MAIN(TestControlApiAuth)
#include "test_control_api_auth.moc"
