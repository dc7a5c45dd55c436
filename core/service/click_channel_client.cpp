#include "core/service/click_channel_client.h"

#include "core/engine/platform/shared_memory_region.h"
#include "core/service/click_channel_wire.h"
#include "core/service/control_api_mask_frame.h"

#include <QJsonDocument>
#include <QLocalSocket>
#include <QPointer>
#include <QPromise>
#include <QThread>
#include <QTimer>

#include <map>

namespace samlabel::service {

// The socket and the calls waiting for answers; every member is used on the channel's thread only.
class ClickChannelClient::Connection : public QObject {
public:
    Connection(QString server_name, QByteArray token, std::shared_ptr<std::atomic<bool>> ready,
               std::shared_ptr<std::atomic<quint64>> shared_answers, QPointer<ClickChannelClient> owner)
        : server_name_(std::move(server_name)), token_(std::move(token)), ready_(std::move(ready)),
          shared_answers_(std::move(shared_answers)), owner_(owner) {}

    void open() {
        socket_ = new QLocalSocket(this);
        connect(socket_, &QLocalSocket::readyRead, this, [this] { read(); });
        connect(socket_, &QLocalSocket::disconnected, this, [this] { close(QStringLiteral("the click channel closed")); });
        connect(socket_, &QLocalSocket::errorOccurred, this, [this] { close(socket_->errorString()); });
        // The token once connected (at once on most systems; a pipe may take a moment).
        connect(socket_, &QLocalSocket::connected, this, [this] { socket_->write(wire::channel_message(token_)); });
        socket_->connectToServer(server_name_);
    }

    void send(quint64 id, const QByteArray& json, const std::shared_ptr<QPromise<ApiCallResult>>& promise, int timeout_ms) {
        if (!ready_->load()) return fail(promise, closed_why_.isEmpty() ? QStringLiteral("the click channel is not open") : closed_why_);
        pending_.emplace(id, promise);
        socket_->write(wire::channel_request_message(id, json));
        QTimer::singleShot(timeout_ms, this, [this, id] {
            const auto it = pending_.find(id);
            if (it == pending_.end()) return;
            const auto late = it->second;
            pending_.erase(it);
            fail(late, QStringLiteral("no answer within the time limit"));
        });
    }

    // Fails every call waiting and reports why; the channel stays closed.
    void close(const QString& why) {
        if (!closed_why_.isEmpty()) return;
        closed_why_ = why.isEmpty() ? QStringLiteral("the click channel closed") : why;
        ready_->store(false);
        for (auto& [id, promise] : std::exchange(pending_, {})) fail(promise, closed_why_);
        if (socket_) socket_->abort();
        report(false, closed_why_);
    }

private:
    static void fail(const std::shared_ptr<QPromise<ApiCallResult>>& promise, const QString& why) {
        ApiCallResult result;
        result.transport_error = why;
        promise->addResult(std::move(result));
        promise->finish();
    }

    void report(bool ready, const QString& message) {
        QMetaObject::invokeMethod(owner_, [owner = owner_, ready, message] {
            if (owner) Q_EMIT owner->readyChanged(ready, message);
        }, Qt::QueuedConnection);
    }

    void read() {
        while (socket_->bytesAvailable() > 0) {
            const wire::ChannelMessageReader::Space space = reader_.space();
            const qint64 got = space.data ? socket_->read(space.data, space.bytes) : -1;
            if (got <= 0 || !reader_.commit(got))
                return close(QStringLiteral("the click channel's answer cannot be read: %1").arg(reader_.error()));
            while (std::optional<QByteArray> message = reader_.next()) {
                onMessage(std::move(*message));
                if (!closed_why_.isEmpty()) return;
            }
        }
    }

