#pragma once
// Refuses oversized HTTP requests BEFORE their bodies are buffered.
//
// QHttpServer (6.4) reads a whole request into memory (twice: the socket's
// transaction buffer and the request body) before any handler sees it, so a
// check in the handler alone would let one 4 GB POST take 8 GB of RAM from
// the annotation app. GuardedTcpServer creates each connection's socket itself
// and attaches a RequestSizeGuard whose readyRead slot runs before the HTTP
// server's: it frames requests by their headers and Content-Length, and
// answers 413 (body over the path's cap), 431 (header block over 64 KB) or 411
// (chunked bodies, whose size is unknown upfront) itself, discarding the body
// instead of storing it, then closes the connection.
#include "core/service/control_api_requests.h"  // RequestFramer: the framing itself, pure

#include <QTcpServer>

class QTcpSocket;

namespace samlabel::service {

class GuardedTcpServer : public QTcpServer {
    Q_OBJECT
public:
    explicit GuardedTcpServer(BodyCapFn body_cap, QObject* parent = nullptr);

Q_SIGNALS:
    // A request refused by the guard (it never reaches the HTTP server).
    void requestRefused(int status, QByteArray method, QByteArray path);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    BodyCapFn body_cap_;
};

}  // namespace samlabel::service
