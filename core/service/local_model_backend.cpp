#include "core/service/local_model_backend.h"

#include "core/engine/embedding_cache.h"
#include "core/engine/sam3_parts.h"
#include "core/io/image_reader.h"
#include "core/service/detection_blocker.h"
#include "core/service/image_source.h"
#include "core/service/model_worker.h"

#include <QDateTime>
#include <QtConcurrent>

#include <list>

namespace samlabel::service {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

double mb(std::uint64_t bytes) { return double(bytes) / kMiB; }

template <typename T>
void fulfil(const std::shared_ptr<QPromise<T>>& promise, T value) {
    promise->addResult(std::move(value));
    promise->finish();
}

template <typename T>
T failure(BackendError error, const QString& message) {
    T r;
    r.error = error;
    r.message = message;
    return r;
}

template <typename T>
void fail(const std::shared_ptr<QPromise<T>>& promise, BackendError error, const QString& message) {
    fulfil(promise, failure<T>(error, message));
}

const QString kNotLoaded = QStringLiteral("no model is loaded (POST /api/v1/load)");

// Says how to get detection: over HTTP that is `serve --parts`.
QString detection_not_loaded(const std::optional<engine::ModelInfo>& info) {
    const std::string_view loaded = info ? engine::part_set_cli_name(info->request.parts) : std::string_view("click");
    return QStringLiteral("concept detection is not loaded (the model has the \"%1\" parts only): load it with the detect parts "
                          "(`samlabel-cli serve --parts detect` or `--parts click+detect`)")
        .arg(QString::fromUtf8(loaded.data(), qsizetype(loaded.size())));
}

BackendError backend_error_for(DetectFailure why) {
    switch (why) {
        case DetectFailure::NotLoaded:
        case DetectFailure::DetectionNotLoaded: return BackendError::NotLoaded;
        case DetectFailure::BadPrompt: return BackendError::BadInput;
        case DetectFailure::ImageUnreadable: return BackendError::UnknownImage;
        case DetectFailure::EncodeRefused: return BackendError::Refused;
        case DetectFailure::Failed: return BackendError::Failed;
    }
    return BackendError::Failed;
}

QString parts_name(const std::optional<engine::ModelInfo>& info) {
    if (!info) return {};
    const std::string_view name = engine::part_set_cli_name(info->request.parts);
    return QString::fromUtf8(name.data(), qsizetype(name.size()));
}

// The GPU the model is on ("cuda:1" -> 1), else the first one.
const GpuSample* model_gpu(const MemorySample& sample, const std::optional<engine::ModelInfo>& info) {
    if (sample.gpus.isEmpty()) return nullptr;
    int index = 0;
    if (info && info->device_name.rfind("cuda:", 0) == 0) index = std::atoi(info->device_name.c_str() + 5);
    for (const GpuSample& g : sample.gpus)
        if (g.index == index) return &g;
    return &sample.gpus.front();
}

}  // namespace

// Uploaded images by worker id, shared with the worker's loader (its thread).
struct LocalModelBackend::ImageStore {
    std::mutex mutex;
    std::list<std::pair<QString, ModelImage>> images;  // most recent first

    void put(const QString& id, ModelImage image) {
        std::lock_guard lock(mutex);
        images.remove_if([&](const auto& e) { return e.first == id; });
        images.emplace_front(id, std::move(image));
        while (images.size() > std::size_t(kMaxStoredImages)) images.pop_back();
    }
    std::optional<ModelImage> get(const QString& id) {
        std::lock_guard lock(mutex);
        for (const auto& e : images)
            if (e.first == id) return e.second;
        return std::nullopt;
    }
    bool contains(const QString& id, int* width = nullptr, int* height = nullptr) {
        std::lock_guard lock(mutex);
        for (const auto& e : images)
            if (e.first == id) {
                if (width) *width = e.second.image.width;
                if (height) *height = e.second.image.height;
                return true;
            }
        return false;
    }
};

