#pragma once
// The model on another machine: a `samlabel-cli serve` host reached over the
// control API. Same interface as the local backend, so the SAM tool and the
// model panel work the same; status(), memory() and gpus() answer from the
// latest poll of /health and /api/v1/memory (the gauge shows the server's
// memory). Polls also follow the server's model: a load or unload someone else
// asked for (another client, the server's idle timer) is reported through
// loadFinished / unloaded like this backend's own, and a running load's
// progress through loadProgress.
//
// The checkpoint folder of a preflight or load is a path on the server; an
// empty one means the server's own folder.
//
// A server on this machine that reads its files (the GUI's model process,
// setServerReadsImageFiles) also gets the images in view (POST
// /api/v1/images-in-view, again after each load), and its encodes are followed
// (GET /api/v1/encode-events when /health's encode_events_seq moved) and
// re-emitted as imageEncodeStarted / imageEncodeProgress / imageEncoded.
#include "core/service/control_api_client.h"
#include "core/service/control_api_requests.h"  // wire::MaskEncoding
#include "core/service/model_backend.h"

#include <QUrl>

class QTimer;

namespace samlabel::service {

class ClickChannelClient;

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
    std::vector<engine::GpuMemory> gpus() const override { return gpus_; }
    QString whereText() const override { return url().toString(); }
    QFuture<PreflightReply> preflight(const engine::LoadRequest& request, const engine::BudgetSettings& budget) override;
    QFuture<LoadReply> load(const engine::LoadRequest& request, const engine::BudgetSettings& budget) override;
    void cancelLoad() override;
    // The server keeps its own cache, idle and converted-weights settings (its
    // command line): a shared server must not take one client's preferences.
    void applyRuntimeSettings(const RuntimeSettings&) override {}
    void applyConvertedWeightsSettings(const engine::ConvertedWeightsSettings&) override {}
    // POST /api/v1/runtime-settings (a wire::RuntimeSettingsUpdate body). Only
    // for a model process this GUI started (ChildProcessModelBackend, which
    // starts it with --allow-runtime-settings), never for a remote server.
    QFuture<ApiCallResult> sendModelProcessSettings(const QJsonObject& body);
    // A click channel to the server (serve --click-channel; ClickChannelServer's
    // name): once it is open, segment() goes on it instead of HTTP, and its
    // answers are unpacked on the channel's thread. Until then, and after it
    // closes, HTTP. Empty: none.
    void setClickChannel(const QString& server_name);
    bool clickChannelReady() const;
    quint64 clicksOnChannel() const { return clicks_on_channel_; }  // segment calls sent on it
    quint64 clickChannelSharedAnswers() const;  // of their answers, those read in shared memory
    // Off (a server elsewhere): it cannot read this machine's files, its images
    // arrive through encode() and setImagesInView() does nothing.
    void setServerReadsImageFiles(bool reads) { server_reads_files_ = reads; }
    bool readsImageFiles() const override { return server_reads_files_; }
    void setImagesInView(const QString& on_screen, const QStringList& ahead) override;
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
    QFuture<LoadReply> postLoad(const QJsonObject& body);
    // Reports what a poll shows the server's model did since the last report.
    void followServerModel(const BackendStatus& now, quint64 poll_generation);
    void noteOwnLoad(const LoadReply& reply);
    void noteOwnUnload(const UnloadReply& reply);
    QFuture<SegmentReply> postSegment(const QString& image_id, const engine::ClickPrompt& prompt, wire::MaskEncoding masks);
    // Sends the images in view unless the server's model has them already or no model is loaded.
    void sendImagesInView();
    // Fetches the server's encode events newer than the ones seen, when server_seq says there are some.
    void followEncodeEvents(quint64 server_seq);

    ControlApiClient* client_;
    ClickChannelClient* channel_ = nullptr;
    quint64 clicks_on_channel_ = 0;
    QTimer* poll_timer_;
    bool poll_in_flight_ = false;
    bool reachable_ = false;
    QString last_error_;
    BackendStatus status_;
    BackendMemory memory_;
    std::vector<engine::GpuMemory> gpus_;
    // The model as last reported through loadFinished / unloaded (loaded or
    // not, and which), so a poll reports only changes.
    BackendStatus reported_;
    // This backend's own loads and unloads: while one runs, or when a poll
    // was sent before one ended, the poll's state may be stale and reports nothing.
    int own_calls_in_flight_ = 0;
    quint64 own_calls_generation_ = 0;
    // Masks as runs until the server says it only knows "png" or "raw" (an
    // older samlabel): then as bits, for the rest of this backend's life.
    bool server_takes_runs_ = true;
    // The images in view (server_reads_files_ only): the latest, and whether the
    // loaded model was given them (a load or unload clears it).
    bool server_reads_files_ = false;
    QString in_view_on_screen_;
    QStringList in_view_ahead_;
    bool in_view_sent_ = false;
    quint64 encode_events_seen_ = 0;  // the newest event re-emitted
    bool encode_events_in_flight_ = false;
};

}  // namespace samlabel::service
