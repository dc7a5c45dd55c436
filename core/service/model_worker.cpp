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
            if (unload_pending_ || load_pending_ || add_parts_pending_ || segment_pending_ || detect_pending_ || encode_current_) return;
        }
        if (session_->state() == engine::SessionState::Ready) runUnload(/*automatic=*/true);
    });
}

ModelWorker::~ModelWorker() = default;

void ModelWorker::setImageLoader(ImageLoader loader) { loader_ = std::move(loader); }

engine::SessionState ModelWorker::state() const { return session_->state(); }

void ModelWorker::requestLoad(const engine::LoadRequest& request, const engine::BudgetSettings& budget) {
    {
        std::lock_guard lock(mutex_);
        load_pending_ = LoadJob{request, budget};
        unload_pending_ = false;  // the newer command wins
    }
    schedule();
}

void ModelWorker::requestAddParts(engine::PartSet parts, const engine::BudgetSettings& budget) {
    {
        std::lock_guard lock(mutex_);
        // Two pending requests add up: the later one must not lose the earlier's parts.
        if (add_parts_pending_) parts = engine::part_set_union(add_parts_pending_->parts, parts);
        add_parts_pending_ = AddPartsJob{parts, budget};
    }
    schedule();
}

void ModelWorker::cancelLoad() {
    {
        std::lock_guard lock(mutex_);
        load_pending_.reset();
        load_cancel_ = true;
    }
    session_->cancel_load();
}

void ModelWorker::requestUnload() {
    std::optional<SegmentJob> dropped_segment;
    std::optional<DetectJob> dropped_detect;
    std::optional<QString> dropped_encode;
    bool dropped_add_parts = false;
    {
        std::lock_guard lock(mutex_);
        unload_pending_ = true;
        load_pending_.reset();
        dropped_add_parts = add_parts_pending_.has_value();
        add_parts_pending_.reset();
        load_cancel_ = true;
        if (segment_pending_) {
            ++dropped_segments_;
            dropped_segment.swap(segment_pending_);
        }
        if (detect_pending_) {
            ++dropped_detects_;
            dropped_detect.swap(detect_pending_);
        }
        dropped_encode.swap(encode_current_);
        encode_ahead_.clear();
    }
    session_->cancel_load();
    if (dropped_segment) Q_EMIT segmentDropped(dropped_segment->id, dropped_segment->image_id);
    if (dropped_detect) Q_EMIT detectDropped(dropped_detect->id, dropped_detect->image_id);
    if (dropped_encode) Q_EMIT encodeDropped(*dropped_encode);
    if (dropped_add_parts) {
        // Its caller waits for an answer: say it will not come.
        engine::LoadOutcome cancelled;
        cancelled.status = engine::LoadStatus::Cancelled;
        cancelled.message = "cancelled: an unload came before the parts were added";
        Q_EMIT partsAdded(cancelled);
    }
    schedule();
}

void ModelWorker::requestEncode(const QString& image_id) {
    std::optional<QString> replaced;
    {
        std::lock_guard lock(mutex_);
        if (encode_current_ && *encode_current_ != image_id) replaced = encode_current_;
        encode_current_ = image_id;
        std::erase(encode_ahead_, image_id);
    }
    if (replaced) Q_EMIT encodeDropped(*replaced);
    schedule();
}

void ModelWorker::setEncodeAhead(const QStringList& image_ids) {
    {
        std::lock_guard lock(mutex_);
        encode_ahead_.clear();
        for (const QString& id : image_ids) {
            if (encode_ahead_.size() >= kMaxEncodeAhead) break;
            if (encode_current_ && *encode_current_ == id) continue;
            encode_ahead_.push_back(id);
        }
    }
    schedule();
}

quint64 ModelWorker::requestSegment(const QString& image_id, const engine::ClickPrompt& prompt) {
    const quint64 id = next_request_id_++;
    std::optional<SegmentJob> replaced;
    {
        std::lock_guard lock(mutex_);
        if (segment_pending_) {
            ++dropped_segments_;  // the annotator clicked again: the older click is moot
            replaced.swap(segment_pending_);
        }
        segment_pending_ = SegmentJob{id, image_id, prompt, QDateTime::currentMSecsSinceEpoch()};
    }
    if (replaced) Q_EMIT segmentDropped(replaced->id, replaced->image_id);
    schedule();
    return id;
}

