#pragma once
// The ModelBackend of this process: commands go to the ModelWorker thread
// (the same queue the GUI's Load/Unload buttons use) and its queued signals
// fulfil the futures. Memory figures come from the MemorySampler when one is
// given (the gauge's own samples), else from the session's probe.
//
// Images for encode()/segment()/detect() arrive as pixels (the control API
// decodes uploads); they are kept in a small store the worker's image loader
// reads (install it with installImageLoader() before the worker's thread
// starts). Every request goes straight to the worker's queue, which decides
// the order and which pending request a newer one supersedes (a newer click
// on the same image, say); a superseded or unloaded request is answered
// Cancelled here, so no future waits forever. Each API upload is its own
// source there: the GUI's next image never cancels it.
#include "core/engine/model_session.h"
#include "core/service/image_source.h"
#include "core/service/memory_sampler.h"
#include "core/service/model_backend.h"

#include <QHash>
#include <QPointer>
#include <QPromise>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace samlabel::service {

class ModelWorker;

class LocalModelBackend : public ModelBackend {
    Q_OBJECT
public:
    // worker must outlive this object.
    explicit LocalModelBackend(ModelWorker* worker, QObject* parent = nullptr);
    ~LocalModelBackend() override;

    // Lets the worker read images uploaded through the API (ids "api-...");
    // other ids go to `files` (the image file reader unless a test gives its
    // own). Call before the worker's thread runs (ModelWorker::setImageLoader
    // is not synchronised).
    void installImageLoader(std::function<std::optional<ModelImage>(const QString& id, QString* error)> files = {});

    // What reload() loads: set by `serve` from its arguments; otherwise the
    // last model the worker loaded successfully (GUI Load button included).
    // A model already loaded from the same folder but lacking some of
    // request.parts gets them added (only the missing tensors are streamed).
    void setLoadRequest(const engine::LoadRequest& request, const engine::BudgetSettings& budget);
    std::optional<engine::LoadRequest> lastLoadRequest() const;

    // The GUI's own backend: segment() also takes image ids that are the
    // worker's own (file paths the GUI encodes through ModelWorker). Never
    // for a backend whose segment() is reachable over HTTP (`serve`): a client
    // could make it read any file.
    void setLocalFilesAllowed(bool allowed) { local_files_allowed_ = allowed; }

    BackendStatus status() const override;
    BackendMemory memory() const override;
    std::vector<engine::GpuMemory> gpus() const override;
    QString whereText() const override;
    QFuture<PreflightReply> preflight(const engine::LoadRequest& request, const engine::BudgetSettings& budget) override;
    QFuture<LoadReply> load(const engine::LoadRequest& request, const engine::BudgetSettings& budget) override;
    void cancelLoad() override;
    void applyRuntimeSettings(const RuntimeSettings& settings) override;
    void applyConvertedWeightsSettings(const engine::ConvertedWeightsSettings& settings) override;
    // Read back from the session's caches, the worker's idle timer and the session's budget.
    std::optional<AppliedSettings> appliedSettings() const override;
    void setImagesInView(const QString& on_screen, const QStringList& ahead) override;
    bool readsImageFiles() const override { return local_files_allowed_; }
    QFuture<LoadReply> reload() override;
    QFuture<UnloadReply> unload() override;
    QFuture<EncodeReply> encode(const engine::ImageRgb8& image, const QString& image_id) override;
    QFuture<SegmentReply> segment(const QString& image_id, const engine::ClickPrompt& prompt) override;
    QFuture<DetectReply> detect(const QString& image_id, const engine::DetectPrompt& prompt,
                                const engine::DetectOptions& options) override;

    // How many uploaded images are kept for clicks (oldest dropped first).
    static constexpr int kMaxStoredImages = 16;

private:
    struct EncodeJob {
        QString client_id;
        int width = 0, height = 0;
        std::shared_ptr<QPromise<EncodeReply>> promise;
    };
    struct SegmentJob {
        std::shared_ptr<QPromise<SegmentReply>> promise;
    };
    struct DetectJob {
        int width = 0, height = 0;  // the image's, for the answer (0 when the worker reads a local file)
        std::shared_ptr<QPromise<DetectReply>> promise;
    };
    struct ImageStore;

    // The worker id of a client's image id; empty when unknown here.
    QString workerIdFor(const QString& image_id, bool* local_file) const;
    void finishEncodes(const QString& worker_id, EncodeReply reply);
    void finishSegment(quint64 request_id, SegmentReply reply);
    void finishDetect(quint64 request_id, DetectReply reply);
    void failPendingJobs(BackendError error, const QString& message);

    void onSegmentDropped(quint64 request_id);
    void onDetectDropped(quint64 request_id);
    void onEncodeDropped(const QString& worker_id);
    void onEncoded(const QString& worker_id, const engine::EncodeOutcome& outcome);
    void onLoadFinished(const engine::LoadOutcome& outcome);
    void onUnloaded(const engine::UnloadReport& report, bool automatic);
    // Starts the load (or the parts to add) for the first pending caller.
    void startLoad(const engine::LoadRequest& request, const engine::BudgetSettings& budget);
    QFuture<LoadReply> answerLoadNow(const LoadReply& reply);

    QPointer<ModelWorker> worker_;
    std::shared_ptr<engine::ModelSession> session_;
    std::shared_ptr<ImageStore> store_;

    std::optional<engine::LoadRequest> last_request_;
    engine::BudgetSettings last_budget_;
    std::optional<engine::ModelInfo> info_;  // while loaded

    std::vector<std::shared_ptr<QPromise<LoadReply>>> pending_loads_;
    std::vector<std::shared_ptr<QPromise<UnloadReply>>> pending_unloads_;
    // Sent to the worker, answer not yet back: by worker request id (clicks,
    // detects) or by worker image id (encodes; one answer serves every caller).
    QHash<quint64, SegmentJob> segments_;
    QHash<quint64, DetectJob> detects_;
    QMultiHash<QString, EncodeJob> encodes_;
    QHash<QString, QString> aliases_;  // client image id -> worker id
    bool local_files_allowed_ = false;
};

}  // namespace samlabel::service