    void onMessage(QByteArray message) {
        if (!hello_seen_) {  // the hello, or why the token was refused
            const QJsonObject json = QJsonDocument::fromJson(message).object();
            if (json.value(QStringLiteral("channel")).toString() != QLatin1String("clicks"))
                return close(QStringLiteral("the click channel refused us: %1").arg(json.value(QStringLiteral("message")).toString(QString::fromUtf8(message.left(200)))));
            hello_seen_ = true;
            mapSharedAnswers(json.value(QStringLiteral("shared_answers")).toObject());
            ready_->store(true);
            return report(true, QString());
        }
        QString error;
        std::optional<wire::ChannelAnswer> answer = wire::parse_channel_answer(std::move(message), &error);
        if (!answer) return close(error);
        const auto it = pending_.find(answer->id);
        if (it == pending_.end()) return;  // answered after its time limit
        const std::shared_ptr<QPromise<ApiCallResult>> promise = it->second;
        pending_.erase(it);
        ApiCallResult result;
        result.http_status = answer->status;
        if (answer->kind == wire::ChannelBodyKind::SharedMaskFrame) {
            // Copied out of the region and released at once: the caller's
            // continuation may run later, on another thread, after the server
            // has put the next click's frame in the same place.
            const std::optional<wire::SharedFrame> shared =
                region_ ? wire::parse_shared_frame_body(answer->payload, answer->body_offset, region_->size(), &error) : std::nullopt;
            if (!shared) return close(region_ ? error : QStringLiteral("a shared answer on a connection without a shared region"));
            const QByteArray frame(reinterpret_cast<const char*>(region_->data() + shared->offset), qsizetype(shared->length));
            socket_->write(wire::channel_release_message(answer->id));
            shared_answers_->fetch_add(1);
            answer->kind = wire::ChannelBodyKind::MaskFrame;
            answer->payload = frame;
            answer->body_offset = 0;
        }
        if (answer->kind == wire::ChannelBodyKind::MaskFrame) {
            if (std::optional<wire::MaskFrame> frame = wire::unframe_masks(answer->payload, answer->body_offset)) {
                result.json = std::move(frame->json);
                result.frame = std::move(frame->body);
                result.frame_bits_offset = frame->bits_offset;
            }
        } else {
            const QByteArray& p = answer->payload;
            result.json = QJsonDocument::fromJson(QByteArray::fromRawData(p.constData() + answer->body_offset, p.size() - answer->body_offset)).object();
        }
        promise->addResult(std::move(result));
        promise->finish();  // a continuation without a context runs here, on this thread
    }

    // The hello's shared region (click_channel_wire.h), mapped: the client
    // says so with a release of id 0. Without one, answers come in the stream.
    void mapSharedAnswers(const QJsonObject& offer) {
        if (offer.isEmpty()) return;
        const std::string name = offer.value(QStringLiteral("name")).toString().toStdString();
        const double bytes = offer.value(QStringLiteral("bytes")).toDouble(-1);
        if (bytes <= 0 || bytes > double(kMaxSharedAnswerBytes)) return;
        std::string error;
        region_ = engine::SharedMemoryRegion::open_and_unlink(name, std::size_t(bytes), &error);
        if (!region_) {
            qWarning("samlabel: the click channel's answers stay in the stream: %s", error.c_str());
            return;
        }
        socket_->write(wire::channel_release_message(0));
    }

    // The largest region mapped: a server asking more is not ours to believe.
    static constexpr quint64 kMaxSharedAnswerBytes = 1ull << 30;

    QString server_name_;
    QByteArray token_;
    std::shared_ptr<std::atomic<bool>> ready_;
    std::shared_ptr<std::atomic<quint64>> shared_answers_;
    QPointer<ClickChannelClient> owner_;
    QLocalSocket* socket_ = nullptr;
    wire::ChannelMessageReader reader_{ControlApiClient::kDefaultMaxReplyBytes};
    bool hello_seen_ = false;
    QString closed_why_;
    std::map<quint64, std::shared_ptr<QPromise<ApiCallResult>>> pending_;
    std::unique_ptr<engine::SharedMemoryRegion> region_;
};

ClickChannelClient::ClickChannelClient(QString server_name, QString token, QObject* parent)
    : QObject(parent), server_name_(std::move(server_name)), thread_(new QThread(this)) {
    thread_->setObjectName(QStringLiteral("samlabel click channel"));
    connection_ = new Connection(server_name_, token.toUtf8(), ready_, shared_answers_, this);
    connection_->moveToThread(thread_);
    thread_->start();
    QMetaObject::invokeMethod(connection_, [c = connection_] { c->open(); }, Qt::QueuedConnection);
}

ClickChannelClient::~ClickChannelClient() {
    // Closed and deleted on its own thread (its socket belongs there), then the thread ends.
    QMetaObject::invokeMethod(connection_, [c = connection_] {
        c->close(QStringLiteral("the click channel was closed by its owner"));
        delete c;
    }, Qt::BlockingQueuedConnection);
    thread_->quit();
    thread_->wait();
}

QFuture<ApiCallResult> ClickChannelClient::postSegment(const QByteArray& json_body, int timeout_ms) {
    static std::atomic<quint64> next_id{1};
    auto promise = std::make_shared<QPromise<ApiCallResult>>();
    promise->start();
    QFuture<ApiCallResult> future = promise->future();
    const quint64 id = next_id.fetch_add(1);
    QMetaObject::invokeMethod(connection_, [c = connection_, id, json_body, promise, timeout_ms] {
        c->send(id, json_body, promise, timeout_ms);
    }, Qt::QueuedConnection);
    return future;
}

}  // namespace samlabel::service
