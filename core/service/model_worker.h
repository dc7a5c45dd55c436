#pragma once
// The model's thread. A ModelWorker lives on its own QThread (see ModelThread)
// and owns the engine's ModelSession; the GUI (or the control API) sends
// commands through the thread-safe request*() methods and hears back through
// queued signals only, so no caller ever waits on the model.
//
// Scheduling, one task at a time: the worker's ModelRequestQueue decides (the
// one queue every caller's request ends up in; model_request_queue.h has the
// priorities and which pending request supersedes which). Requests carry a
// source: callers that share one (the app's own requests use the default)
// supersede each other's pending clicks on the same image, detects and
// images on screen; a superseded request is announced (*Dropped).
// A click does not wait for an encode: between the encode's steps (the
// trunk's layers) the worker answers the newest pending click on an image
// that is already encoded, then the encode goes on (ModelSession::encode's
// between_steps). Waiting time is then at most one trunk layer.
// Between two tasks the worker's event loop runs (auto-unload timer, new
// requests). Cancellation is by atomic flags: cancelLoad() reaches the running
// load's progress callback; requestUnload() cancels a running load, drops pending
// clicks and encodes, and runs as soon as the current encode or click returns.
#include "core/engine/model_session.h"
#include "core/service/engine_metatypes.h"
#include "core/service/image_source.h"
#include "core/service/model_request_queue.h"

#include <QHash>
#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

class QTimer;

namespace samlabel::service {

// Why a detect request was not answered with detections.
enum class DetectFailure {
    NotLoaded = 1,       // no model
    DetectionNotLoaded,  // a model without the detection parts (click-to-segment only)
    BadPrompt,           // the model cannot take the prompt (std::invalid_argument: too many tokens, bad boxes)
    ImageUnreadable,     // the image loader could not give the image (an upload no longer kept)
    EncodeRefused,       // the memory re-check refused encoding the image
    Failed,              // anything else
};

class ModelWorker : public QObject {
    Q_OBJECT
public:
    // Reads an image by its id (a file path for the GUI). Replaceable for
    // images that arrive as bytes (the control API) and in tests.
    using ImageLoader = std::function<std::optional<ModelImage>(const QString& image_id, QString* error)>;

    explicit ModelWorker(std::shared_ptr<engine::ModelSession> session, QObject* parent = nullptr);
    ~ModelWorker() override;

    void setImageLoader(ImageLoader loader);  // before the thread starts

    // ---- thread-safe commands (any thread; they never block on the model) ----
    // request.parts chooses click-to-segment, detection or both.
    void requestLoad(const engine::LoadRequest& request, const engine::BudgetSettings& budget);
    // Adds parts to the loaded model (ModelSession::add_parts: a preflight of
    // the increment, then only the missing tensors). Answered by partsAdded.
    void requestAddParts(engine::PartSet parts, const engine::BudgetSettings& budget);
    void cancelLoad();
    void requestUnload();
    // The image now on screen: replaces the same source's earlier pending one
    // (announced by encodeDropped). An API upload passes its own source, so
    // the GUI's next image does not cancel it.
    void requestEncode(const QString& image_id, const QString& source = QString());
    // Images the annotator will probably open next (replaces the earlier list).
    void setEncodeAhead(const QStringList& image_ids);
    // A click round. Returns its request id; a pending click on the same image
    // from the same source is dropped (announced by segmentDropped).
    quint64 requestSegment(const QString& image_id, const engine::ClickPrompt& prompt, const QString& source = QString());
    // Concept detection on an image (encoded first with every loaded path's
    // features when needed). Returns its request id; as for clicks, an older
    // pending detect on the same image from the same source is announced by detectDropped.
    quint64 requestDetect(const QString& image_id, const engine::DetectPrompt& prompt, const engine::DetectOptions& options,
                          const QString& source = QString());
    // 0 disables auto-unload (the default).
    void setAutoUnloadAfterMs(qint64 idle_ms);
    qint64 autoUnloadAfterMs() const { return auto_unload_ms_.load(); }
    void setBudget(const engine::BudgetSettings& budget);