LocalModelBackend::LocalModelBackend(ModelWorker* worker, QObject* parent)
    : ModelBackend(parent), worker_(worker), session_(worker->session()), store_(std::make_shared<ImageStore>()) {
    info_ = session_->model_info();
    if (info_) last_request_ = info_->request;
    last_budget_ = session_->budget();
    connect(worker, &ModelWorker::stateChanged, this, [this] { Q_EMIT statusChanged(); });
    connect(worker, &ModelWorker::loadFinished, this, &LocalModelBackend::onLoadFinished);
    // Parts added to the loaded model answer a reload() like a load does.
    connect(worker, &ModelWorker::partsAdded, this, &LocalModelBackend::onLoadFinished);
    connect(worker, &ModelWorker::unloaded, this, &LocalModelBackend::onUnloaded);
    connect(worker, &ModelWorker::loadProgress, this, &ModelBackend::loadProgress);
    connect(worker, &ModelWorker::encodeStarted, this, &ModelBackend::imageEncodeStarted);
    connect(worker, &ModelWorker::encodeProgress, this, &ModelBackend::imageEncodeProgress);
    connect(worker, &ModelWorker::encoded, this, [this](const QString& image_id, const engine::EncodeOutcome& outcome) {
        QString state = QStringLiteral("failed");
        if (outcome.status == engine::EncodeStatus::Encoded) state = QStringLiteral("encoded");
        else if (outcome.ok()) state = QStringLiteral("cached");
        else if (outcome.status == engine::EncodeStatus::Refused) state = QStringLiteral("refused");
        else if (outcome.status == engine::EncodeStatus::NotLoaded) state = QStringLiteral("not_loaded");
        Q_EMIT imageEncoded(image_id, state, outcome.duration_ms, QString::fromStdString(outcome.message));
    });
    connect(worker, &ModelWorker::encoded, this, &LocalModelBackend::onEncoded);
    connect(worker, &ModelWorker::segmented, this,
            [this](quint64 request_id, const QString&, const Handoff<engine::SegmentResult>& result, double total_ms) {
                if (!segments_.contains(request_id)) return;  // another caller's: theirs to take
                SegmentReply r;
                r.result = result.take();
                r.duration_ms = total_ms;
                finishSegment(request_id, std::move(r));
            });
    connect(worker, &ModelWorker::segmentFailed, this, [this](quint64 request_id, const QString&, const QString& message) {
        const bool unloaded = worker_ && worker_->state() == engine::SessionState::Unloaded;
        finishSegment(request_id, failure<SegmentReply>(unloaded ? BackendError::NotLoaded : BackendError::Failed, message));
    });
    connect(worker, &ModelWorker::detected, this,
            [this](quint64 request_id, const QString&, const Handoff<engine::DetectResult>& result, double total_ms) {
                if (!detects_.contains(request_id)) return;  // another caller's: theirs to take
                DetectReply r;
                r.result = result.take();
                r.duration_ms = total_ms;
                finishDetect(request_id, std::move(r));
            });
    connect(worker, &ModelWorker::detectFailed, this,
            [this](quint64 request_id, const QString&, const QString& message, DetectFailure why) {
                finishDetect(request_id, failure<DetectReply>(backend_error_for(why), why == DetectFailure::DetectionNotLoaded
                                                                                          ? detection_not_loaded(session_->model_info())
                                                                                          : message));
            });
    // The worker's queue drops a request a newer one supersedes (a newer click
    // on the same image, the GUI's next image) and, at an unload, all pending
    // work; the worker never answers it. Answer it here so no future (and no
    // HTTP client) waits forever. Emitted on the requesting thread.
    connect(worker, &ModelWorker::segmentDropped, this, [this](quint64 request_id, const QString&) { onSegmentDropped(request_id); });
    connect(worker, &ModelWorker::encodeDropped, this, [this](const QString& image_id) { onEncodeDropped(image_id); });
    connect(worker, &ModelWorker::detectDropped, this, [this](quint64 request_id, const QString&) { onDetectDropped(request_id); });
}

void LocalModelBackend::onSegmentDropped(quint64 request_id) {
    finishSegment(request_id, failure<SegmentReply>(BackendError::Cancelled,
                                                    QStringLiteral("cancelled: the model dropped this click (a newer click on the "
                                                                   "same image or an unload came first); send it again")));
}

