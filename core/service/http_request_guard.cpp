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
        : QObject(socket), socket_(socket), framer_(cap, authorize), server_(server) {
        connect(socket, &QTcpSocket::readyRead, this, &RequestGuard::onReadyRead);
    }

private:
    void onReadyRead() {
        if (framer_.refused()) {
            drain();
            return;
        }
        // The HTTP server reads everything available after this slot returns,
        // so the bytes available now are exactly the ones not yet framed.
        const std::optional<RequestFramer::Refusal> refusal = framer_.feed(socket_->peek(socket_->bytesAvailable()));
        if (!refusal) return;
        // This chunk (its header and body bytes) goes; the rest of the body is
        // discarded as it arrives.
        refuse(refusal->status, refusal->message, refusal->drain_bytes);
        discardAvailable();
    }

    // Answers the request here and keeps the HTTP server from ever seeing the
    // rest of this connection. The body is read and discarded as it arrives
    // (so the client, still uploading, gets to read the answer), then the
    // connection closes.
    void refuse(int status, const QByteArray& message, qint64 drain_bytes) {
        drain_left_ = drain_bytes;
        QObject::disconnect(socket_, &QTcpSocket::readyRead, nullptr, nullptr);
        connect(socket_, &QTcpSocket::readyRead, this, &RequestGuard::onReadyRead);

        const char* reason = status == 413   ? "Payload Too Large"
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
        if (server_) Q_EMIT server_->requestRefused(status, framer_.method(), framer_.path());

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
    RequestFramer framer_;
    QPointer<GuardedTcpServer> server_;
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