quint64 ModelWorker::requestDetect(const QString& image_id, const engine::DetectPrompt& prompt, const engine::DetectOptions& options) {
    const quint64 id = next_request_id_++;
    std::optional<DetectJob> replaced;
    {
        std::lock_guard lock(mutex_);
        if (detect_pending_) {
            ++dropped_detects_;  // a newer prompt makes the older one moot, as with clicks
            replaced.swap(detect_pending_);
        }
        detect_pending_ = DetectJob{id, image_id, prompt, options, QDateTime::currentMSecsSinceEpoch()};
    }
    if (replaced) Q_EMIT detectDropped(replaced->id, replaced->image_id);
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
    Task task = Task::None;
    std::optional<LoadJob> load;
    std::optional<AddPartsJob> add_parts;
    std::optional<SegmentJob> segment;
    std::optional<DetectJob> detect;
    QString image_id;
    {
        std::lock_guard lock(mutex_);
        drain_posted_ = false;
        if (unload_pending_) {
            task = Task::Unload;
            unload_pending_ = false;
        } else if (load_pending_) {
            task = Task::Load;
            load.swap(load_pending_);
            load_cancel_ = false;
        } else if (add_parts_pending_) {
            task = Task::AddParts;
            add_parts.swap(add_parts_pending_);
            load_cancel_ = false;
        } else if (segment_pending_) {
            task = Task::Segment;
            segment.swap(segment_pending_);
        } else if (detect_pending_) {
            task = Task::Detect;
            detect.swap(detect_pending_);
        } else if (encode_current_) {
            task = Task::EncodeCurrent;
            image_id = *encode_current_;
            encode_current_.reset();
        } else if (!encode_ahead_.empty()) {
            task = Task::EncodeAhead;
            image_id = encode_ahead_.front();
            encode_ahead_.pop_front();
        }
    }
    try {
        switch (task) {
        case Task::None: break;
        case Task::Unload: runUnload(false); break;
        case Task::Load: runLoad(*load); break;
        case Task::AddParts: runAddParts(*add_parts); break;
        case Task::Segment: runSegment(*segment); break;
        case Task::Detect: runDetect(*detect); break;
        case Task::EncodeCurrent: ensureEncoded(image_id); break;
        case Task::EncodeAhead: {
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
        more = hasPendingWork();
    }
    if (more) schedule();
}

bool ModelWorker::hasPendingWork() const {
    return unload_pending_ || load_pending_ || add_parts_pending_ || segment_pending_ || detect_pending_ || encode_current_ ||
           !encode_ahead_.empty();
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

void ModelWorker::runSegment(const SegmentJob& job) {
    const std::optional<std::string> key = ensureEncoded(job.image_id);
    if (!key) {
        Q_EMIT segmentFailed(job.id, job.image_id, QStringLiteral("the image is not encoded (see the model panel)"));
        return;
    }
    try {
        engine::SegmentResult result = session_->segment(*key, job.prompt);
        const double total_ms = static_cast<double>(QDateTime::currentMSecsSinceEpoch() - job.queued_at_ms);
        Q_EMIT segmented(job.id, job.image_id, std::move(result), total_ms);
    } catch (const std::exception& e) {
        Q_EMIT segmentFailed(job.id, job.image_id, QString::fromStdString(e.what()));
    }
}

void ModelWorker::runDetect(const DetectJob& job) {
    auto fail = [&](DetectFailure why, const QString& message) { Q_EMIT detectFailed(job.id, job.image_id, message, why); };
    const std::optional<engine::ModelInfo> info = session_->model_info();
    if (!info) return fail(DetectFailure::NotLoaded, QStringLiteral("no model is loaded"));
    // Checked before the encode: a click-only model would encode for nothing.
    if (!engine::part_set_has_detect(info->request.parts))
        return fail(DetectFailure::DetectionNotLoaded,
                    QStringLiteral("concept detection is not loaded (the model has the click-to-segment parts only)"));
    engine::EncodeOutcome encode_failure;
    const std::optional<std::string> key = ensureEncoded(job.image_id, &encode_failure);
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
        Q_EMIT detected(job.id, job.image_id, std::move(result), total_ms);
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
    std::optional<SegmentJob> job;
    {
        std::lock_guard lock(mutex_);
        // An unload or a load waits for the encode; so does a click on an
        // image not encoded yet (it needs the encode that is running, or the
        // next one).
        if (unload_pending_ || load_pending_ || !segment_pending_) return;
        const auto key = content_keys_.constFind(segment_pending_->image_id);
        if (key == content_keys_.constEnd() || !session_->is_encoded(*key)) return;
        job.swap(segment_pending_);
    }
    runSegment(*job);
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
