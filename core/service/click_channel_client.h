#pragma once
// The client side of the click channel (click_channel_wire.h): the GUI's
// model-process backend sends its clicks on it instead of HTTP. The socket
// lives on a thread of its own, so a click's answer is read (and, by a
// continuation without a context, unpacked) there, off the GUI's thread, and
// nothing waits behind a repaint.
#include "core/service/control_api_client.h"  // ApiCallResult

#include <QFuture>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

class QThread;

namespace samlabel::service {

class ClickChannelClient : public QObject {
    Q_OBJECT
public:
    // Connects to `server_name` (ClickChannelServer::fullServerName) and sends
    // the token; ready once the server's hello arrives.
    ClickChannelClient(QString server_name, QString token, QObject* parent = nullptr);
    ~ClickChannelClient() override;  // closes the channel; calls not answered fail

    QString serverName() const { return server_name_; }
    // The hello arrived and the connection stands. A channel that closes (the
    // model process ended) is not opened again: its backend uses HTTP then.
    bool isReady() const { return ready_->load(); }
    // Answers whose masks came through the server's shared memory region
    // (click_channel_wire.h) instead of the stream.
    quint64 sharedAnswers() const { return shared_answers_->load(); }

    // A POST /api/v1/segment body; any thread. The future is fulfilled on the
    // channel's thread: a continuation without a context runs there. A channel
    // that is not ready, or closes before the answer, or a call over
    // timeout_ms, gives http_status 0 and a transport_error.
    QFuture<ApiCallResult> postSegment(const QByteArray& json_body, int timeout_ms);

Q_SIGNALS:
    // Ready (the hello arrived) or closed, with why (on the owner's thread).
    void readyChanged(bool ready, QString message);

private:
    class Connection;  // lives on thread_
    QString server_name_;
    QThread* thread_;
    Connection* connection_;
    std::shared_ptr<std::atomic<bool>> ready_ = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<std::atomic<quint64>> shared_answers_ = std::make_shared<std::atomic<quint64>>(0);
};

}  // namespace samlabel::service
