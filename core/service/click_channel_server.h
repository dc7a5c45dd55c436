#pragma once
// The server side of the click channel (click_channel_wire.h): a local socket
// (a Unix domain socket, a named pipe on Windows) with a random name, open to
// this user only, on which the control API answers segment calls without
// HTTP. The GUI's model process opens it (serve --click-channel); every
// connection must first send the server's token.
#include "core/service/click_channel_wire.h"

#include <QFuture>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QLocalServer;
class QLocalSocket;

namespace samlabel::service {

class ClickChannelServer : public QObject {
    Q_OBJECT
public:
    struct Answer {
        int status = 200;
        wire::ChannelBodyKind kind = wire::ChannelBodyKind::Json;
        QByteArray body;
    };
    // A segment request's JSON body to its answer (ControlApiServer::segment).
    using Handler = std::function<QFuture<Answer>(const QByteArray& json)>;

    ClickChannelServer(Handler handler, QObject* parent = nullptr);
    ~ClickChannelServer() override;

    // Listens on a fresh random name; false with *error when the OS refuses.
    bool start(const QString& token, QString* error);
    void setToken(const QString& token) { token_ = token.toUtf8(); }
    // What a client connects to (QLocalSocket::connectToServer), e.g.
    // /tmp/samlabel-clicks-<hex> or \\.\pipe\samlabel-clicks-<hex>.
    QString fullServerName() const;
    // Requests answered on the channel so far, and how many of those had their
    // masks in a connection's shared memory region.
    quint64 requestsAnswered() const { return answered_; }
    quint64 sharedAnswers() const { return shared_answers_; }
    // The shared memory region each connection is offered (0: none). Large
    // enough for a few clicks' frames of a large photo (a 4000x3000 click's
    // three masks are 4.5 MB of bits); its pages exist only once written.
    static constexpr quint64 kDefaultSharedAnswerBytes = 32ull << 20;
    void setSharedAnswerBytes(quint64 bytes) { shared_answer_bytes_ = bytes; }

    // A connection that has not sent its token within this is closed.
    static constexpr int kTokenTimeoutMs = 10'000;

Q_SIGNALS:
    void answered(int status);

private:
    struct Connection;
    void accept();
    void readFrom(const std::shared_ptr<Connection>& connection);
    void onMessage(const std::shared_ptr<Connection>& connection, QByteArray message);
    void hello(const std::shared_ptr<Connection>& connection);
    void writeAnswer(const std::shared_ptr<Connection>& connection, quint64 id, const Answer& answer);

    Handler handler_;
    QByteArray token_;
    QLocalServer* server_;
    quint64 answered_ = 0;
    quint64 shared_answers_ = 0;
    quint64 shared_answer_bytes_ = kDefaultSharedAnswerBytes;
};

}  // namespace samlabel::service
