#pragma once
// Blocking HTTP calls for tests (a local event loop with a deadline), and raw
// socket requests for what QNetworkAccessManager will not send.
#include <QElapsedTimer>
#include <QHostAddress>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

namespace samlabel::service::testing {

struct HttpResult {
    int status = 0;  // 0: no HTTP answer
    QJsonObject json;
    QByteArray body;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
};

inline HttpResult http_call(QNetworkAccessManager& nam, const QByteArray& method, const QUrl& url,
                            const QByteArray& token, const QByteArray& body = {}, int timeout_ms = 30000) {
    QNetworkRequest request(url);
    if (!token.isNull()) request.setRawHeader("Authorization", "Bearer " + token);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply* reply = nam.sendCustomRequest(request, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeout_ms, &loop, &QEventLoop::quit);
    loop.exec();
    HttpResult r;
    if (!reply->isFinished()) {
        reply->abort();
        r.error = QNetworkReply::TimeoutError;
    } else {
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        r.json = QJsonDocument::fromJson(r.body).object();
        r.error = reply->error();
    }
    reply->deleteLater();
    return r;
}

// True when `received` holds a whole response (headers + Content-Length bytes).
inline bool response_complete(const QByteArray& received) {
    const qsizetype end = received.indexOf("\r\n\r\n");
    if (end < 0) return false;
    const QByteArray head = received.left(end).toLower();
    const qsizetype at = head.indexOf("content-length:");
    if (at < 0) return true;
    const qsizetype eol = head.indexOf("\r\n", at);
    const qint64 length = head.mid(at + 15, eol < 0 ? -1 : eol - at - 15).trimmed().toLongLong();
    return received.size() - (end + 4) >= length;
}

// Sends `request` verbatim on a fresh connection and returns the answer's
// status code (0 when none came before the deadline). Event-driven: the
// server under test runs on this same thread.
inline int raw_request_status(quint16 port, const QByteArray& request, int timeout_ms = 10000, QByteArray* response = nullptr) {
    QTcpSocket socket;
    QByteArray received;
    QEventLoop loop;
    QObject::connect(&socket, &QTcpSocket::connected, &socket, [&] { socket.write(request); });
    QObject::connect(&socket, &QTcpSocket::readyRead, &socket, [&] {
        received += socket.readAll();
        if (response_complete(received)) loop.quit();
    });
    QObject::connect(&socket, &QTcpSocket::disconnected, &loop, &QEventLoop::quit);
    QObject::connect(&socket, &QTcpSocket::errorOccurred, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeout_ms, &loop, &QEventLoop::quit);
    socket.connectToHost(QHostAddress(QHostAddress::LocalHost), port);
    loop.exec();
    received += socket.readAll();
    if (response) *response = received;
    if (!received.startsWith("HTTP/1.1 ")) return 0;
    return received.mid(9, 3).toInt();
}

}  // namespace samlabel::service::testing
