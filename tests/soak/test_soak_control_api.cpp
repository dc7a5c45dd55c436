// Soak (issue 15): 10,000 mixed control-API requests on loopback against the
// real model stack (tiny checkpoint loaded, one image encoded): valid ones,
// unauthorised, malformed JSON and malformed HTTP, oversized bodies, unknown
// paths and methods, 16 connections at a time. Every request must get the
// answer its kind calls for, the server must still answer afterwards, and the
// process's RSS may grow at most 10 MB after the first 1,000 requests.
// Prints the figures.
#include "core/engine/memory_probe.h"
#include "core/engine/model_session.h"
#include "core/service/control_api_server.h"
#include "core/service/model_thread.h"
#include "tests/service/control_api_test_client.h"
#include "tests/service/http_test_client.h"
#include "tests/service/tiny_sam3_backend.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QTcpSocket>
#include <QtTest>

#include <malloc.h>

#include <functional>
#include <map>
#include <set>

using namespace samlabel;
using namespace samlabel::service;
using namespace samlabel::service::testing;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

double rss_mb() {
    malloc_trim(0);  // freed heap glibc keeps for reuse is not a leak
    return double(engine::make_system_memory_probe()->system().process_rss_bytes) / kMiB;
}

// One planned request: its raw bytes and the statuses its kind allows
// (0: the server closed the connection without an HTTP answer).
struct Planned {
    QByteArray kind;
    QByteArray bytes;
    std::set<int> allowed;
};

QByteArray http(const QByteArray& method, const QByteArray& path, const QByteArray& token, const QByteArray& body = {},
                const QByteArray& extra_headers = {}) {
    QByteArray r = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!token.isNull()) r += "Authorization: Bearer " + token + "\r\n";
    if (!body.isEmpty()) r += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    return r + extra_headers + "\r\n" + body;
}

Planned plan(int i, const QByteArray& token) {
    const QByteArray segment = QJsonDocument(QJsonObject{
        {"image_id", "soak"},
        {"points", QJsonArray{QJsonArray{20 + i % 160, 15 + i % 120, 1}}},
        {"multimask", i % 3 == 0}}).toJson(QJsonDocument::Compact);
    switch (i % 10) {
    case 0: case 1: return {"health", http("GET", "/health", token), {200}};
    case 2: return {"memory", http("GET", "/api/v1/memory", token), {200}};
    // A click may be superseded by a newer one (newest wins): 409 "busy"/"cancelled".
    case 3: return {"segment", http("POST", "/api/v1/segment", token, segment), {200, 409}};
    case 4: return {"no_token", http("GET", "/health", QByteArray()), {401}};
    case 5: return {"wrong_token", http("POST", "/api/v1/segment", "0123456789abcdef", segment), {401}};
    case 6: return {"bad_json", http("POST", "/api/v1/segment", token, "{\"image_id\": \"soak\", \"points\": [[1, 2,"), {400}};
    // No token either: the guard may refuse it as unauthenticated first.
    case 7: return {"bad_http", QByteArray("GARBAGE \x01\x02 nothing\r\n\r\n"), {0, 400, 401}};
    // 100 MB announced, never sent: refused from the headers.
    case 8: return {"oversized", http("POST", "/api/v1/encode", token, {}, "Content-Type: application/json\r\nContent-Length: 100000000\r\n"), {413}};
    default: return i % 20 == 9 ? Planned{"unknown_path", http("GET", "/api/v1/nothing-here", token), {404}}
                                : Planned{"wrong_method", http("GET", "/api/v1/unload", token), {405}};
    }
}

// Keeps `concurrency` raw connections in flight until `total` requests are answered.
class RequestPool : public QObject {
public:
    RequestPool(quint16 port, int concurrency, std::function<Planned(int)> planner)
        : port_(port), concurrency_(concurrency), planner_(std::move(planner)) {}

    // Runs requests [first, first + count); returns when all are answered.
    void run(int first, int count) {
        next_ = first;
        end_ = first + count;
        remaining_ = count;
        QEventLoop loop;
        loop_ = &loop;
        for (int k = 0; k < concurrency_; ++k) launch();
        QTimer::singleShot(600000, &loop, &QEventLoop::quit);
        loop.exec();
        loop_ = nullptr;
    }

