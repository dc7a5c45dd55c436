#pragma once
// The model on another machine: a `samlabel-cli serve` host reached over the
// control API. Same interface as the local backend, so the SAM tool works the
// same; status() and memory() answer from the latest poll of /health and
// /api/v1/memory (the gauge shows the server's memory).
#include "core/service/control_api_client.h"
#include "core/service/model_backend.h"

#include <QUrl>

class QTimer;

namespace samlabel::service {

class RemoteModelBackend : public ModelBackend {
    Q_OBJECT
public:
    RemoteModelBackend(QUrl url, QString token, int poll_interval_ms = 1000, QObject* parent = nullptr);
    ~RemoteModelBackend() override;

    QUrl url() const { return client_->baseUrl(); }
    bool isReachable() const { return reachable_; }
    QString lastError() const { return last_error_; }  // why the last poll failed
    void pollNow();

    BackendStatus status() const override { return status_; }
    BackendMemory memory() const override { return memory_; }
    QFuture<LoadReply> reload() override;
    QFuture<UnloadReply> unload() override;
    QFuture<EncodeReply> encode(const engine::ImageRgb8& image, const QString& image_id) override;
    QFuture<SegmentReply> segment(const QString& image_id, const engine::ClickPrompt& prompt) override;
    QFuture<DetectReply> detect(const QString& image_id, const engine::DetectPrompt& prompt,
                                const engine::DetectOptions& options) override;

    // Time limits: a load or an unload behind a long encode takes minutes.
    static constexpr int kLoadTimeoutMs = 15 * 60 * 1000;
    static constexpr int kUnloadTimeoutMs = 5 * 60 * 1000;
    static constexpr int kModelCallTimeoutMs = 2 * 60 * 1000;

Q_SIGNALS:
    void reachabilityChanged(bool reachable, QString message);
    void memorySampled(samlabel::service::BackendMemory memory);

private:
    void setReachable(bool reachable, const QString& message);

    ControlApiClient* client_;
    QTimer* poll_timer_;
    bool poll_in_flight_ = false;
    bool reachable_ = false;
    QString last_error_;
    BackendStatus status_;
    BackendMemory memory_;
};

}  // namespace samlabel::service