void LocalModelBackend::onDetectDropped(quint64 request_id) {
    finishDetect(request_id, failure<DetectReply>(BackendError::Cancelled,
                                                  QStringLiteral("cancelled: the model dropped this detect (a newer one on the same "
                                                                 "image or an unload came first); send it again")));
}

void LocalModelBackend::onEncodeDropped(const QString& worker_id) {
    finishEncodes(worker_id, failure<EncodeReply>(BackendError::Cancelled,
                                                  QStringLiteral("cancelled: the model dropped this encode (an unload came first); send it again")));
}

void LocalModelBackend::onEncoded(const QString& worker_id, const engine::EncodeOutcome& outcome) {
    if (!encodes_.contains(worker_id)) return;
    EncodeReply r;
    r.duration_ms = outcome.duration_ms;
    r.cached = outcome.status == engine::EncodeStatus::MemoryCacheHit || outcome.status == engine::EncodeStatus::DiskCacheHit;
    switch (outcome.status) {
        case engine::EncodeStatus::Encoded:
        case engine::EncodeStatus::MemoryCacheHit:
        case engine::EncodeStatus::DiskCacheHit: break;
        case engine::EncodeStatus::Refused: r.error = BackendError::Refused; break;
        case engine::EncodeStatus::NotLoaded: r.error = BackendError::NotLoaded; break;
        case engine::EncodeStatus::Failed: r.error = BackendError::Failed; break;
    }
    r.message = QString::fromStdString(outcome.message);
    finishEncodes(worker_id, r);
}

LocalModelBackend::~LocalModelBackend() {
    failPendingJobs(BackendError::Cancelled, QStringLiteral("samlabel is shutting down"));
    for (auto& p : pending_loads_) fulfil(p, failure<LoadReply>(BackendError::Cancelled, QStringLiteral("samlabel is shutting down")));
    for (auto& p : pending_unloads_) fulfil(p, failure<UnloadReply>(BackendError::Cancelled, QStringLiteral("samlabel is shutting down")));
}

void LocalModelBackend::installImageLoader(std::function<std::optional<ModelImage>(const QString& id, QString* error)> files) {
    if (!files) files = read_model_image;
    worker_->setImageLoader([store = store_, files](const QString& id, QString* error) -> std::optional<ModelImage> {
        if (id.startsWith(QLatin1String("api-"))) {
            if (auto image = store->get(id)) return image;
            if (error) *error = id + QStringLiteral(": the uploaded image is no longer kept; send it again");
            return std::nullopt;
        }
        return files(id, error);
    });
}

void LocalModelBackend::setLoadRequest(const engine::LoadRequest& request, const engine::BudgetSettings& budget) {
    last_request_ = request;
    last_budget_ = budget;
}

std::optional<engine::LoadRequest> LocalModelBackend::lastLoadRequest() const { return last_request_; }

BackendStatus LocalModelBackend::status() const {
    BackendStatus s;
    const engine::SessionState state = worker_ ? worker_->state() : engine::SessionState::Unloaded;
    s.state = QString::fromLatin1(engine::session_state_name(state));
    s.model_loaded = state == engine::SessionState::Ready || state == engine::SessionState::Busy;
    if (s.model_loaded && info_) {
        s.device = QString::fromStdString(info_->device_name);
        s.dtype = QString::fromStdString(info_->dtype_name);
        s.parts = parts_name(info_);
    }
    if (info_) s.model_path = QString::fromStdString(io::path_to_utf8(info_->request.checkpoint_dir));
    else if (last_request_) s.model_path = QString::fromStdString(io::path_to_utf8(last_request_->checkpoint_dir));
    const MemorySample sample = take_memory_sample(session_->probe(), 0);
    s.ram_rss_mb = mb(sample.process_rss_bytes);
    if (const GpuSample* g = model_gpu(sample, info_)) {
        s.vram_used_mb = mb(g->process_bytes);
        s.vram_used_known = g->process_known;
        s.vram_total_mb = mb(g->total_bytes);
    }
    return s;
}

