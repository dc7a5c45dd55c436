#include "core/service/control_api_server.h"

#include "core/service/api_token.h"
#include "core/service/control_api_mask_frame.h"
#include "core/service/control_api_runtime_wire.h"
#include "core/service/control_api_wire.h"
#include "core/service/future_result.h"
#include "core/service/http_request_guard.h"
#include "core/service/images_in_view_request.h"

#include <QAbstractHttpServer>
#include <QDir>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QPromise>
#include <QTcpSocket>
#include <QUrlQuery>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <functional>
#include <iterator>
#include <optional>

namespace samlabel::service {

// QHttpServer itself is final; its route() table answers unknown methods with
// 404 and cannot say 405, and its QFuture path in 6.4 keeps a raw socket
// pointer for the deferred answer. The abstract server gives us every request
// and a responder; we dispatch ourselves and guard the socket with a QPointer.
class ControlApiServer::HttpServer final : public QAbstractHttpServer {
public:
    using Handler = std::function<void(const QHttpServerRequest&, QTcpSocket*)>;
    explicit HttpServer(Handler handler) : handler_(std::move(handler)) {}
    static QHttpServerResponder responderFor(const QHttpServerRequest& request, QTcpSocket* socket) {
        return makeResponder(request, socket);
    }

protected:
    bool handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) override {
        handler_(request, socket);
        return true;
    }
    void missingHandler(const QHttpServerRequest& request, QTcpSocket* socket) override { handler_(request, socket); }

private:
    Handler handler_;
};

struct ControlApiServer::PendingReply {
    PendingReply(QHttpServerResponder&& r, QTcpSocket* s, QString m, QString p)
        : responder(std::move(r)), socket(s), method(std::move(m)), path(std::move(p)) {}
    QHttpServerResponder responder;
    QPointer<QTcpSocket> socket;  // gone when the client hung up before the answer
    QString method;
    QString path;
    bool answered = false;
};

namespace {

using Method = QHttpServerRequest::Method;

const char* method_name(Method m) {
    switch (m) {
        case Method::Get: return "GET";
        case Method::Put: return "PUT";
        case Method::Delete: return "DELETE";
        case Method::Post: return "POST";
        case Method::Head: return "HEAD";
        case Method::Options: return "OPTIONS";
        case Method::Patch: return "PATCH";
        case Method::Connect: return "CONNECT";
        case Method::Trace: return "TRACE";
        default: return "UNKNOWN";
    }
}

// The model endpoints of `serve`: they take an image, so their bodies may be large.
const QString kUploadPaths[] = {QStringLiteral("/api/v1/encode"), QStringLiteral("/api/v1/segment"), QStringLiteral("/api/v1/detect")};

// What a 401 says about this Authorization header value; empty when it carries the token.
QString authorization_problem(const QByteArray& authorization, const QString& token) {
    const QByteArray given = bearer_token(authorization);
    if (given.isEmpty()) return QStringLiteral("missing \"Authorization: Bearer <token>\" header");
    if (!tokens_equal(given, token.toUtf8())) return QStringLiteral("wrong token");
    return {};
}

}  // namespace

ControlApiServer::ControlApiServer(ModelBackend* backend, QObject* parent) : QObject(parent), backend_(backend) {
    if (!backend) return;
    connect(backend, &ModelBackend::loadProgress, this, [this](quint64 done, quint64 total) { load_progress_ = std::pair{done, total}; });
    connect(backend, &ModelBackend::loadFinished, this, [this] { load_progress_.reset(); });
    connect(backend, &ModelBackend::unloaded, this, [this] { load_progress_.reset(); });
    connect(backend, &ModelBackend::imageEncodeStarted, this, [this](const QString& id) { encode_events_.started(id); });
    connect(backend, &ModelBackend::imageEncodeProgress, this,
            [this](const QString& id, int step, int steps, double elapsed_ms) { encode_events_.progress(id, step, steps, elapsed_ms); });
    connect(backend, &ModelBackend::imageEncoded, this,
            [this](const QString& id, const QString& state, double duration_ms, const QString& message) {
                encode_events_.finished(id, state, duration_ms, message);
            });
}

