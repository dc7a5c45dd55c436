#include "core/service/remote_model_backend.h"

#include "core/engine/heap_reuse.h"
#include "core/service/click_channel_client.h"
#include "core/service/control_api_wire.h"
#include "core/service/encode_events.h"
#include "core/service/future_result.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

namespace samlabel::service {

namespace {

// A failed call as a reply: no answer -> Unreachable; an error answer keeps
// the server's code and message.
template <typename Reply>
Reply failed_call(const ApiCallResult& r, const QUrl& url, Reply reply) {
    if (r.http_status == 0 || r.http_status == 401) {
        reply.error = BackendError::Unreachable;
        reply.message = r.http_status == 401 ? QStringLiteral("%1 refused the token (check the remote token in the settings)").arg(url.toString())
                                             : r.describe(url);
    } else if (reply.error == BackendError::None) {
        reply.error = BackendError::Failed;
    }
    if (reply.message.isEmpty()) reply.message = r.describe(url);
    return reply;
}

// A segment call's answer (HTTP or click channel) as a reply; its masks are
// unpacked here, on whichever thread runs this.
SegmentReply segment_reply_from_call(const ApiCallResult& r, const QUrl& base, double elapsed_ms) {
    SegmentReply reply;
    if (!r.ok()) {
        reply.message = r.json.value(QStringLiteral("message")).toString();
        const QString code = r.json.value(QStringLiteral("error")).toString();
        reply.error = code == QLatin1String("not_loaded")      ? BackendError::NotLoaded
                      : code == QLatin1String("unknown_image") ? BackendError::UnknownImage
                      : code == QLatin1String("cancelled")     ? BackendError::Cancelled
                      : code == QLatin1String("bad_request")   ? BackendError::BadInput
                                                               : BackendError::None;
        return failed_call(r, base, reply);
    }
    QString error;
    auto result = wire::segment_result_from_json(r.json, &error, r.frame, r.frame_bits_offset);
    if (!result) {
        reply.error = BackendError::Failed;
        reply.message = base.toString() + QStringLiteral(": ") + error;
        return reply;
    }
    reply.result = std::move(*result);
    reply.duration_ms = elapsed_ms;
    return reply;
}

}  // namespace

RemoteModelBackend::RemoteModelBackend(QUrl url, QString token, int poll_interval_ms, QObject* parent)
    : ModelBackend(parent), client_(new ControlApiClient(std::move(url), std::move(token), this)), poll_timer_(new QTimer(this)) {
    // Every click's answer is unpacked into fresh MB-sized masks: without
    // this, glibc hands them back and the next click page-faults them in again.
    engine::keep_freed_cpu_memory_for_reuse();
    poll_timer_->setInterval(poll_interval_ms);
    connect(poll_timer_, &QTimer::timeout, this, &RemoteModelBackend::pollNow);
    poll_timer_->start();
    pollNow();
}

RemoteModelBackend::~RemoteModelBackend() = default;

bool RemoteModelBackend::clickChannelReady() const {
    return channel_ && channel_->isReady();
}

quint64 RemoteModelBackend::clickChannelSharedAnswers() const {
    return channel_ ? channel_->sharedAnswers() : 0;
}

void RemoteModelBackend::setClickChannel(const QString& server_name) {
    delete channel_;
    channel_ = server_name.isEmpty() ? nullptr : new ClickChannelClient(server_name, client_->token(), this);
}

void RemoteModelBackend::pollNow() {
    if (poll_in_flight_) return;  // a slow server gets no pile-up of polls
    poll_in_flight_ = true;
    const int timeout_ms = qMax(2000, poll_timer_->interval() * 3);
    const quint64 generation = own_calls_generation_;
    client_->get(QStringLiteral("/health"), timeout_ms).then(this, [this, timeout_ms, generation](const ApiCallResult& health) {
        if (!health.ok()) {
            poll_in_flight_ = false;
            setReachable(false, health.http_status == 401 ? QStringLiteral("the server refused the token") : health.describe(url()));
            return;
        }
        status_ = wire::status_from_json(health.json);
        gpus_ = wire::gpus_from_json(health.json.value(QStringLiteral("gpus")).toArray());
        if (const auto progress = wire::load_progress_from_json(health.json.value(QStringLiteral("load_progress"))))
            Q_EMIT loadProgress(progress->bytes_done, progress->bytes_total);
        followServerModel(status_, generation);
        if (server_reads_files_)
            followEncodeEvents(quint64(qMax(0.0, health.json.value(QStringLiteral("encode_events_seq")).toDouble())));
        client_->get(QStringLiteral("/api/v1/memory"), timeout_ms).then(this, [this](const ApiCallResult& mem) {
            poll_in_flight_ = false;
            if (mem.ok()) {
                memory_ = wire::memory_from_json(mem.json);
                Q_EMIT memorySampled(memory_);
            }
            setReachable(true, {});
            Q_EMIT statusChanged();
        });
    });
}

void RemoteModelBackend::setReachable(bool reachable, const QString& message) {
    last_error_ = message;
    if (reachable_ == reachable) return;
    reachable_ = reachable;
    if (!reachable) status_ = BackendStatus{};  // unknown: show nothing loaded
    Q_EMIT reachabilityChanged(reachable, message);
    Q_EMIT statusChanged();
}

namespace {

// The model a status describes, for "did it change?": which folder, parts, device and dtype.
bool same_model(const BackendStatus& a, const BackendStatus& b) {
    return a.model_loaded == b.model_loaded && a.model_path == b.model_path && a.parts == b.parts && a.device == b.device &&
           a.dtype == b.dtype;
}

}  // namespace

void RemoteModelBackend::followServerModel(const BackendStatus& now, quint64 poll_generation) {
    // Mid-load or mid-unload the state says nothing yet; a poll sent before one
    // of our own calls ended may show the model as it was before it.
    if (own_calls_in_flight_ > 0 || poll_generation != own_calls_generation_) return;
    if (now.state == QLatin1String("loading") || now.state == QLatin1String("unloading")) return;
    if (same_model(now, reported_)) return;
    const BackendStatus before = reported_;
    reported_ = now;
    in_view_sent_ = false;  // another model: it has not been told
    if (now.model_loaded) {
        LoadReply reply;
        reply.device = now.device;
        reply.dtype = now.dtype;
        reply.model_path = now.model_path;
        reply.parts = now.parts;
        reply.message = QStringLiteral("the model on %1 was loaded by another client").arg(url().toString());
        Q_EMIT loadFinished(reply);
        sendImagesInView();
    } else if (before.model_loaded) {
        UnloadReply reply;
        reply.was_loaded = true;
        reply.device = before.device;
        reply.vram_measured = false;  // nobody told us what came back
        reply.ram_rss_after_mb = now.ram_rss_mb;
        reply.message = QStringLiteral("the model on %1 was unloaded (by another client or the server's idle timer)").arg(url().toString());
        Q_EMIT unloaded(reply);
    }
}

void RemoteModelBackend::noteOwnLoad(const LoadReply& reply) {
    --own_calls_in_flight_;
    ++own_calls_generation_;
    if (reply.ok()) {
        reported_.model_loaded = true;
        reported_.model_path = reply.model_path;
        reported_.parts = reply.parts;
        reported_.device = reply.device;
        reported_.dtype = reply.dtype;
    }
    in_view_sent_ = false;
    Q_EMIT loadFinished(reply);
    sendImagesInView();  // the new model encodes what is in view (unless a listener just sent it)
}

void RemoteModelBackend::noteOwnUnload(const UnloadReply& reply) {
    --own_calls_in_flight_;
    ++own_calls_generation_;
    if (reply.ok()) reported_ = BackendStatus{};
    in_view_sent_ = false;
    Q_EMIT unloaded(reply);
}

void RemoteModelBackend::setImagesInView(const QString& on_screen, const QStringList& ahead) {
    if (!server_reads_files_) return;  // a server elsewhere cannot read these paths
    if (on_screen != in_view_on_screen_ || ahead != in_view_ahead_) in_view_sent_ = false;
    in_view_on_screen_ = on_screen;
    in_view_ahead_ = ahead;
    sendImagesInView();
}

void RemoteModelBackend::sendImagesInView() {
    if (!server_reads_files_ || in_view_sent_ || !reported_.model_loaded) return;  // sent again after the next load
    in_view_sent_ = true;
    const QString on_screen = in_view_on_screen_;
    const QStringList ahead = in_view_ahead_;
    const QJsonObject body{{QStringLiteral("on_screen"), on_screen}, {QStringLiteral("ahead"), QJsonArray::fromStringList(ahead)}};
    client_->post(QStringLiteral("/api/v1/images-in-view"), body, kModelCallTimeoutMs)
        .then(this, [this, on_screen, ahead](const ApiCallResult& r) {
            if (r.ok()) return;
            // Not taken (the model went meanwhile): the next load sends it again.
            if (on_screen == in_view_on_screen_ && ahead == in_view_ahead_) in_view_sent_ = false;
            // Anything but "no model now" is a problem the status bar shows on the image on screen.
            if (r.http_status != 409 && !on_screen.isEmpty())
                Q_EMIT imageEncoded(on_screen, QStringLiteral("failed"), 0.0, r.describe(url()));
        });
}

void RemoteModelBackend::followEncodeEvents(quint64 server_seq) {
    if (encode_events_in_flight_) return;
    if (server_seq < encode_events_seen_) encode_events_seen_ = 0;  // another server (restarted): it numbers from 1 again
    if (server_seq == encode_events_seen_) return;                  // nothing new: no request
    encode_events_in_flight_ = true;
    const int timeout_ms = qMax(2000, poll_timer_->interval() * 3);
    client_->get(QStringLiteral("/api/v1/encode-events?after=%1").arg(encode_events_seen_), timeout_ms)
        .then(this, [this](const ApiCallResult& r) {
            encode_events_in_flight_ = false;
            if (!r.ok()) return;
            quint64 last_seq = 0;
            const std::optional<std::vector<EncodeEvent>> events = wire::encode_events_from_json(r.json, &last_seq, nullptr);
            if (!events) return;
            for (const EncodeEvent& e : *events) {
                if (e.seq <= encode_events_seen_) continue;
                encode_events_seen_ = e.seq;
                switch (e.kind) {
                    case EncodeEvent::Kind::Started: Q_EMIT imageEncodeStarted(e.image_id); break;
                    case EncodeEvent::Kind::Progress: Q_EMIT imageEncodeProgress(e.image_id, e.step, e.steps, e.elapsed_ms); break;
                    case EncodeEvent::Kind::Finished: Q_EMIT imageEncoded(e.image_id, e.state, e.duration_ms, e.message); break;
                }
            }
            encode_events_seen_ = qMax(encode_events_seen_, last_seq);
        });
}

QFuture<LoadReply> RemoteModelBackend::postLoad(const QJsonObject& body) {
    const QUrl base = url();
    ++own_calls_in_flight_;
    ++own_calls_generation_;
    return client_->post(QStringLiteral("/api/v1/load"), body, kLoadTimeoutMs).then(this, [this, base](const ApiCallResult& r) {
        LoadReply reply = wire::load_reply_from_json(r.json);
        if (!r.ok()) reply = failed_call(r, base, reply);
        noteOwnLoad(reply);
        pollNow();
        return reply;
    });
}

QFuture<LoadReply> RemoteModelBackend::reload() { return postLoad(QJsonObject{}); }

QFuture<LoadReply> RemoteModelBackend::load(const engine::LoadRequest& request, const engine::BudgetSettings& budget) {
    return postLoad(wire::load_request_to_json(request, budget));
}

QFuture<PreflightReply> RemoteModelBackend::preflight(const engine::LoadRequest& request, const engine::BudgetSettings& budget) {
    const QUrl base = url();
    return client_->post(QStringLiteral("/api/v1/preflight"), wire::load_request_to_json(request, budget), kModelCallTimeoutMs)
        .then(this, [base](const ApiCallResult& r) {
            PreflightReply reply = wire::preflight_reply_from_json(r.json);
            if (!r.ok()) reply = failed_call(r, base, reply);
            return reply;
        });
}

QFuture<ApiCallResult> RemoteModelBackend::sendModelProcessSettings(const QJsonObject& body) {
    return client_->post(QStringLiteral("/api/v1/runtime-settings"), body, kModelCallTimeoutMs);
}

void RemoteModelBackend::cancelLoad() {
    // Fire and forget: the load's own answer says Cancelled.
    (void)client_->post(QStringLiteral("/api/v1/cancel-load"), QJsonObject{}, kModelCallTimeoutMs);
}

QFuture<UnloadReply> RemoteModelBackend::unload() {
    const QUrl base = url();
    ++own_calls_in_flight_;
    ++own_calls_generation_;
    return client_->post(QStringLiteral("/api/v1/unload"), QJsonObject{}, kUnloadTimeoutMs).then(this, [this, base](const ApiCallResult& r) {
        UnloadReply reply = wire::unload_reply_from_json(r.json);
        if (!r.ok()) reply = failed_call(r, base, reply);
        noteOwnUnload(reply);
        pollNow();
        return reply;
    });
}

QFuture<EncodeReply> RemoteModelBackend::encode(const engine::ImageRgb8& image, const QString& image_id) {
    const QUrl base = url();
    // PNG-compressing a 12 MP image takes a while: not on the GUI thread.
    QFuture<QByteArray> body = QtConcurrent::run([image, image_id] {
        QJsonObject o{{QStringLiteral("image_base64"), QString::fromLatin1(wire::encode_png(image).toBase64())}};
        if (!image_id.isEmpty()) o[QStringLiteral("image_id")] = image_id;
        return QJsonDocument(o).toJson(QJsonDocument::Compact);
    });
    auto promise = std::make_shared<QPromise<EncodeReply>>();
    promise->start();
    body.then(this, [this, promise, base](const QByteArray& json) {
        client_->post(QStringLiteral("/api/v1/encode"), json, kModelCallTimeoutMs).then(this, [promise, base](const ApiCallResult& r) {
            EncodeReply reply = wire::encode_reply_from_json(r.json);
            if (!r.ok()) reply = failed_call(r, base, reply);
            promise->addResult(reply);
            promise->finish();
        });
    });
    return promise->future();
}

QFuture<SegmentReply> RemoteModelBackend::segment(const QString& image_id, const engine::ClickPrompt& prompt) {
    if (!server_takes_runs_) return postSegment(image_id, prompt, wire::MaskEncoding::Raw);
    // The click channel's server is this build's own: it knows runs, and its
    // answer needs no hop through this thread before the caller's.
    if (clickChannelReady()) return postSegment(image_id, prompt, wire::MaskEncoding::Runs);
    // Masks as runs; a server from before runs refuses the request ("masks"
    // must be "png" or "raw"): ask it once more, for bits. A promise, not
    // QFuture::unwrap(), which copies the answer (its masks) on the way.
    auto promise = std::make_shared<QPromise<SegmentReply>>();
    promise->start();
    auto answer = [promise](QFuture<SegmentReply> answered) {
        if (has_result(answered)) promise->addResult(take_only_result(answered));
        else promise->future().cancel();  // as the call's was: the caller's onCanceled, not an empty result
        promise->finish();
    };
    postSegment(image_id, prompt, wire::MaskEncoding::Runs).then(this, [this, image_id, prompt, answer](QFuture<SegmentReply> answered) {
        if (has_result(answered)) {
            const SegmentReply& reply = only_result(answered);
            if (reply.error == BackendError::BadInput && reply.message.contains(QLatin1String("\"masks\"")) && server_takes_runs_) {
                server_takes_runs_ = false;
                postSegment(image_id, prompt, wire::MaskEncoding::Raw).then(this, answer);
                return;
            }
        }
        answer(answered);
    });
    return promise->future();
}

QFuture<SegmentReply> RemoteModelBackend::postSegment(const QString& image_id, const engine::ClickPrompt& prompt,
                                                      wire::MaskEncoding masks) {
    const QUrl base = url();
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    // Masks after the JSON, no polygons: the SAM tool polygonises only the
    // candidate the user accepts, and a PNG round trip per click costs more
    // than the click on a large image.
    const QByteArray body = QJsonDocument(wire::to_json(image_id, prompt, masks, /*polygons=*/false)).toJson(QJsonDocument::Compact);
    auto to_reply = [base, clock](const ApiCallResult& r) { return segment_reply_from_call(r, base, double(clock->elapsed())); };
    if (channel_ && channel_->isReady()) {
        ++clicks_on_channel_;
        // No context: the answer is unpacked on the channel's thread, not this one.
        return channel_->postSegment(body, kModelCallTimeoutMs).then(QtFuture::Launch::Sync, to_reply);
    }
    return client_->post(QStringLiteral("/api/v1/segment"), body, kModelCallTimeoutMs).then(this, to_reply);
}

QFuture<DetectReply> RemoteModelBackend::detect(const QString& image_id, const engine::DetectPrompt& prompt,
                                                const engine::DetectOptions& options) {
    const QUrl base = url();
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    const QByteArray body = QJsonDocument(wire::to_json(image_id, prompt, options)).toJson(QJsonDocument::Compact);
    // Decoding every instance's mask PNG takes a while: off the caller's thread.
    return client_->post(QStringLiteral("/api/v1/detect"), body, kModelCallTimeoutMs)
        .then(QtFuture::Launch::Async, [base, clock](const ApiCallResult& r) {
            DetectReply reply;
            if (!r.ok()) {
                reply.message = r.json.value(QStringLiteral("message")).toString();
                if (r.json.contains(QStringLiteral("error")))
                    reply.error = wire::backend_error_from_code(r.json.value(QStringLiteral("error")).toString());
                return failed_call(r, base, reply);
            }
            QString error;
            std::optional<DetectReply> parsed = wire::detect_reply_from_json(r.json, &error);
            if (!parsed) {
                reply.error = BackendError::Failed;
                reply.message = base.toString() + QStringLiteral(": ") + error;
                return reply;
            }
            parsed->duration_ms = double(clock->elapsed());
            return *parsed;
        });
}

}  // namespace samlabel::service
