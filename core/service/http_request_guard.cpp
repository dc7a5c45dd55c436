#include "core/service/http_request_guard.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

namespace samlabel::service {
namespace {

// Drops a refused connection that keeps sending after this long.
constexpr int kDrainTimeoutMs = 30'000;

class RequestGuard : public QObject {
public:
    RequestGuard(QTcpSocket* socket, const BodyCapFn& cap, const AuthorizeFn& authorize, GuardedTcpServer* server)
        : QObject(socket), socket_(socket), cap_(cap), authorize_(authorize), server_(server) {
        connect(socket, &QTcpSocket::readyRead, this, &RequestGuard::onReadyRead);
    }

private:
    enum class State { Headers, Body, Refused };

    void onReadyRead() {
        if (state_ == State::Refused) {
            drain();
            return;
        }
        // The HTTP server reads everything available after this slot returns,
        // so the bytes available now are exactly the ones not yet framed.
        const QByteArray chunk = socket_->peek(socket_->bytesAvailable());
        qsizetype pos = 0;
        while (pos < chunk.size()) {
            if (state_ == State::Body) {
                const qint64 take = qMin<qint64>(body_left_, chunk.size() - pos);
                body_left_ -= take;
                pos += take;
                if (body_left_ == 0) state_ = State::Headers;
                continue;
            }
            // Headers: accumulate until the blank line.
            const qsizetype before = header_.size();
            const qsizetype scan_from = qMax<qsizetype>(0, before - 3);
            header_.append(chunk.constData() + pos, chunk.size() - pos);
            const qsizetype end = header_.indexOf("\r\n\r\n", scan_from);
            if (end < 0 || end + 4 > kMaxHeaderBytes) {
                if (header_.size() > kMaxHeaderBytes) {
                    refuse(431, "the request header block exceeds 64 KB", 0);
                    discardAvailable();
                }
                return;
            }
            pos += end + 4 - before;  // the header's bytes that were in this chunk
            const qint64 length = frameRequest(header_.left(end));
            header_.clear();
            if (state_ == State::Refused) {
                // This chunk (its header and body bytes) goes; the rest of
                // the body is discarded as it arrives.
                drain_left_ = qMax<qint64>(0, length - (chunk.size() - pos));
                discardAvailable();
                return;
            }
        }
    }

    // Parses the request line and the framing headers; returns Content-Length.
    qint64 frameRequest(const QByteArray& head) {
        const QList<QByteArray> lines = head.split('\n');
        const QList<QByteArray> request_line = lines.value(0).trimmed().split(' ');
        method_ = request_line.value(0);
        const QByteArray target = request_line.value(1);
        const qsizetype q = target.indexOf('?');
        path_ = q >= 0 ? target.left(q) : target;
        qint64 length = 0;
        bool chunked = false;
        QByteArray authorization;
        bool authorization_seen = false;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0) continue;
            const QByteArray name = line.left(colon).trimmed().toLower();
            const QByteArray value = line.mid(colon + 1).trimmed();
            if (name == "content-length") {
                bool ok = false;
                length = value.toLongLong(&ok);
                if (!ok || length < 0) length = 0;  // the HTTP parser rejects it itself
            } else if (name == "transfer-encoding" && value.toLower().contains("chunked")) {
                chunked = true;
            } else if (name == "authorization" && !authorization_seen) {
                authorization = value;  // the first one, as QHttpServerRequest::value() reads it
                authorization_seen = true;
            }
        }
        if (chunked) {
            refuse(411, "chunked request bodies are not accepted: send a Content-Length", 0);
            return 0;
        }
        const qint64 cap = cap_(path_);
        if (length > cap) {
            refuse(413,
                   QByteArray("the body of ") + path_ + " is " + QByteArray::number(length) +
                       " bytes; the limit is " + QByteArray::number(cap) + " bytes",
                   length);
            return length;
        }
        // The token last: without it nothing is buffered, parsed or handled.
        if (const QByteArray why = authorize_(authorization); !why.isEmpty()) {
            refuse(401, why, length);
            return length;
        }
        body_left_ = length;
        state_ = length > 0 ? State::Body : State::Headers;
        return length;
    }

    // Answers the request here and keeps the HTTP server from ever seeing the
    // rest of this connection. The body is read and discarded as it arrives
    // (so the client, still uploading, gets to read the answer), then the
    // connection closes.
    void refuse(int status, const QByteArray& message, qint64 body_bytes) {
        state_ = State::Refused;
        drain_left_ = body_bytes;
        QObject::disconnect(socket_, &QTcpSocket::readyRead, nullptr, nullptr);
        connect(socket_, &QTcpSocket::readyRead, this, &RequestGuard::onReadyRead);

        const char* reason = status == 413 ? "Payload Too Large"
                             : status == 431 ? "Request Header Fields Too Large"
                             : status == 401 ? "Unauthorized"
                                             : "Length Required";
        const char* code = status == 413   ? "payload_too_large"
                           : status == 431 ? "headers_too_large"
                           : status == 401 ? "unauthorized"
                                           : "length_required";
        const QJsonObject error{{QStringLiteral("error"), QString::fromLatin1(code)},
                                {QStringLiteral("message"), QString::fromUtf8(message)}};
        const QByteArray body = QJsonDocument(error).toJson(QJsonDocument::Compact);
        QByteArray response = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
        if (status == 401) response += "WWW-Authenticate: Bearer realm=\"samlabel\"\r\n";
        response += "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                    QByteArray::number(body.size()) + "\r\n\r\n" + body;
        socket_->write(response);
        if (server_) Q_EMIT server_->requestRefused(status, method_, path_);

        QTimer::singleShot(kDrainTimeoutMs, socket_, [s = QPointer<QTcpSocket>(socket_)] {
            if (s) s->abort();
        });
    }

    void drain() {
        const qint64 available = socket_->bytesAvailable();
        drain_left_ -= qMin(drain_left_, available);
        discardAvailable();
    }

    void discardAvailable() {
        // The HTTP server's read transaction would keep every skipped byte.
        if (socket_->isTransactionStarted()) socket_->commitTransaction();
        socket_->skip(socket_->bytesAvailable());
        if (drain_left_ == 0 && !closing_) {
            closing_ = true;
            socket_->disconnectFromHost();  // after the answer is written
        }
    }

    QTcpSocket* socket_;
    BodyCapFn cap_;
    AuthorizeFn authorize_;
    QPointer<GuardedTcpServer> server_;
    State state_ = State::Headers;
    QByteArray header_;
    QByteArray method_;
    QByteArray path_;
    qint64 body_left_ = 0;
    qint64 drain_left_ = 0;
    bool closing_ = false;
};

}  // namespace

GuardedTcpServer::GuardedTcpServer(BodyCapFn body_cap, AuthorizeFn authorize, QObject* parent)
    : QTcpServer(parent), body_cap_(std::move(body_cap)), authorize_(std::move(authorize)) {}

void GuardedTcpServer::incomingConnection(qintptr descriptor) {
    auto* socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        return;
    }
    new RequestGuard(socket, body_cap_, authorize_, this);  // connected first: runs before the HTTP server's slot
    addPendingConnection(socket);
}

}  // namespace samlabel::service