ControlApiServer::~ControlApiServer() { stop(); }

bool ControlApiServer::start(const ControlApiOptions& options, QString* error) {
    stop();
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (options.token.trimmed().isEmpty()) return fail(QStringLiteral("the control API needs a token"));
    if (options.bind_address.isNull()) return fail(QStringLiteral("no bind address"));
    options_ = options;
    const bool model_endpoints = options.model_endpoints;
    auto* tcp = new GuardedTcpServer(
        [model_endpoints](const QByteArray& path) {
            if (model_endpoints)
                for (const QString& p : kUploadPaths)
                    if (path == p.toLatin1()) return wire::kMaxUploadBodyBytes;
            return wire::kMaxSmallBodyBytes;
        },
        // Read at each request: setToken() takes effect for the next one.
        [this](const QByteArray& authorization) { return authorization_problem(authorization, options_.token).toUtf8(); });
    connect(tcp, &GuardedTcpServer::requestRefused, this, [this](int status, QByteArray method, QByteArray path) {
        ++served_;
        Q_EMIT requestServed(QString::fromLatin1(method), QString::fromLatin1(path), status);
    });
    // Bursts of connections queue in the kernel's backlog; accept them all.
    tcp->setMaxPendingConnections(1024);
    if (!tcp->listen(options.bind_address, options.port)) {
        const QString message = QStringLiteral("%1:%2: %3").arg(options.bind_address.toString()).arg(options.port).arg(tcp->errorString());
        delete tcp;
        return fail(message);
    }
    port_ = tcp->serverPort();
    http_ = std::make_unique<HttpServer>([this](const QHttpServerRequest& r, QTcpSocket* s) { handle(r, s); });
    http_->bind(tcp);  // takes ownership
    if (options.click_channel && options.model_endpoints) {
        click_channel_ = std::make_unique<ClickChannelServer>([this](const QByteArray& json) { return segmentOnChannel(json); });
        click_channel_->setSharedAnswerBytes(options.click_channel_shared_answer_bytes);
        connect(click_channel_.get(), &ClickChannelServer::answered, this, [this](int status) {
            ++served_;
            Q_EMIT requestServed(QStringLiteral("POST"), QStringLiteral("/api/v1/segment (click channel)"), status);
        });
        QString channel_error;
        if (!click_channel_->start(options_.token, &channel_error)) {
            stop();
            return fail(channel_error);
        }
    }
    return true;
}

QFuture<ClickChannelServer::Answer> ControlApiServer::segmentOnChannel(const QByteArray& json) {
    using Answer = ClickChannelServer::Answer;
    auto to_answer = [](const Response& r) {
        if (!r.mask_frame.isEmpty()) return Answer{r.status, wire::ChannelBodyKind::MaskFrame, r.mask_frame};
        return Answer{r.status, wire::ChannelBodyKind::Json, QJsonDocument(r.body).toJson(QJsonDocument::Compact)};
    };
    RequestError error;
    const std::optional<QJsonObject> body = parse_request_body(json, /*is_post=*/true, wire::kMaxChannelRequestBytes, &error);
    if (!body) return QtFuture::makeReadyFuture(to_answer(Response{error.status, wire::error_json(error.code, error.message)}));
    // The same handler as POST /api/v1/segment; the answer's body is what HTTP would carry.
    return segment(*body).then(QtFuture::Launch::Sync, to_answer);
}

QString ControlApiServer::clickChannelName() const {
    return click_channel_ ? click_channel_->fullServerName() : QString();
}

quint64 ControlApiServer::clickChannelServed() const {
    return click_channel_ ? click_channel_->requestsAnswered() : 0;
}

quint64 ControlApiServer::clickChannelSharedAnswers() const {
    return click_channel_ ? click_channel_->sharedAnswers() : 0;
}

