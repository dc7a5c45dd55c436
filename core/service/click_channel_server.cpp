#include "core/service/click_channel_server.h"

#include "core/engine/heap_reuse.h"
#include "core/service/api_token.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QRandomGenerator>
#include <QTimer>

#include <memory>

namespace samlabel::service {

struct ClickChannelServer::Connection {
    QPointer<QLocalSocket> socket;
    wire::ChannelMessageReader reader{wire::kMaxChannelTokenMessageBytes};
    bool authenticated = false;
    int in_flight = 0;
};

namespace {

QByteArray json_message(const QJsonObject& json) {
    return wire::channel_message(QJsonDocument(json).toJson(QJsonDocument::Compact));
}

QByteArray error_body(const QString& code, const QString& message) {
    return QJsonDocument(QJsonObject{{QStringLiteral("error"), code}, {QStringLiteral("message"), message}}).toJson(QJsonDocument::Compact);
}

}  // namespace

ClickChannelServer::ClickChannelServer(Handler handler, QObject* parent)
    : QObject(parent), handler_(std::move(handler)), server_(new QLocalServer(this)) {
    // This user only: the socket file's mode (Unix), the pipe's ACL (Windows).
    server_->setSocketOptions(QLocalServer::UserAccessOption);
    connect(server_, &QLocalServer::newConnection, this, &ClickChannelServer::accept);
}

ClickChannelServer::~ClickChannelServer() = default;

bool ClickChannelServer::start(const QString& token, QString* error) {
    token_ = token.toUtf8();
    // A model process frames every click's masks into a fresh buffer (and, on
    // a GPU, copies them into fresh ones): keep freed memory for the next click.
    engine::keep_freed_cpu_memory_for_reuse();
    // A random name: nobody can take it before us, or guess it to squat on it.
    const quint64 a = QRandomGenerator::system()->generate64();
    const QString name = QStringLiteral("samlabel-clicks-%1").arg(a, 16, 16, QLatin1Char('0'));
    if (server_->listen(name)) return true;
    if (error) *error = QStringLiteral("click channel %1: %2").arg(name, server_->errorString());
    return false;
}

QString ClickChannelServer::fullServerName() const {
    return server_->fullServerName();
}

void ClickChannelServer::accept() {
    while (QLocalSocket* socket = server_->nextPendingConnection()) {
        auto connection = std::make_shared<Connection>();
        connection->socket = socket;
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QLocalSocket::readyRead, this, [this, connection] { readFrom(connection); });
        QTimer::singleShot(kTokenTimeoutMs, socket, [connection] {
            if (!connection->authenticated && connection->socket) connection->socket->disconnectFromServer();
        });
        readFrom(connection);  // bytes may have arrived with the connection
    }
}

void ClickChannelServer::readFrom(const std::shared_ptr<Connection>& connection) {
    QLocalSocket* socket = connection->socket;
    while (socket && socket->bytesAvailable() > 0) {
        const wire::ChannelMessageReader::Space space = connection->reader.space();
        const qint64 got = space.data ? socket->read(space.data, space.bytes) : -1;
        if (got <= 0 || !connection->reader.commit(got)) {
            // A stream that cannot be followed any more (a message over the cap): close it.
            socket->disconnectFromServer();
            return;
        }
        while (std::optional<QByteArray> message = connection->reader.next()) {
            onMessage(connection, std::move(*message));
            if (!connection->socket || socket->state() != QLocalSocket::ConnectedState) return;
        }
    }
}

void ClickChannelServer::onMessage(const std::shared_ptr<Connection>& connection, QByteArray message) {
    QLocalSocket* socket = connection->socket;
    if (!connection->authenticated) {
        if (!tokens_equal(message, token_)) {
            socket->write(wire::channel_message(error_body(QStringLiteral("unauthorized"), QStringLiteral("wrong token"))));
            socket->disconnectFromServer();  // after the bytes written
            return;
        }
        connection->authenticated = true;
        connection->reader.setMaxMessageBytes(wire::kMaxChannelRequestBytes);
        socket->write(json_message({{QStringLiteral("channel"), QStringLiteral("clicks")},
                                    {QStringLiteral("version"), wire::kClickChannelVersion}}));
        return;
    }
    QString error;
    const std::optional<wire::ChannelRequest> request = wire::parse_channel_request(message, &error);
    if (!request) {  // no id to answer to: the stream is broken
        socket->disconnectFromServer();
        return;
    }
    QPointer<QLocalSocket> target = socket;
    auto write_answer = [this, target](quint64 id, const Answer& answer) {
        ++answered_;
        Q_EMIT answered(answer.status);
        if (!target || target->state() != QLocalSocket::ConnectedState) return;  // the client went away
        // Head and body apart: the socket's buffer keeps the body's bytes, it does not copy them.
        target->write(wire::channel_answer_head(id, answer.status, answer.kind, answer.body.size()));
        target->write(answer.body);
    };
    if (connection->in_flight >= wire::kMaxChannelRequestsInFlight) {
        write_answer(request->id, Answer{429, wire::ChannelBodyKind::Json,
                                         error_body(QStringLiteral("too_many_requests"),
                                                    QStringLiteral("more than %1 clicks waiting on one click channel connection")
                                                        .arg(wire::kMaxChannelRequestsInFlight))});
        return;
    }
    ++connection->in_flight;
    const quint64 id = request->id;
    handler_(request->json)
        .then(this, [write_answer, id, connection](const Answer& answer) {
            --connection->in_flight;
            write_answer(id, answer);
        })
        .onCanceled(this, [write_answer, id, connection] {
            --connection->in_flight;
            write_answer(id, Answer{500, wire::ChannelBodyKind::Json,
                                    error_body(QStringLiteral("failed"), QStringLiteral("the operation was abandoned"))});
        });
}

}  // namespace samlabel::service