BackendMemory LocalModelBackend::memory() const {
    const MemorySample sample = take_memory_sample(session_->probe(), 0);
    BackendMemory m;
    m.ram_total_mb = mb(sample.ram_total_bytes);
    m.ram_available_mb = mb(sample.ram_available_bytes);
    m.ram_rss_mb = mb(sample.process_rss_bytes);
    m.ram_peak_rss_mb = mb(sample.process_peak_rss_bytes);
    m.swap_used_mb = mb(sample.swap_used_bytes);
    m.sampled_at_ms = sample.wall_ms ? sample.wall_ms : QDateTime::currentMSecsSinceEpoch();
    if (const GpuSample* g = model_gpu(sample, info_)) {
        m.vram_known = true;
        m.vram_device = QStringLiteral("cuda:%1 %2").arg(g->index).arg(g->name);
        m.vram_total_mb = mb(g->total_bytes);
        m.vram_process_mb = mb(g->process_bytes);
        m.vram_others_mb = mb(g->others_bytes());
        m.vram_free_mb = mb(g->total_bytes > g->used_bytes ? g->total_bytes - g->used_bytes : 0);
    }
    return m;
}

QFuture<LoadReply> LocalModelBackend::reload() {
    if (!last_request_)
        return QtFuture::makeReadyFuture(failure<LoadReply>(BackendError::NoLastModel,
                                        QStringLiteral("no model was loaded in this session; load one first (model panel or `serve --weights`)")));
    return load(*last_request_, last_budget_);
}

std::vector<engine::GpuMemory> LocalModelBackend::gpus() const { return session_->probe().gpus(); }

QString LocalModelBackend::whereText() const { return QStringLiteral("this process"); }

QFuture<PreflightReply> LocalModelBackend::preflight(const engine::LoadRequest& request, const engine::BudgetSettings& budget) {
    // Reads the checkpoint header and probes memory: milliseconds, but file
    // systems can stall, so never on the caller's (GUI) thread.
    std::shared_ptr<engine::ModelSession> session = session_;
    // The same folder loaded already: a load adds only the missing parts, so
    // the preflight is the increment's (ModelSession::preflight_add_parts).
    const bool adds_parts = info_ && worker_ && worker_->state() != engine::SessionState::Unloaded &&
                            info_->request.checkpoint_dir == request.checkpoint_dir;
    return QtConcurrent::run([session, request, budget, adds_parts] {
        PreflightReply reply;
        try {
            reply.report = adds_parts ? session->preflight_add_parts(request.parts, budget) : session->preflight(request, budget);
            reply.blocker = detection_blocker(request);
        } catch (const std::exception& e) {
            reply.error = BackendError::Failed;
            reply.message = QString::fromStdString(e.what());
        }
        return reply;
    });
}

QFuture<LoadReply> LocalModelBackend::load(const engine::LoadRequest& request, const engine::BudgetSettings& budget) {
    if (!worker_) return QtFuture::makeReadyFuture(failure<LoadReply>(BackendError::Failed, QStringLiteral("the model thread is gone")));
    const engine::SessionState state = worker_->state();
    const bool same_model = info_ && state != engine::SessionState::Unloaded && info_->request.checkpoint_dir == request.checkpoint_dir;
    if (same_model && engine::part_set_contains(info_->request.parts, request.parts)) {
        LoadReply r;  // already loaded: nothing to do
        r.device = QString::fromStdString(info_->device_name);
        r.dtype = QString::fromStdString(info_->dtype_name);
        r.model_path = QString::fromStdString(io::path_to_utf8(info_->request.checkpoint_dir));
        r.parts = parts_name(info_);
        r.weights_mb = mb(info_->parameter_bytes);
        return answerLoadNow(r);
    }
    // Another model loaded: the worker frees it first (ModelSession::load); `serve`'s reload relies on it.
    last_request_ = request;
    last_budget_ = budget;
    auto promise = std::make_shared<QPromise<LoadReply>>();
    promise->start();
    pending_loads_.push_back(promise);
    // One worker load answers every caller waiting when it completes.
    if (pending_loads_.size() == 1) startLoad(request, budget);
    return promise->future();
}