void ControlApiServer::stop() {
    click_channel_.reset();  // the listening socket; connections go with it
    http_.reset();  // deletes the listening socket and every connection
    port_ = 0;
}

bool ControlApiServer::isListening() const { return http_ != nullptr; }
quint16 ControlApiServer::port() const { return port_; }

QUrl ControlApiServer::url() const {
    QUrl u;
    u.setScheme(QStringLiteral("http"));
    const QHostAddress a = options_.bind_address;
    u.setHost(a == QHostAddress(QHostAddress::Any) || a == QHostAddress(QHostAddress::AnyIPv4) ? QStringLiteral("127.0.0.1")
                                                                                                 : a.toString());
    u.setPort(port_);
    return u;
}

void ControlApiServer::setToken(const QString& token) {
    if (token.trimmed().isEmpty()) return;
    options_.token = token;
    if (click_channel_) click_channel_->setToken(token);  // for the next connection
}

void ControlApiServer::handle(const QHttpServerRequest& request, QTcpSocket* socket) {
    ++handled_;
    const QString path = request.url().path();
    auto reply = std::make_shared<PendingReply>(HttpServer::responderFor(request, socket), socket,
                                                QString::fromLatin1(method_name(request.method())), path);
    auto error = [](int status, const char* code, const QString& message) {
        return Response{status, wire::error_json(QString::fromLatin1(code), message)};
    };

    // Authentication first: without the token the API reveals nothing, not even
    // which paths exist. The guard (http_request_guard.h) already answered 401
    // from the headers, before any body was read; this is the same rule for
    // requests that reached us some other way.
    if (const QString why = authorization_problem(request.value(QByteArrayLiteral("Authorization")), options_.token);
        !why.isEmpty()) {
        answer(reply, error(401, "unauthorized", why));
        return;
    }

    struct Route {
        QString path;
        Method method;
        bool needs_model_endpoints;
    };
    static const Route kRoutes[] = {
        {QStringLiteral("/health"), Method::Get, false},
        {QStringLiteral("/api/v1/memory"), Method::Get, false},
        {QStringLiteral("/api/v1/unload"), Method::Post, false},
        {QStringLiteral("/api/v1/load"), Method::Post, false},
        {QStringLiteral("/api/v1/preflight"), Method::Post, false},
        {QStringLiteral("/api/v1/cancel-load"), Method::Post, false},
        {QStringLiteral("/api/v1/runtime-settings"), Method::Post, false},
        {QStringLiteral("/api/v1/encode"), Method::Post, true},
        {QStringLiteral("/api/v1/segment"), Method::Post, true},
        {QStringLiteral("/api/v1/detect"), Method::Post, true},
        {QStringLiteral("/api/v1/images-in-view"), Method::Post, true},
        {QStringLiteral("/api/v1/encode-events"), Method::Get, true},
    };
    const Route* route = nullptr;
    for (const Route& r : kRoutes)
        if (r.path == path && (!r.needs_model_endpoints || options_.model_endpoints)) route = &r;
    if (!route) {
        const bool headless_only = std::find(std::begin(kUploadPaths), std::end(kUploadPaths), path) != std::end(kUploadPaths);
        answer(reply, error(404, "not_found",
                            headless_only ? path + QStringLiteral(" is served by `samlabel-cli serve` only")
                                          : QStringLiteral("no endpoint %1 (see docs/control-api.md)").arg(path)));
        return;
    }
    if (request.method() != route->method) {
        answer(reply, error(405, "method_not_allowed",
                            QStringLiteral("%1 takes %2, not %3").arg(path, QLatin1String(method_name(route->method)),
                                                                     reply->method)));
        return;
    }

    // Bodies: the guard refused oversized ones before buffering; this is the
    // same rule for requests that reached us some other way.
    RequestError body_error;
    const std::optional<QJsonObject> parsed_body =
        parse_request_body(request.body(), route->method == Method::Post,
                           route->needs_model_endpoints ? wire::kMaxUploadBodyBytes : wire::kMaxSmallBodyBytes, &body_error);
    if (!parsed_body) {
        answer(reply, Response{body_error.status, wire::error_json(body_error.code, body_error.message)});
        return;
    }
    const QJsonObject& body = *parsed_body;
    if (!backend_) {
        answer(reply, error(503, "unavailable", QStringLiteral("no model backend")));
        return;
    }

    if (path == QLatin1String("/health")) answer(reply, health());
    else if (path == QLatin1String("/api/v1/memory")) answer(reply, memory());
    else if (path == QLatin1String("/api/v1/unload")) answerLater(reply, unload());
    else if (path == QLatin1String("/api/v1/load")) answerLater(reply, load(body));
    else if (path == QLatin1String("/api/v1/preflight")) answerLater(reply, preflight(body));
    else if (path == QLatin1String("/api/v1/cancel-load")) answer(reply, cancelLoad());
    else if (path == QLatin1String("/api/v1/runtime-settings")) answer(reply, runtimeSettings(body));
    else if (path == QLatin1String("/api/v1/encode")) answerLater(reply, encode(body));
    else if (path == QLatin1String("/api/v1/segment")) answerLater(reply, segment(body));
    else if (path == QLatin1String("/api/v1/detect")) answerLater(reply, detect(body));
    else if (path == QLatin1String("/api/v1/images-in-view")) answer(reply, imagesInView(body));
    else if (path == QLatin1String("/api/v1/encode-events"))
        answer(reply, encodeEvents(QUrlQuery(request.url()).queryItemValue(QStringLiteral("after"))));
}