    // Lock-free reads for the GUI and the control API.
    engine::SessionState state() const;
    std::shared_ptr<engine::ModelSession> session() const { return session_; }
    quint64 droppedSegmentRequests() const { return dropped_segments_.load(); }
    quint64 droppedDetectRequests() const { return dropped_detects_.load(); }

Q_SIGNALS:
    void stateChanged(samlabel::engine::SessionState state);
    void loadProgress(quint64 bytes_done, quint64 bytes_total);
    void loadFinished(samlabel::engine::LoadOutcome outcome);
    // The answer to requestAddParts (loadProgress reports its streaming). A
    // sibling of loadFinished so the model panel's Load state is untouched.
    void partsAdded(samlabel::engine::LoadOutcome outcome);
    void encodeStarted(QString image_id);
    // During an encode: step of steps done (the trunk's layers, then the path
    // features) after elapsed_ms; a few dozen per encode.
    void encodeProgress(QString image_id, int step, int steps, double elapsed_ms);
    void encoded(QString image_id, samlabel::engine::EncodeOutcome outcome);
    // The answers come as Handoffs (handoff.h), taken by the caller that asked:
    // a queued signal would copy the masks.
    void segmented(quint64 request_id, QString image_id, samlabel::service::Handoff<samlabel::engine::SegmentResult> result,
                   double total_ms);
    void segmentFailed(quint64 request_id, QString image_id, QString message);
    void detected(quint64 request_id, QString image_id, samlabel::service::Handoff<samlabel::engine::DetectResult> result,
                  double total_ms);
    void detectFailed(quint64 request_id, QString image_id, QString message, samlabel::service::DetectFailure why);
    void unloaded(samlabel::engine::UnloadReport report, bool automatic);
    // A pending request that will never be answered: replaced by a newer click
    // (detect) or image, or dropped by an unload. Emitted on the requesting thread.
    void segmentDropped(quint64 request_id, QString image_id);
    void detectDropped(quint64 request_id, QString image_id);
    void encodeDropped(QString image_id);
    void error(QString message);

private:
    // What a queued request carries besides its scheduling (kept by request id).
    struct SegmentJob {
        engine::ClickPrompt prompt;
        qint64 queued_at_ms = 0;
    };
    struct DetectJob {
        engine::DetectPrompt prompt;
        engine::DetectOptions options;
        qint64 queued_at_ms = 0;
    };
    struct LoadJob {
        engine::LoadRequest request;
        engine::BudgetSettings budget;
    };
    struct AddPartsJob {
        engine::PartSet parts = engine::PartSet::ClickToSegment;
        engine::BudgetSettings budget;
    };

    void schedule();            // posts one drain step to the worker thread
    void drainOne();            // worker thread: runs the highest-priority task
    void runLoad(const LoadJob& job);
    void runUnload(bool automatic);
    void runAddParts(const AddPartsJob& job);
    void runSegment(quint64 id, const QString& image_id, const SegmentJob& job);
    void runDetect(quint64 id, const QString& image_id, const DetectJob& job);
    // Call with mutex_ held: forgets the payloads of superseded requests and
    // returns them for announce() (after the mutex is released).
    std::vector<ModelRequest> forget(std::vector<ModelRequest> superseded);
    void announce(const std::vector<ModelRequest>& superseded);
    // Encodes the image unless cached; returns its content key, or nullopt
    // (signals already emitted; *failed says why) when it could not be encoded.
    std::optional<std::string> ensureEncoded(const QString& image_id, engine::EncodeOutcome* failed_out = nullptr);
    // From inside an encode: runs the pending click when its image is encoded.
    void answerClickDuringEncode();
    void emitStateIfChanged();
    void restartIdleTimer();

    std::shared_ptr<engine::ModelSession> session_;
    ImageLoader loader_;

    // Pending work, guarded by mutex_ (held only to move jobs in and out).
    std::mutex mutex_;
    ModelRequestQueue queue_;
    QHash<quint64, LoadJob> loads_;
    QHash<quint64, AddPartsJob> add_parts_;
    QHash<quint64, SegmentJob> segments_;
    QHash<quint64, DetectJob> detects_;
    bool drain_posted_ = false;

    std::atomic<quint64> dropped_segments_{0};
    std::atomic<quint64> dropped_detects_{0};
    std::atomic<qint64> auto_unload_ms_{0};
    // Set under mutex_ when a load job is taken or cancelled, read by its progress callback.
    std::atomic<bool> load_cancel_{false};
    std::uint64_t last_embedding_bytes_ = 0;  // worker thread: size of the last encode

    // Worker-thread only.
    QHash<QString, std::string> content_keys_;  // image id -> content key of its last read
    QTimer* idle_timer_ = nullptr;
    std::optional<engine::SessionState> last_emitted_state_;
};

}  // namespace samlabel::service

Q_DECLARE_METATYPE(samlabel::service::DetectFailure)