QFuture<LoadReply> LocalModelBackend::answerLoadNow(const LoadReply& reply) {
    // Listeners hear of every load's end, also one answered without the worker.
    QMetaObject::invokeMethod(this, [this, reply] { Q_EMIT loadFinished(reply); }, Qt::QueuedConnection);
    return QtFuture::makeReadyFuture(reply);
}

void LocalModelBackend::startLoad(const engine::LoadRequest& request, const engine::BudgetSettings& budget) {
    const bool same_model = info_ && worker_->state() != engine::SessionState::Unloaded &&
                            info_->request.checkpoint_dir == request.checkpoint_dir;
    worker_->setBudget(budget);  // encodes re-check memory against the same budget
    // The same model lacking parts: stream only the missing ones.
    if (same_model) worker_->requestAddParts(request.parts, budget);
    else worker_->requestLoad(request, budget);
}

void LocalModelBackend::cancelLoad() {
    if (worker_) worker_->cancelLoad();
}

void LocalModelBackend::applyRuntimeSettings(const RuntimeSettings& settings) {
    session_->cache().set_memory_budget_bytes(settings.embedding_cache_bytes);
    session_->cache().set_disk(settings.disk_cache_dir.isEmpty() ? std::filesystem::path()
                                                                 : io::path_from_utf8(settings.disk_cache_dir.toStdString()),
                               8ull << 30);
    if (!worker_) return;
    worker_->setAutoUnloadAfterMs(settings.auto_unload_after_ms);
    worker_->setBudget(settings.encode_budget);
}

void LocalModelBackend::applyConvertedWeightsSettings(const engine::ConvertedWeightsSettings& settings) {
    session_->converted_weights().set_settings(settings);  // a running load keeps what it started with
}

std::optional<AppliedSettings> LocalModelBackend::appliedSettings() const {
    AppliedSettings applied;
    const engine::EmbeddingCacheSettings cache = session_->cache().settings();
    applied.runtime.embedding_cache_bytes = cache.memory_budget_bytes;
    if (!cache.disk_dir.empty()) applied.runtime.disk_cache_dir = QString::fromStdString(io::path_to_utf8(cache.disk_dir));
    applied.runtime.auto_unload_after_ms = worker_ ? worker_->autoUnloadAfterMs() : 0;
    applied.runtime.encode_budget = session_->budget();
    applied.converted_weights = session_->converted_weights().settings();
    return applied;
}

void LocalModelBackend::setImagesInView(const QString& on_screen, const QStringList& ahead) {
    if (!worker_ || !local_files_allowed_) return;  // over HTTP, images arrive through encode()
    const engine::SessionState state = worker_->state();
    if (state != engine::SessionState::Ready && state != engine::SessionState::Busy) return;
    if (!on_screen.isEmpty()) worker_->requestEncode(on_screen);
    worker_->setEncodeAhead(ahead);
}

QFuture<UnloadReply> LocalModelBackend::unload() {
    if (!worker_) return QtFuture::makeReadyFuture(failure<UnloadReply>(BackendError::Failed, QStringLiteral("the model thread is gone")));
    auto promise = std::make_shared<QPromise<UnloadReply>>();
    promise->start();
    pending_unloads_.push_back(promise);
    // One worker unload answers every caller waiting when it completes.
    if (pending_unloads_.size() == 1) worker_->requestUnload();
    return promise->future();
}