void ControlApiServer::answer(const std::shared_ptr<PendingReply>& reply, const Response& response) {
    if (reply->answered) return;
    reply->answered = true;
    ++served_;
    Q_EMIT requestServed(reply->method, reply->path, response.status);
    if (!reply->socket) return;  // the client hung up; nothing to write to
    const auto status = static_cast<QHttpServerResponder::StatusCode>(response.status);
    const QJsonDocument body(response.body);
    // HeaderList is an initializer_list: each must live in its own full expression.
    if (!response.mask_frame.isEmpty())
        reply->responder.write(response.mask_frame,
                               {{QByteArrayLiteral("Content-Type"), QByteArray(wire::kMaskFrameContentType)},
                                {QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store")}},
                               status);
    else if (response.status == 401)
        reply->responder.write(body, {{QByteArrayLiteral("WWW-Authenticate"), QByteArrayLiteral("Bearer realm=\"samlabel\"")}}, status);
    else
        reply->responder.write(body, {{QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store")}}, status);
}

void ControlApiServer::answerLater(const std::shared_ptr<PendingReply>& reply, QFuture<Response> future) {
    // Continuations run on this object's thread, whatever thread fulfils the future.
    future
        .then(this, [this, reply](const Response& response) { answer(reply, response); })
        .onCanceled(this, [this, reply] {
            answer(reply, Response{500, wire::error_json(QStringLiteral("failed"), QStringLiteral("the operation was abandoned"))});
        });
}

ControlApiServer::Response ControlApiServer::health() const {
    const BackendStatus status = backend_->status();
    QJsonObject json = wire::to_json(status);
    json[QStringLiteral("gpus")] = wire::to_json(backend_->gpus());
    if (load_progress_ && status.state == QLatin1String("loading"))
        json[QStringLiteral("load_progress")] = wire::to_json(wire::LoadProgressFigures{load_progress_->first, load_progress_->second});
    if (const std::optional<AppliedSettings> settings = backend_->appliedSettings())
        json[QStringLiteral("settings")] = wire::to_json(*settings);
    // A client following the encodes asks /api/v1/encode-events only when this moved.
    if (options_.model_endpoints) json[QStringLiteral("encode_events_seq")] = double(encode_events_.lastSeq());
    return Response{200, json};
}

ControlApiServer::Response ControlApiServer::memory() const {
    return Response{200, wire::to_json(backend_->memory())};
}

QFuture<ControlApiServer::Response> ControlApiServer::unload() {
    return backend_->unload().then([](const UnloadReply& r) { return Response{wire::http_status_for(r.error), wire::to_json(r)}; });
}

ControlApiServer::ParsedLoad ControlApiServer::parseLoad(const QJsonObject& body) const {
    ParsedLoad out;
    QString parse_error;
    const std::optional<wire::LoadOptionsRequest> options = wire::parse_load_request(body, &parse_error);
    if (!options) {
        out.refusal = Response{400, wire::error_json(QStringLiteral("bad_request"), parse_error)};
        return out;
    }
    if (options->empty()) {
        out.reload = true;
        return out;
    }
    const QString own_folder = backend_->status().model_path;
    if (!options->weights.isEmpty() && !options_.allow_load_any_weights &&
        QDir::cleanPath(options->weights) != QDir::cleanPath(own_folder)) {
        out.refusal = Response{403, wire::error_json(QStringLiteral("forbidden"),
                                                     QStringLiteral("this server loads only its own weights folder%1; a client may not "
                                                                    "choose another folder on it (start `samlabel-cli serve` with "
                                                                    "--allow-load-any-weights to allow that, on a trusted network only)")
                                                         .arg(own_folder.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(own_folder)))};
        return out;
    }
    if (options->weights.isEmpty() && own_folder.isEmpty()) {
        out.refusal = Response{409, wire::error_json(BackendError::NoLastModel,
                                                     QStringLiteral("no weights folder: give \"weights\" (this server has none yet)"))};
        return out;
    }
    out.request = wire::load_request_from(*options, own_folder);
    out.budget = wire::budget_from(*options, options_.budget_floor);
    return out;
}

QFuture<ControlApiServer::Response> ControlApiServer::load(const QJsonObject& body) {
    ParsedLoad parsed = parseLoad(body);
    if (parsed.refusal) return QtFuture::makeReadyFuture(*parsed.refusal);
    QFuture<LoadReply> loading = parsed.reload ? backend_->reload() : backend_->load(parsed.request, parsed.budget);
    return loading.then([](const LoadReply& r) { return Response{wire::http_status_for(r.error), wire::to_json(r)}; });
}

QFuture<ControlApiServer::Response> ControlApiServer::preflight(const QJsonObject& body) {
    ParsedLoad parsed = parseLoad(body);
    if (parsed.refusal) return QtFuture::makeReadyFuture(*parsed.refusal);
    if (parsed.reload) {
        // No options: the folder this server has, with the defaults.
        parsed = parseLoad(QJsonObject{{QStringLiteral("device"), QStringLiteral("auto")}});
        if (parsed.refusal) return QtFuture::makeReadyFuture(*parsed.refusal);
    }
    // A refusal is an answer, not an error: 200 with "fits": false. Only an
    // unreadable checkpoint is an error.
    return backend_->preflight(parsed.request, parsed.budget).then([](const PreflightReply& r) {
        return Response{r.ok() ? 200 : wire::http_status_for(r.error), wire::to_json(r)};
    });
}

ControlApiServer::Response ControlApiServer::imagesInView(const QJsonObject& body) {
    if (!options_.allow_read_local_images)
        return Response{403, wire::error_json(QStringLiteral("forbidden"),
                                              QStringLiteral("this server does not read image files a client names (start `samlabel-cli "
                                                             "serve` with --allow-read-local-images to allow that, for a client on "
                                                             "this machine only); send the pixels to /api/v1/encode instead"))};
    QString parse_error;
    const std::optional<wire::ImagesInViewRequest> request = wire::parse_images_in_view_request(body, &parse_error);
    if (!request) return Response{400, wire::error_json(QStringLiteral("bad_request"), parse_error)};
    // Nothing to encode with: the client sends the images again after its load.
    if (!backend_->status().model_loaded)
        return Response{409, wire::error_json(BackendError::NotLoaded,
                                              QStringLiteral("no model is loaded: send the images in view again after POST /api/v1/load"))};
    backend_->setImagesInView(request->on_screen, request->ahead);
    return Response{200, QJsonObject{{QStringLiteral("on_screen"), request->on_screen},
                                     {QStringLiteral("ahead"), QJsonArray::fromStringList(request->ahead)}}};
}

ControlApiServer::Response ControlApiServer::encodeEvents(const QString& after) const {
    quint64 from = 0;
    if (!after.isEmpty()) {
        bool ok = false;
        from = after.toULongLong(&ok);
        if (!ok)
            return Response{400, wire::error_json(QStringLiteral("bad_request"),
                                                  QStringLiteral("\"after\" must be a whole number >= 0 (the last seq you have), not \"%1\"").arg(after))};
    }
    return Response{200, wire::encode_events_to_json(encode_events_.since(from), encode_events_.lastSeq())};
}

ControlApiServer::Response ControlApiServer::cancelLoad() {
    const bool loading = backend_->status().state == QLatin1String("loading");
    backend_->cancelLoad();
    return Response{200, QJsonObject{{QStringLiteral("status"), loading ? QStringLiteral("cancelling") : QStringLiteral("idle")}}};
}

ControlApiServer::Response ControlApiServer::runtimeSettings(const QJsonObject& body) {
    if (!options_.allow_runtime_settings)
        return Response{403, wire::error_json(QStringLiteral("forbidden"),
                                              QStringLiteral("this server keeps its own runtime settings; a client may not change "
                                                             "them (start `samlabel-cli serve` with --allow-runtime-settings to "
                                                             "allow that: it lets a client choose folders the server writes in)"))};
    QString parse_error;
    const std::optional<wire::RuntimeSettingsUpdate> update = wire::parse_runtime_settings_update(body, &parse_error);
    if (!update) return Response{400, wire::error_json(QStringLiteral("bad_request"), parse_error)};
    if (update->runtime) backend_->applyRuntimeSettings(*update->runtime);
    if (update->converted_weights) backend_->applyConvertedWeightsSettings(*update->converted_weights);
    QJsonObject json{{QStringLiteral("status"), QStringLiteral("applied")}};
    if (const std::optional<AppliedSettings> settings = backend_->appliedSettings())
        json[QStringLiteral("settings")] = wire::to_json(*settings);
    return Response{200, json};
}

namespace {

struct DecodeOutcome {
    std::optional<wire::DecodedImage> image;
    QString error;
};

// Runs off the server's thread: a 60 MB JPEG takes a while to decode.
QFuture<DecodeOutcome> decode_async(QByteArray bytes, QString name) {
    return QtConcurrent::run([bytes = std::move(bytes), name = std::move(name)] {
        DecodeOutcome out;
        out.image = wire::decode_uploaded_image(bytes, name, &out.error);
        return out;
    });
}

}  // namespace

QFuture<ControlApiServer::Response> ControlApiServer::encode(const QJsonObject& body) {
    const QJsonValue b64 = body.value(QStringLiteral("image_base64"));
    if (!b64.isString())
        return QtFuture::makeReadyFuture(Response{400, wire::error_json(QStringLiteral("bad_request"),
                                                            QStringLiteral("\"image_base64\" (the image file's bytes, base64) is required"))});
    const auto decoded = QByteArray::fromBase64Encoding(b64.toString().toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty())
        return QtFuture::makeReadyFuture(Response{400, wire::error_json(QStringLiteral("bad_request"), QStringLiteral("\"image_base64\" is not valid base64"))});
    const QJsonValue id_value = body.value(QStringLiteral("image_id"));
    if (!id_value.isUndefined() && !id_value.isNull() && (!id_value.isString() || id_value.toString().isEmpty()))
        return QtFuture::makeReadyFuture(Response{400, wire::error_json(QStringLiteral("bad_request"), QStringLiteral("\"image_id\" must be a non-empty string"))});
    const QString image_id = id_value.toString();

    auto promise = std::make_shared<QPromise<Response>>();
    promise->start();
    QPointer<ModelBackend> backend = backend_;
    decode_async(decoded.decoded, QStringLiteral("image_base64"))
        .then(this, [promise, backend, image_id](const DecodeOutcome& decoded) {
            auto finish = [promise](Response r) {
                promise->addResult(std::move(r));
                promise->finish();
            };
            if (!decoded.image) return finish(Response{400, wire::error_json(QStringLiteral("bad_request"), decoded.error)});
            const wire::DecodedImage* image = &*decoded.image;
            if (!backend) return finish(Response{503, wire::error_json(QStringLiteral("unavailable"), QStringLiteral("no model backend"))});
            backend->encode(image->image, image_id.isEmpty() ? image->content_key : image_id)
                .then([finish](const EncodeReply& r) { finish(Response{wire::http_status_for(r.error), wire::to_json(r)}); });
        });
    return promise->future();
}

QFuture<ControlApiServer::Response> ControlApiServer::segment(const QJsonObject& body) {
    QString parse_error;
    std::optional<wire::SegmentRequest> request = wire::parse_segment_request(body, &parse_error);
    if (!request) return QtFuture::makeReadyFuture(Response{400, wire::error_json(QStringLiteral("bad_request"), parse_error)});

    auto promise = std::make_shared<QPromise<Response>>();
    promise->start();
    auto finish = [promise](Response r) {
        promise->addResult(std::move(r));
        promise->finish();
    };
    QPointer<ModelBackend> backend = backend_;
    const engine::ClickPrompt prompt = request->prompt;
    const wire::MaskEncoding masks = request->masks;
    const bool polygons = request->include_polygons;
    std::shared_ptr<KeptMaskLogits> kept = kept_logits_;
    auto run_segment = [backend, prompt, masks, polygons, finish, kept](const QString& image_id) {
        if (!backend) return finish(Response{503, wire::error_json(QStringLiteral("unavailable"), QStringLiteral("no model backend"))});
        // A named previous mask becomes its logits; a forgotten one, none (the answer says so).
        engine::ClickPrompt click = prompt;
        std::optional<bool> previous_used;
        if (click.previous_mask && click.previous_mask->kept_by_server) {
            const auto name = *click.previous_mask->kept_by_server;
            click.previous_mask = kept->find(name.answer_id, name.candidate, image_id);
            previous_used = click.previous_mask.has_value();
        }
        // Takes the reply out of its future (future_result.h; this is its only
        // reader): copying a click's masks costs more than the socket.
        backend->segment(image_id, click).then([finish, image_id, masks, polygons, kept, previous_used](QFuture<SegmentReply> answered) {
            if (!has_result(answered))
                return finish(Response{500, wire::error_json(QStringLiteral("failed"), QStringLiteral("the model gave no answer"))});
            SegmentReply r = take_only_result(answered);
            if (!r.ok()) return finish(Response{wire::http_status_for(r.error), wire::error_json(r.error, r.message)});
            QJsonObject json = wire::segment_result_to_json(image_id, r.result, masks, polygons);
            json[QStringLiteral("duration_ms")] = r.duration_ms;
            std::vector<engine::LowResMaskLogits> logits;
            for (engine::MaskCandidate& c : r.result.candidates) logits.push_back(std::move(c.low_res));
            json[QStringLiteral("answer_id")] = double(kept->keep(image_id, std::move(logits)));
            if (previous_used) json[QStringLiteral("previous_mask_used")] = *previous_used;
            if (masks == wire::MaskEncoding::Png) return finish(Response{200, json});
            std::vector<const std::vector<std::uint8_t>*> mask_bytes;
            for (const engine::MaskCandidate& c : r.result.candidates) mask_bytes.push_back(&c.mask);
            const auto coding = masks == wire::MaskEncoding::Runs ? wire::MaskFrameCoding::Blocks : wire::MaskFrameCoding::Bits;
            finish(Response{200, json, wire::frame_masks(json, mask_bytes, coding)});
        });
    };
    if (request->image_bytes.isEmpty()) {
        run_segment(request->image_id);
        return promise->future();
    }
    // An image in the request: encode it (cached when seen before), then click.
    const QString requested_id = request->image_id;
    decode_async(request->image_bytes, QStringLiteral("image_base64"))
        .then(this, [backend, requested_id, finish, run_segment](const DecodeOutcome& decoded) {
            if (!decoded.image) return finish(Response{400, wire::error_json(QStringLiteral("bad_request"), decoded.error)});
            const wire::DecodedImage* image = &*decoded.image;
            if (!backend) return finish(Response{503, wire::error_json(QStringLiteral("unavailable"), QStringLiteral("no model backend"))});
            const QString id = requested_id.isEmpty() ? image->content_key : requested_id;
            backend->encode(image->image, id).then(backend.data(), [finish, run_segment](const EncodeReply& r) {
                if (!r.ok()) return finish(Response{wire::http_status_for(r.error), wire::to_json(r)});
                run_segment(r.image_id);
            });
        });
    return promise->future();
}

QFuture<ControlApiServer::Response> ControlApiServer::detect(const QJsonObject& body) {
    QString parse_error;
    std::optional<wire::DetectRequest> request = wire::parse_detect_request(body, &parse_error);
    if (!request) return QtFuture::makeReadyFuture(Response{400, wire::error_json(QStringLiteral("bad_request"), parse_error)});

    auto promise = std::make_shared<QPromise<Response>>();
    promise->start();
    auto finish = [promise](Response r) {
        promise->addResult(std::move(r));
        promise->finish();
    };
    QPointer<ModelBackend> backend = backend_;
    const engine::DetectPrompt prompt = request->prompt;
    const engine::DetectOptions options = request->options;
    const bool include_masks = request->include_masks;
    auto run_detect = [backend, prompt, options, include_masks, finish](const QString& image_id) {
        if (!backend) return finish(Response{503, wire::error_json(QStringLiteral("unavailable"), QStringLiteral("no model backend"))});
        backend->detect(image_id, prompt, options).then([=](QFuture<DetectReply> answered) {
            if (!has_result(answered))
                return finish(Response{500, wire::error_json(QStringLiteral("failed"), QStringLiteral("the model gave no answer"))});
            const DetectReply& r = only_result(answered);
            if (!r.ok()) return finish(Response{wire::http_status_for(r.error), wire::error_json(r.error, r.message)});
            // Every kept instance's mask becomes a PNG and polygons: not on the server's thread. The
            // future (shared) travels, not a copy of its masks.
            (void)QtConcurrent::run([=] {
                finish(Response{200, wire::detect_result_to_json(image_id, only_result(answered), prompt, options, include_masks)});
            });
        });
    };
    if (request->image_bytes.isEmpty()) {
        run_detect(request->image_id);
        return promise->future();
    }
    // An image in the request: encode it (cached when seen before), then detect.
    const QString requested_id = request->image_id;
    decode_async(request->image_bytes, QStringLiteral("image_base64"))
        .then(this, [backend, requested_id, finish, run_detect](const DecodeOutcome& decoded) {
            if (!decoded.image) return finish(Response{400, wire::error_json(QStringLiteral("bad_request"), decoded.error)});
            const wire::DecodedImage* image = &*decoded.image;
            if (!backend) return finish(Response{503, wire::error_json(QStringLiteral("unavailable"), QStringLiteral("no model backend"))});
            const QString id = requested_id.isEmpty() ? image->content_key : requested_id;
            backend->encode(image->image, id).then(backend.data(), [finish, run_detect](const EncodeReply& r) {
                if (!r.ok()) return finish(Response{wire::http_status_for(r.error), wire::error_json(r.error, r.message)});
                run_detect(r.image_id);
            });
        });
    return promise->future();
}

}  // namespace samlabel::service
