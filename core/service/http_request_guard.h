#pragma once
// Refuses oversized and unauthenticated HTTP requests BEFORE their bodies are
// buffered.
//
// QHttpServer (6.4) reads a whole request into memory (twice: the socket's
// transaction buffer and the request body) before any handler sees it, so a
// check in the handler alone would let one 4 GB POST take 8 GB of RAM from
// the annotation app, and anyone who can reach the port make it buffer up to
// a body cap without knowing the token. GuardedTcpServer creates each
// connection's socket itself and attaches a RequestGuard whose readyRead slot
// runs before the HTTP server's: it frames requests by their headers and
// Content-Length (RequestFramer) and answers itself, from the header block
// alone, in this order:
//   431  the header block is over 64 KB
//   411  a chunked body (its size is unknown upfront)
//   413  Content-Length over the path's cap
//   401  no or a wrong "Authorization: Bearer" token
// The size answers come first because they need no secret (a cheap refusal
// that says nothing about the token). A refused request never reaches the
// HTTP server or a handler: its body is read and discarded as it arrives,
// never stored, and the connection closes after the answer.
#include "core/service/control_api_requests.h"  // RequestFramer: the framing itself, pure

#include <QTcpServer>

class QTcpSocket;

namespace samlabel::service {

class GuardedTcpServer : public QTcpServer {
    Q_OBJECT
public:
    GuardedTcpServer(BodyCapFn body_cap, AuthorizeFn authorize, QObject* parent = nullptr);

Q_SIGNALS:
    // A request refused by the guard (it never reaches the HTTP server).
    void requestRefused(int status, QByteArray method, QByteArray path);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    BodyCapFn body_cap_;
    AuthorizeFn authorize_;
};

}  // namespace samlabel::service