QFuture<EncodeReply> LocalModelBackend::encode(const engine::ImageRgb8& image, const QString& image_id) {
    if (!worker_ || worker_->state() == engine::SessionState::Unloaded)
        return QtFuture::makeReadyFuture(failure<EncodeReply>(BackendError::NotLoaded, QStringLiteral("no model is loaded (POST /api/v1/load)")));
    ModelImage stored;
    stored.content_key = engine::image_content_key(image);
    stored.image = image;
    // The worker id follows the pixels, so reusing a client id for another
    // image never returns the old image's embedding.
    const QString worker_id = QStringLiteral("api-") + QString::fromStdString(stored.content_key);
    const QString client_id = image_id.isEmpty() ? worker_id : image_id;
    const bool cached = session_->is_encoded(stored.content_key);
    store_->put(worker_id, std::move(stored));
    aliases_.insert(client_id, worker_id);
    if (cached) {
        EncodeReply r;
        r.image_id = client_id;
        r.width = image.width;
        r.height = image.height;
        r.cached = true;
        return QtFuture::makeReadyFuture(r);
    }
    EncodeJob job{client_id, image.width, image.height, std::make_shared<QPromise<EncodeReply>>()};
    job.promise->start();
    QFuture<EncodeReply> future = job.promise->future();
    encodes_.insert(worker_id, std::move(job));
    // Its own source: no other caller's image supersedes this upload's encode
    // (the same pixels again are the same request).
    worker_->requestEncode(worker_id, QStringLiteral("api-encode:") + worker_id);
    return future;
}

QString LocalModelBackend::workerIdFor(const QString& image_id, bool* local_file) const {
    QString worker_id = aliases_.value(image_id);
    if (worker_id.isEmpty() && image_id.startsWith(QLatin1String("api-"))) worker_id = image_id;
    *local_file = worker_id.isEmpty() && local_files_allowed_ && !image_id.isEmpty();
    if (*local_file) return image_id;  // the worker's loader reads it (the GUI encoded it already)
    if (worker_id.isEmpty() || !store_->contains(worker_id)) return {};
    return worker_id;
}

QFuture<SegmentReply> LocalModelBackend::segment(const QString& image_id, const engine::ClickPrompt& prompt) {
    if (!worker_ || worker_->state() == engine::SessionState::Unloaded)
        return QtFuture::makeReadyFuture(failure<SegmentReply>(BackendError::NotLoaded, kNotLoaded));
    bool local_file = false;
    const QString worker_id = workerIdFor(image_id, &local_file);
    if (worker_id.isEmpty())
        return QtFuture::makeReadyFuture(failure<SegmentReply>(BackendError::UnknownImage,
                                           QStringLiteral("image \"%1\" is unknown here: send it to /api/v1/encode first").arg(image_id)));
    SegmentJob job{std::make_shared<QPromise<SegmentReply>>()};
    job.promise->start();
    QFuture<SegmentReply> future = job.promise->future();
    // The worker's queue supersedes an older pending click on this image
    // (onSegmentDropped answers it) and answers the newest first.
    segments_.insert(worker_->requestSegment(worker_id, prompt), std::move(job));
    return future;
}

QFuture<DetectReply> LocalModelBackend::detect(const QString& image_id, const engine::DetectPrompt& prompt,
                                               const engine::DetectOptions& options) {
    if (!worker_ || worker_->state() == engine::SessionState::Unloaded)
        return QtFuture::makeReadyFuture(failure<DetectReply>(BackendError::NotLoaded, kNotLoaded));
    // Known now, without waiting for the model thread (it checks again).
    if (info_ && !engine::part_set_has_detect(info_->request.parts))
        return QtFuture::makeReadyFuture(failure<DetectReply>(BackendError::NotLoaded, detection_not_loaded(info_)));
    bool local_file = false;
    const QString worker_id = workerIdFor(image_id, &local_file);
    if (worker_id.isEmpty())
        return QtFuture::makeReadyFuture(failure<DetectReply>(
            BackendError::UnknownImage,
            QStringLiteral("image \"%1\" is unknown here: send it to /api/v1/encode first, or send \"image_base64\"").arg(image_id)));
    DetectJob job{0, 0, std::make_shared<QPromise<DetectReply>>()};
    if (!local_file) store_->contains(worker_id, &job.width, &job.height);
    job.promise->start();
    QFuture<DetectReply> future = job.promise->future();
    detects_.insert(worker_->requestDetect(worker_id, prompt, options), std::move(job));
    return future;
}

void LocalModelBackend::finishEncodes(const QString& worker_id, EncodeReply reply) {
    for (const EncodeJob& job : encodes_.values(worker_id)) {
        reply.image_id = job.client_id;
        reply.width = job.width;
        reply.height = job.height;
        fulfil(job.promise, reply);
    }
    encodes_.remove(worker_id);
}

