#include "core/service/model_worker.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <exception>
#include <limits>

namespace samlabel::service {

namespace {
// Load progress is reported at most this often (a checkpoint has ~2000 tensors).
constexpr qint64 kProgressIntervalMs = 50;
// Encode-ahead stops once the queue holds this many images.
constexpr std::size_t kMaxEncodeAhead = 4;
}  // namespace

ModelWorker::ModelWorker(std::shared_ptr<engine::ModelSession> session, QObject* parent)
    : QObject(parent), session_(std::move(session)), loader_(read_model_image) {
    register_engine_metatypes();
    qRegisterMetaType<DetectFailure>("samlabel::service::DetectFailure");
    // A child, so it moves to the worker's thread together with the worker.
    idle_timer_ = new QTimer(this);
    idle_timer_->setSingleShot(true);
    connect(idle_timer_, &QTimer::timeout, this, [this] {
        {
            std::lock_guard lock(mutex_);
            if (queue_.hasAwaitedWork()) return;
        }
        if (session_->state() == engine::SessionState::Ready) runUnload(/*automatic=*/true);
    });
}

ModelWorker::~ModelWorker() = default;

void ModelWorker::setImageLoader(ImageLoader loader) { loader_ = std::move(loader); }

engine::SessionState ModelWorker::state() const { return session_->state(); }

namespace {
std::string utf8(const QString& s) { return s.toStdString(); }
}  // namespace

std::vector<ModelRequest> ModelWorker::forget(std::vector<ModelRequest> superseded) {
    for (const ModelRequest& r : superseded) {
        loads_.remove(r.id);
        add_parts_.remove(r.id);
        if (segments_.remove(r.id)) ++dropped_segments_;
        if (detects_.remove(r.id)) ++dropped_detects_;
    }
    return superseded;
}

void ModelWorker::announce(const std::vector<ModelRequest>& superseded) {
    for (const ModelRequest& r : superseded) {
        const QString image = QString::fromStdString(r.image_id);
        switch (r.kind) {
            case ModelRequestKind::Segment: Q_EMIT segmentDropped(r.id, image); break;
            case ModelRequestKind::Detect: Q_EMIT detectDropped(r.id, image); break;
            case ModelRequestKind::EncodeCurrent: Q_EMIT encodeDropped(image); break;
            case ModelRequestKind::AddParts: {
                // Its caller waits for an answer: say it will not come.
                engine::LoadOutcome cancelled;
                cancelled.status = engine::LoadStatus::Cancelled;
                cancelled.message = "cancelled: an unload came before the parts were added";
                Q_EMIT partsAdded(cancelled);
                break;
            }
            case ModelRequestKind::Load: {  // only an unload supersedes a load here
                engine::LoadOutcome cancelled;
                cancelled.status = engine::LoadStatus::Cancelled;
                cancelled.message = "cancelled: an unload came before the load started";
                Q_EMIT loadFinished(cancelled);
                break;
            }
            // A superseded unload is answered by the newer load's own unload
            // (runLoad frees the old model first); encode-ahead has no caller waiting.
            case ModelRequestKind::Unload:
            case ModelRequestKind::EncodeAhead: break;
        }
    }
}

void ModelWorker::requestLoad(const engine::LoadRequest& request, const engine::BudgetSettings& budget) {
    {
        std::lock_guard lock(mutex_);
        const auto pushed = queue_.push(ModelRequest{ModelRequestKind::Load, 0, {}, {}});
        forget(pushed.superseded);  // an older load, or an unload: the newer command wins
        loads_.insert(pushed.id, LoadJob{request, budget});
    }
    schedule();
}

void ModelWorker::requestAddParts(engine::PartSet parts, const engine::BudgetSettings& budget) {
    {
        std::lock_guard lock(mutex_);
        const auto pushed = queue_.push(ModelRequest{ModelRequestKind::AddParts, 0, {}, {}});
        // Two pending requests add up: the later one must not lose the earlier's parts.
        for (const ModelRequest& older : pushed.superseded)
            if (const auto it = add_parts_.constFind(older.id); it != add_parts_.constEnd()) parts = engine::part_set_union(it->parts, parts);
        forget(pushed.superseded);
        add_parts_.insert(pushed.id, AddPartsJob{parts, budget});
    }
    schedule();
}

void ModelWorker::cancelLoad() {
    bool was_pending = false;
    {
        std::lock_guard lock(mutex_);
        if (const auto load = queue_.takeLoad()) was_pending = loads_.remove(load->id);
        load_cancel_ = true;
    }
    session_->cancel_load();
    if (was_pending) {  // never started: no load will answer it
        engine::LoadOutcome cancelled;
        cancelled.status = engine::LoadStatus::Cancelled;
        cancelled.message = "cancelled before it started";
        Q_EMIT loadFinished(cancelled);
    }
}

void ModelWorker::requestUnload() {
    std::vector<ModelRequest> dropped;
    {
        std::lock_guard lock(mutex_);
        dropped = forget(queue_.push(ModelRequest{ModelRequestKind::Unload, 0, {}, {}}).superseded);
        load_cancel_ = true;
    }
    session_->cancel_load();
    announce(dropped);
    schedule();
}

void ModelWorker::requestEncode(const QString& image_id, const QString& source) {
    std::vector<ModelRequest> dropped;
    {
        std::lock_guard lock(mutex_);
        dropped = forget(queue_.push(ModelRequest{ModelRequestKind::EncodeCurrent, 0, utf8(source), utf8(image_id)}).superseded);
    }
    announce(dropped);
    schedule();
}

void ModelWorker::setEncodeAhead(const QStringList& image_ids) {
    {
        std::lock_guard lock(mutex_);
        std::vector<std::string> ids;
        for (const QString& id : image_ids) ids.push_back(utf8(id));
        queue_.setEncodeAhead(ids, kMaxEncodeAhead);
    }
    schedule();
}

quint64 ModelWorker::requestSegment(const QString& image_id, const engine::ClickPrompt& prompt, const QString& source) {
    std::vector<ModelRequest> dropped;
    quint64 id = 0;
    {
        std::lock_guard lock(mutex_);
        const auto pushed = queue_.push(ModelRequest{ModelRequestKind::Segment, 0, utf8(source), utf8(image_id)});
        id = pushed.id;
        dropped = forget(pushed.superseded);  // the annotator clicked again: the older click is moot
        segments_.insert(id, SegmentJob{prompt, QDateTime::currentMSecsSinceEpoch()});
    }
    announce(dropped);
    schedule();
    return id;
}

quint64 ModelWorker::requestDetect(const QString& image_id, const engine::DetectPrompt& prompt, const engine::DetectOptions& options,
                                   const QString& source) {
    std::vector<ModelRequest> dropped;
    quint64 id = 0;
    {
        std::lock_guard lock(mutex_);
        const auto pushed = queue_.push(ModelRequest{ModelRequestKind::Detect, 0, utf8(source), utf8(image_id)});
        id = pushed.id;
        dropped = forget(pushed.superseded);  // a newer prompt makes the older one moot, as with clicks
        detects_.insert(id, DetectJob{prompt, options, QDateTime::currentMSecsSinceEpoch()});
    }
    announce(dropped);
    schedule();
    return id;
}

void ModelWorker::setAutoUnloadAfterMs(qint64 idle_ms) {
    auto_unload_ms_ = idle_ms;
    QMetaObject::invokeMethod(this, [this] { restartIdleTimer(); }, Qt::QueuedConnection);
}

void ModelWorker::setBudget(const engine::BudgetSettings& budget) { session_->set_budget(budget); }

void ModelWorker::schedule() {
    {
        std::lock_guard lock(mutex_);
        if (drain_posted_) return;
        drain_posted_ = true;
    }
    QMetaObject::invokeMethod(this, &ModelWorker::drainOne, Qt::QueuedConnection);
}

void ModelWorker::drainOne() {
    std::optional<ModelRequest> next;
    std::optional<LoadJob> load;
    std::optional<AddPartsJob> add_parts;
    std::optional<SegmentJob> segment;
    std::optional<DetectJob> detect;
    {
        std::lock_guard lock(mutex_);
        drain_posted_ = false;
        next = queue_.pop();
        if (next) {
            if (next->kind == ModelRequestKind::Load || next->kind == ModelRequestKind::AddParts) load_cancel_ = false;
            if (loads_.contains(next->id)) load = loads_.take(next->id);
            if (add_parts_.contains(next->id)) add_parts = add_parts_.take(next->id);
            if (segments_.contains(next->id)) segment = segments_.take(next->id);
            if (detects_.contains(next->id)) detect = detects_.take(next->id);
        }
    }
    try {
        const QString image_id = next ? QString::fromStdString(next->image_id) : QString();
        if (next) switch (next->kind) {
        case ModelRequestKind::Unload: runUnload(false); break;
        case ModelRequestKind::Load: runLoad(*load); break;
        case ModelRequestKind::AddParts: runAddParts(*add_parts); break;
        case ModelRequestKind::Segment: runSegment(next->id, image_id, *segment); break;
        case ModelRequestKind::Detect: runDetect(next->id, image_id, *detect); break;
        case ModelRequestKind::EncodeCurrent: ensureEncoded(image_id); break;
        case ModelRequestKind::EncodeAhead: {
            // Never let images ahead push the one on screen out of a small cache.
            const std::uint64_t budget = session_->cache().settings().memory_budget_bytes;
            if (session_->state() == engine::SessionState::Ready && 2 * last_embedding_bytes_ <= budget)
                ensureEncoded(image_id);
            break;
        }
        }
    } catch (const std::exception& e) {
        // The engine reports expected failures in its outcomes; anything else
        // must still reach the user instead of killing the thread.
        Q_EMIT error(QString::fromStdString(e.what()));
    }
    emitStateIfChanged();
    restartIdleTimer();
    bool more = false;
    {
        std::lock_guard lock(mutex_);
        more = !queue_.empty();
    }
    if (more) schedule();
}

void ModelWorker::runLoad(const LoadJob& job) {
    if (session_->state() != engine::SessionState::Unloaded) runUnload(false);  // a new model replaces the old
    last_emitted_state_ = engine::SessionState::Loading;
    Q_EMIT stateChanged(engine::SessionState::Loading);
    QElapsedTimer since_progress;
    since_progress.start();
    const auto progress = [this, &since_progress](const engine::LoadProgress& p) {
        if (since_progress.elapsed() >= kProgressIntervalMs || p.bytes_done == p.bytes_total) {
            since_progress.restart();
            Q_EMIT loadProgress(p.bytes_done, p.bytes_total);
        }
        return !load_cancel_.load();
    };
    const engine::LoadOutcome outcome = session_->load(job.request, progress, job.budget);
    emitStateIfChanged();
    Q_EMIT loadFinished(outcome);
}

void ModelWorker::runAddParts(const AddPartsJob& job) {
    if (session_->state() == engine::SessionState::Unloaded) {
        engine::LoadOutcome outcome;
        outcome.status = engine::LoadStatus::Failed;
        outcome.message = "no model is loaded: load one first";
        Q_EMIT partsAdded(outcome);
        return;
    }
    QElapsedTimer since_progress;
    since_progress.start();
    const auto progress = [this, &since_progress](const engine::LoadProgress& p) {
        if (since_progress.elapsed() >= kProgressIntervalMs || p.bytes_done == p.bytes_total) {
            since_progress.restart();
            Q_EMIT loadProgress(p.bytes_done, p.bytes_total);
        }
        return !load_cancel_.load();
    };
    // The session is Loading only while it streams; say so up front, unless
    // there is nothing to add.
    const std::optional<engine::ModelInfo> info = session_->model_info();
    if (info && !engine::part_set_contains(info->request.parts, job.parts)) {
        last_emitted_state_ = engine::SessionState::Loading;
        Q_EMIT stateChanged(engine::SessionState::Loading);
    }
    const engine::LoadOutcome outcome = session_->add_parts(job.parts, progress, job.budget);
    emitStateIfChanged();
    Q_EMIT partsAdded(outcome);
}

void ModelWorker::runUnload(bool automatic) {
    if (idle_timer_) idle_timer_->stop();
    const bool loaded = session_->state() != engine::SessionState::Unloaded;
    if (loaded) {
        last_emitted_state_ = engine::SessionState::Unloading;
        Q_EMIT stateChanged(engine::SessionState::Unloading);
    }
    const engine::UnloadReport report = session_->unload();
    last_embedding_bytes_ = 0;
    emitStateIfChanged();
    Q_EMIT unloaded(report, automatic);
}

void ModelWorker::runSegment(quint64 id, const QString& image_id, const SegmentJob& job) {
    const std::optional<std::string> key = ensureEncoded(image_id);
    if (!key) {
        Q_EMIT segmentFailed(id, image_id, QStringLiteral("the image is not encoded (see the model panel)"));
        return;
    }
    try {
        engine::SegmentResult result = session_->segment(*key, job.prompt);
        const double total_ms = static_cast<double>(QDateTime::currentMSecsSinceEpoch() - job.queued_at_ms);
        Q_EMIT segmented(id, image_id, Handoff<engine::SegmentResult>(std::move(result)), total_ms);
    } catch (const std::exception& e) {
        Q_EMIT segmentFailed(id, image_id, QString::fromStdString(e.what()));
    }
}

void ModelWorker::runDetect(quint64 id, const QString& image_id, const DetectJob& job) {
    auto fail = [&](DetectFailure why, const QString& message) { Q_EMIT detectFailed(id, image_id, message, why); };
    const std::optional<engine::ModelInfo> info = session_->model_info();
    if (!info) return fail(DetectFailure::NotLoaded, QStringLiteral("no model is loaded"));
    // Checked before the encode: a click-only model would encode for nothing.
    if (!engine::part_set_has_detect(info->request.parts))
        return fail(DetectFailure::DetectionNotLoaded,
                    QStringLiteral("concept detection is not loaded (the model has the click-to-segment parts only)"));
    engine::EncodeOutcome encode_failure;
    const std::optional<std::string> key = ensureEncoded(image_id, &encode_failure);
    if (!key) {
        const DetectFailure why = encode_failure.status == engine::EncodeStatus::NotLoaded ? DetectFailure::NotLoaded
                                  : encode_failure.status == engine::EncodeStatus::Refused ? DetectFailure::EncodeRefused
                                  : encode_failure.image_key.empty()                       ? DetectFailure::ImageUnreadable
                                                                                           : DetectFailure::Failed;
        return fail(why, QStringLiteral("the image could not be encoded: %1").arg(QString::fromStdString(encode_failure.message)));
    }
    try {
        engine::DetectResult result = session_->detect(*key, job.prompt, job.options);
        const double total_ms = static_cast<double>(QDateTime::currentMSecsSinceEpoch() - job.queued_at_ms);
        Q_EMIT detected(id, image_id, Handoff<engine::DetectResult>(std::move(result)), total_ms);
    } catch (const engine::SessionError& e) {
        const bool unloaded = session_->state() == engine::SessionState::Unloaded;
        fail(unloaded ? DetectFailure::NotLoaded : DetectFailure::Failed, QString::fromStdString(e.what()));
    } catch (const std::invalid_argument& e) {  // text::PromptTooLong among them
        fail(DetectFailure::BadPrompt, QString::fromStdString(e.what()));
    } catch (const std::exception& e) {
        fail(DetectFailure::Failed, QString::fromStdString(e.what()));
    }
}

std::optional<std::string> ModelWorker::ensureEncoded(const QString& image_id, engine::EncodeOutcome* failed_out) {
    if (session_->state() == engine::SessionState::Unloaded) {
        if (failed_out) {
            failed_out->status = engine::EncodeStatus::NotLoaded;
            failed_out->message = "no model is loaded";
        }
        return std::nullopt;
    }
    if (const auto it = content_keys_.constFind(image_id); it != content_keys_.constEnd() && session_->is_encoded(*it))
        return *it;
    Q_EMIT encodeStarted(image_id);
    QString read_error;
    std::optional<ModelImage> image = loader_(image_id, &read_error);
    if (!image) {
        engine::EncodeOutcome failed;
        failed.status = engine::EncodeStatus::Failed;
        failed.message = read_error.toStdString();
        Q_EMIT encoded(image_id, failed);
        if (failed_out) *failed_out = failed;  // image_key empty: the image itself was not readable
        return std::nullopt;
    }
    content_keys_.insert(image_id, image->content_key);
    QElapsedTimer clock;
    clock.start();
    const engine::EncodeOutcome outcome =
        session_->encode(image->image, image->content_key, [&](int step, int steps) {
            Q_EMIT encodeProgress(image_id, step, steps, static_cast<double>(clock.nsecsElapsed()) / 1e6);
            answerClickDuringEncode();
        });
    if (outcome.ok()) {
        const engine::EmbeddingCacheStats stats = session_->cache().stats();
        if (stats.memory_entries > 0) last_embedding_bytes_ = stats.memory_bytes / stats.memory_entries;
    }
    Q_EMIT encoded(image_id, outcome);
    if (!outcome.ok()) {
        if (failed_out) *failed_out = outcome;
        return std::nullopt;
    }
    return image->content_key;
}

void ModelWorker::answerClickDuringEncode() {
    std::optional<ModelRequest> click;
    SegmentJob job;
    {
        std::lock_guard lock(mutex_);
        click = queue_.popClickIf([this](const std::string& image_id) {
            const auto key = content_keys_.constFind(QString::fromStdString(image_id));
            return key != content_keys_.constEnd() && session_->is_encoded(*key);
        });
        if (!click) return;
        job = segments_.take(click->id);
    }
    runSegment(click->id, QString::fromStdString(click->image_id), job);
}

void ModelWorker::emitStateIfChanged() {
    const engine::SessionState now = session_->state();
    if (last_emitted_state_ == now) return;
    last_emitted_state_ = now;
    Q_EMIT stateChanged(now);
}

void ModelWorker::restartIdleTimer() {
    const qint64 ms = auto_unload_ms_.load();
    if (ms <= 0 || session_->state() != engine::SessionState::Ready) {
        idle_timer_->stop();
        return;
    }
    idle_timer_->start(static_cast<int>(std::min<qint64>(ms, std::numeric_limits<int>::max())));
}

}  // namespace samlabel::service