    std::map<QByteArray, std::map<int, int>> statuses;  // kind -> status -> count
    QStringList unexpected;

private:
    void launch() {
        if (next_ >= end_) return;
        const int index = next_++;
        auto planned = std::make_shared<Planned>(planner_(index));
        auto* socket = new QTcpSocket(this);
        auto received = std::make_shared<QByteArray>();
        auto finished = std::make_shared<bool>(false);
        auto* timer = new QTimer(socket);
        const auto finish = [this, socket, planned, received, finished] {
            if (*finished) return;
            *finished = true;
            *received += socket->readAll();
            int status = 0;
            if (received->startsWith("HTTP/1.1 ")) status = received->mid(9, 3).toInt();
            ++statuses[planned->kind][status];
            if (!planned->allowed.count(status) && unexpected.size() < 20)
                unexpected << QStringLiteral("%1 -> %2: %3").arg(QString::fromLatin1(planned->kind)).arg(status)
                                  .arg(QString::fromLatin1(received->left(200)));
            socket->abort();
            socket->deleteLater();
            if (--remaining_ == 0 && loop_) loop_->quit();
            else launch();
        };
        connect(socket, &QTcpSocket::connected, socket, [socket, planned] { socket->write(planned->bytes); });
        connect(socket, &QTcpSocket::readyRead, socket, [socket, received, finish] {
            *received += socket->readAll();
            if (response_complete(*received)) finish();
        });
        connect(socket, &QTcpSocket::disconnected, socket, finish);
        connect(socket, &QTcpSocket::errorOccurred, socket, finish);
        connect(timer, &QTimer::timeout, socket, finish);
        timer->start(60000);
        socket->connectToHost(QHostAddress(QHostAddress::LocalHost), port_);
    }

    quint16 port_;
    int concurrency_;
    std::function<Planned(int)> planner_;
    int next_ = 0, end_ = 0, remaining_ = 0;
    QEventLoop* loop_ = nullptr;
};

}  // namespace

class TestSoakControlApi : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tenThousandMixedRequestsKeepMemoryBounded() {
        QVERIFY2(tiny_sam3_present(), "tests/data/sam3/tiny224 is missing");
        auto session = std::make_shared<engine::ModelSession>();
        ModelThread thread(session);
        std::unique_ptr<LocalModelBackend> backend = make_tiny_sam3_backend(thread);
        ControlApiServer server(backend.get());
        QString error;
        const QString token = start_with_random_token(server, ModelEndpoints::On, &error);
        QVERIFY2(!token.isEmpty(), qPrintable(error));
        {
            ControlApiTestClient api(server, token, 120000);
            QCOMPARE(api.post(QStringLiteral("/api/v1/load")).status, 200);
            QFile png(QString::fromStdString((kTinySam3Dir / "blobs_200x150.png").string()));
            QVERIFY(png.open(QIODevice::ReadOnly));
            const QByteArray body = QJsonDocument(QJsonObject{{"image_base64", QString::fromLatin1(png.readAll().toBase64())},
                                                              {"image_id", "soak"}}).toJson(QJsonDocument::Compact);
            QCOMPARE(api.post(QStringLiteral("/api/v1/encode"), body).status, 200);
        }

        const QByteArray token_bytes = token.toLatin1();
        RequestPool pool(server.port(), 16, [&](int i) { return plan(i, token_bytes); });
        constexpr int kWarmUp = 1000, kTotal = 10000;
        QElapsedTimer clock;
        clock.start();
        pool.run(0, kWarmUp);
        const double before = rss_mb();
        pool.run(kWarmUp, kTotal - kWarmUp);
        const double seconds = clock.elapsed() / 1000.0, after = rss_mb();

        int answered = 0;
        QStringList figures;
        for (const auto& [kind, by_status] : pool.statuses)
            for (const auto& [status, count] : by_status) {
                answered += count;
                figures << QStringLiteral("\"%1 %2\": %3").arg(QString::fromLatin1(kind)).arg(status).arg(count);
            }
        qInfo("{\"soak\": \"control_api\", \"requests\": %d, \"seconds\": %.1f, \"rss_before_mb\": %.1f, \"rss_after_mb\": %.1f, "
              "\"growth_mb\": %.2f, %s}",
              answered, seconds, before, after, after - before, qPrintable(figures.join(QStringLiteral(", "))));
        QCOMPARE(answered, kTotal);
        QVERIFY2(pool.unexpected.isEmpty(), qPrintable(pool.unexpected.join(QLatin1Char('\n'))));
        // Clicks were answered with masks under the load, not all dropped. The
        // 16 connections click the same image, and a click still waiting when a
        // newer one on that image arrives is answered 409 `cancelled` (the
        // documented newest-wins rule, one queue for every caller since issue
        // 14), so most are: the model answers the newest as it frees up.
        QVERIFY(pool.statuses["segment"][200] >= 20);
        QVERIFY2(after - before <= 10.0, qPrintable(QStringLiteral("RSS grew %1 MB over %2 requests").arg(after - before).arg(kTotal - kWarmUp)));

        // Still serving.
        ControlApiTestClient api(server, token, 30000);
        const HttpResult health = api.get(QStringLiteral("/health"));
        QCOMPARE(health.status, 200);
        QCOMPARE(health.json.value("model_loaded").toBool(), true);
        server.stop();
        backend.reset();
    }
};

QTEST_MAIN(TestSoakControlApi)
#include "test_soak_control_api.moc"
