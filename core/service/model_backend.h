#pragma once
// The one door to "the model", wherever it runs: in this process
// (LocalModelBackend over the ModelWorker thread), on a GPU server
// (RemoteModelBackend over HTTP) or in a child process of the GUI
// (ChildProcessModelBackend). The model panel, the SAM tool, the find bar, the
// auto-label run, the control API and Unload & Train all go through it, so a
// preflight, a load or an unload means the same thing whoever asks, and the
// panel in remote mode acts on the server's model. Every operation is asynchronous
// and answers through a QFuture that is fulfilled once the work is really done
// (an unload's future only after the memory was given back and measured), so
// no caller ever waits on the model in its event loop.
//
// Threading: call from the object's thread. Futures may be fulfilled on any
// thread; attach continuations with a context object (future.then(this, ...)).
// Every call returns a future of its own, with the caller as its only reader:
// the caller may move the answer out (future_result.h), as the control API and
// the model-process backend do with a click's masks.
#include "core/engine/converted_weights_cache.h"  // ConvertedWeightsSettings
#include "core/engine/engine_types.h"
#include "core/engine/model_session.h"
#include "core/service/backend_replies.h"  // BackendError and the reply structs

#include <QFuture>
#include <QObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <vector>

namespace samlabel::service {

// How the model keeps embeddings and when it lets go by itself. Applied to
// the model process (this one, or a child: at its start and live, through
// POST /api/v1/runtime-settings); a remote server keeps its own.
struct RuntimeSettings {
    std::uint64_t embedding_cache_bytes = 2048ull << 20;
    QString disk_cache_dir;       // empty: no disk cache
    qint64 auto_unload_after_ms = 0;  // 0: never
    engine::BudgetSettings encode_budget;  // encodes re-check memory against it (the panel's budget, live)
};

// What the model process runs with now, read back from the parts that use it
// (/health's "settings"), so a client sees that a change took.
struct AppliedSettings {
    RuntimeSettings runtime;
    engine::ConvertedWeightsSettings converted_weights;
};

class ModelBackend : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~ModelBackend() override = default;

    // Cheap snapshots, never waiting on the model (a remote backend answers
    // with its latest poll).
    virtual BackendStatus status() const = 0;
    virtual BackendMemory memory() const = 0;
    // The GPUs the model can load on (the model panel's device list).
    virtual std::vector<engine::GpuMemory> gpus() const = 0;
    // Where the model runs, for the user: "this process", "a model process
    // (pid 1234)", "https://gpu-box:8765".
    virtual QString whereText() const = 0;

    // The memory check of a load with these options, without loading.
    virtual QFuture<PreflightReply> preflight(const engine::LoadRequest& request, const engine::BudgetSettings& budget) = 0;
    // Preflight, then stream the weights (loadProgress reports the bytes). A
    // model already loaded from the same folder gets only the missing parts.
    virtual QFuture<LoadReply> load(const engine::LoadRequest& request, const engine::BudgetSettings& budget) = 0;
    // Cancels a running load (its future answers Cancelled); nothing else.
    virtual void cancelLoad() = 0;
    virtual void applyRuntimeSettings(const RuntimeSettings& settings) = 0;
    // The converted-weights cache of the process that loads (Preferences >
    // Model; an empty dir: off). Same reach as applyRuntimeSettings: this
    // process, or a model process at its start and live; a remote server keeps its own.
    virtual void applyConvertedWeightsSettings(const engine::ConvertedWeightsSettings& settings) = 0;
    // The settings in force where the model runs; nullopt when this backend
    // cannot read them back (a remote server, a model process).
    virtual std::optional<AppliedSettings> appliedSettings() const { return std::nullopt; }
    // The images the user is looking at: the model encodes `on_screen` first,
    // then `ahead` (the next ones in the folder) while idle. Ids are the GUI's
    // file paths; a backend that cannot read them (remote) ignores this, its
    // images arrive through encode().
    virtual void setImagesInView(const QString& on_screen, const QStringList& ahead) = 0;
    // Whether the model reads the GUI's image files itself: segment() and
    // detect() then take a file path as image id and setImagesInView() encodes
    // ahead. False: images arrive as pixels through encode() (a remote server).
    virtual bool readsImageFiles() const { return false; }

    // Loads the last model again with the same request, through the same
    // preflight as the Load button.
    virtual QFuture<LoadReply> reload() = 0;
    // Frees the model, every cached embedding and the allocator's blocks; the
    // future is fulfilled with the measured figures once the memory is back.
    // While an encode or click runs, the unload waits for it (a running load
    // is cancelled); queued work is dropped and answered Cancelled.
    virtual QFuture<UnloadReply> unload() = 0;
    // image_id: the caller's name for the image (empty: derived from the
    // pixels). Encoding an image already cached costs nothing.
    virtual QFuture<EncodeReply> encode(const engine::ImageRgb8& image, const QString& image_id) = 0;
    virtual QFuture<SegmentReply> segment(const QString& image_id, const engine::ClickPrompt& prompt) = 0;
    // Concept detection (a text and/or exemplar boxes) on an image encoded
    // before (image_id as for segment). NotLoaded when no model or no
    // detection parts are loaded; BadInput for a prompt the model cannot take
    // (e.g. over the text encoder's 32 tokens).
    virtual QFuture<DetectReply> detect(const QString& image_id, const engine::DetectPrompt& prompt,
                                        const engine::DetectOptions& options) = 0;

Q_SIGNALS:
    // The model state or what status() reports changed.
    void statusChanged();
    void loadProgress(quint64 bytes_done, quint64 bytes_total);
    // Every load and unload, whoever asked (the panel, the control API, the
    // idle timer, a model process that died), so every view follows the model.
    void loadFinished(samlabel::service::LoadReply reply);
    void unloaded(samlabel::service::UnloadReply reply);
    // The model process ended by itself (crash, killed): the model is gone,
    // annotations are untouched, Load starts a new one. Child mode only.
    void modelProcessLost(QString message);
    // The model process refused settings sent to it live (the panel's cache and
    // idle-unload settings, Preferences > Model) or never answered: it keeps
    // its old ones. Child mode only.
    void settingsNotApplied(QString message);
    // Encodes of the images in view (setImagesInView), for the status bar.
    void imageEncodeStarted(QString image_id);
    void imageEncodeProgress(QString image_id, int step, int steps, double elapsed_ms);
    void imageEncoded(QString image_id, QString state, double duration_ms, QString message);  // state: encoded, cached, refused, failed
};

}  // namespace samlabel::service