void LocalModelBackend::finishSegment(quint64 request_id, SegmentReply reply) {
    const auto it = segments_.constFind(request_id);
    if (it == segments_.constEnd()) return;  // another caller's request
    const SegmentJob job = *it;
    segments_.erase(it);
    fulfil(job.promise, std::move(reply));  // moved: a click's masks are megabytes
}

void LocalModelBackend::finishDetect(quint64 request_id, DetectReply reply) {
    const auto it = detects_.constFind(request_id);
    if (it == detects_.constEnd()) return;
    const DetectJob job = *it;
    detects_.erase(it);
    reply.width = job.width;
    reply.height = job.height;
    if (reply.width == 0 && !reply.result.detections.empty()) {  // a local file: the masks have the image's size
        reply.width = reply.result.detections.front().width;
        reply.height = reply.result.detections.front().height;
    }
    fulfil(job.promise, std::move(reply));
}

void LocalModelBackend::failPendingJobs(BackendError error, const QString& message) {
    for (const SegmentJob& job : std::exchange(segments_, {})) fail(job.promise, error, message);
    for (const DetectJob& job : std::exchange(detects_, {})) fail(job.promise, error, message);
    for (const EncodeJob& job : std::exchange(encodes_, {})) fail(job.promise, error, message);
}

void LocalModelBackend::onLoadFinished(const engine::LoadOutcome& outcome) {
    LoadReply r;
    r.message = QString::fromStdString(outcome.message);
    r.duration_ms = outcome.duration_ms;
    switch (outcome.status) {
        case engine::LoadStatus::Loaded: break;
        case engine::LoadStatus::Refused: r.error = BackendError::Refused; break;
        case engine::LoadStatus::Cancelled: r.error = BackendError::Cancelled; break;
        case engine::LoadStatus::Failed: r.error = BackendError::Failed; break;
    }
    r.rss_before_mb = mb(outcome.rss_before_bytes);
    r.peak_rss_mb = mb(outcome.peak_rss_bytes);
    r.peak_rss_sampled = outcome.peak_rss_sampled;
    r.rss_after_mb = mb(outcome.rss_after_bytes);
    r.weights_mb = mb(outcome.parameter_bytes);
    info_ = session_->model_info();
    if (outcome.ok() && info_) {
        last_request_ = info_->request;
        r.device = QString::fromStdString(info_->device_name);
        r.dtype = QString::fromStdString(info_->dtype_name);
        r.parts = parts_name(info_);
        r.model_path = QString::fromStdString(io::path_to_utf8(info_->request.checkpoint_dir));
    } else if (last_request_) {
        r.model_path = QString::fromStdString(io::path_to_utf8(last_request_->checkpoint_dir));
    }
    for (auto& p : std::exchange(pending_loads_, {})) fulfil(p, r);
    Q_EMIT loadFinished(r);
    Q_EMIT statusChanged();
}

void LocalModelBackend::onUnloaded(const engine::UnloadReport& report, bool automatic) {
    info_.reset();
    // Work the worker dropped for the unload never gets its own answer.
    failPendingJobs(BackendError::Cancelled, QStringLiteral("cancelled: the model was unloaded"));
    UnloadReply r;
    r.was_loaded = report.was_loaded;
    r.freed_vram_mb = mb(report.freed_vram_bytes);
    r.freed_ram_mb = mb(report.freed_ram_bytes);
    r.vram_after_mb = mb(report.vram_after_bytes);
    r.vram_measured = report.vram_measured;
    r.ram_rss_after_mb = mb(report.rss_after_bytes);
    r.duration_ms = report.duration_ms;
    r.device = QString::fromStdString(report.device_name);
    r.embeddings_dropped = int(report.embeddings_dropped);
    r.automatic = automatic;
    for (auto& p : std::exchange(pending_unloads_, {})) fulfil(p, r);
    Q_EMIT unloaded(r);
    Q_EMIT statusChanged();
}

}  // namespace samlabel::service
