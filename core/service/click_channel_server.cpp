#include "core/service/click_channel_server.h"

#include "core/engine/heap_reuse.h"
#include "core/engine/platform/shared_memory_region.h"
#include "core/service/api_token.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QRandomGenerator>
#include <QTimer>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

namespace samlabel::service {

struct ClickChannelServer::Connection {
    QPointer<QLocalSocket> socket;
    wire::ChannelMessageReader reader{wire::kMaxChannelTokenMessageBytes};
    bool authenticated = false;
    int in_flight = 0;
    // Shared answers (click_channel_wire.h): the region offered in the hello,
    // whether the client said it reads it, and the frames it has not released
    // (id -> offset, length).
    std::unique_ptr<engine::SharedMemoryRegion> region;
    bool client_reads_shared = false;
    std::map<quint64, wire::SharedFrame> shared_in_use;

    // Room for `bytes` after the frames not released yet (from the start when
    // there are none, the usual case: one click at a time reuses the same pages).
    std::optional<quint64> sharedSpaceFor(quint64 bytes) const {
        if (!region || !client_reads_shared) return std::nullopt;
        quint64 end = 0;
        for (const auto& [id, frame] : shared_in_use) end = std::max(end, frame.offset + frame.length);
        if (bytes > region->size() - end) return std::nullopt;
        return end;
    }
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
        hello(connection);
        return;
    }
    if (const std::optional<quint64> released = wire::parse_channel_release(message)) {
        if (*released == 0) connection->client_reads_shared = connection->region != nullptr;
        else connection->shared_in_use.erase(*released);
        return;
    }
    QString error;
    const std::optional<wire::ChannelRequest> request = wire::parse_channel_request(message, &error);
    if (!request) {  // no id to answer to: the stream is broken
        socket->disconnectFromServer();
        return;
    }
    auto write_answer = [this, connection](quint64 id, const Answer& answer) { writeAnswer(connection, id, answer); };
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

void ClickChannelServer::hello(const std::shared_ptr<Connection>& connection) {
    QJsonObject json{{QStringLiteral("channel"), QStringLiteral("clicks")}, {QStringLiteral("version"), wire::kClickChannelVersion}};
    if (shared_answer_bytes_ > 0) {
        std::string error;
        connection->region = engine::SharedMemoryRegion::create(std::size_t(shared_answer_bytes_), &error);
        if (connection->region)
            json[QStringLiteral("shared_answers")] = QJsonObject{{QStringLiteral("name"), QString::fromStdString(connection->region->name())},
                                                                 {QStringLiteral("bytes"), double(connection->region->size())}};
        else  // answers go in the stream, as for a client that does not map the region
            qWarning("samlabel-cli serve: click channel: no shared answers: %s", error.c_str());
    }
    connection->socket->write(json_message(json));
}

void ClickChannelServer::writeAnswer(const std::shared_ptr<Connection>& connection, quint64 id, const Answer& answer) {
    ++answered_;
    Q_EMIT answered(answer.status);
    QLocalSocket* target = connection->socket;
    if (!target || target->state() != QLocalSocket::ConnectedState) return;  // the client went away
    if (answer.kind == wire::ChannelBodyKind::MaskFrame && id != 0) {  // a release of 0 means something else
        if (const std::optional<quint64> offset = connection->sharedSpaceFor(quint64(answer.body.size()))) {
            // The frame in the region, its place in the stream: a 1280x960
            // click's 460 KB no longer go through the socket's 208 KB buffer in rounds.
            std::memcpy(connection->region->data() + *offset, answer.body.constData(), std::size_t(answer.body.size()));
            const wire::SharedFrame frame{*offset, quint64(answer.body.size())};
            connection->shared_in_use[id] = frame;
            ++shared_answers_;
            const QByteArray body = wire::shared_frame_body(frame);
            target->write(wire::channel_answer_head(id, answer.status, wire::ChannelBodyKind::SharedMaskFrame, body.size()) + body);
            return;
        }
    }
    // Head and body apart: the socket's buffer keeps the body's bytes, it does not copy them.
    target->write(wire::channel_answer_head(id, answer.status, answer.kind, answer.body.size()));
    target->write(answer.body);
}

}  // namespace samlabel::service
