#pragma once
// The control API: a small authenticated HTTP server (QHttpServer's
// QAbstractHttpServer) in front of a ModelBackend, so a training script can
// take the GPU back from the annotation app (POST /api/v1/unload) and a GPU
// box can serve clicks and detection to workstations (samlabel-cli serve:
// /encode, /segment, /detect).
//
// * Off unless started; binds 127.0.0.1 unless the caller chooses another address.
// * Every request needs "Authorization: Bearer <token>" (constant-time compare).
// * Errors are JSON {"error", "message"}: 401, 400, 404, 405, 409, 411, 413, 431, 500.
// * From the header block alone, before any body is read and before a handler
//   runs (http_request_guard.h): 431, 411 and 413 (body over the path's cap),
//   then 401. An unauthenticated request never reaches a handler.
// * POST /api/v1/load may carry options (folder, device, dtype, parts, budgets);
//   a folder other than the server's own needs allow_load_any_weights (403).
// * POST /api/v1/runtime-settings needs allow_runtime_settings (403).
// * POST /api/v1/images-in-view (serve) names files of the client's machine for
//   the model to encode ahead; it needs allow_read_local_images (403). GET
//   /api/v1/encode-events reports the encodes (encode_events.h).
// * Handlers never block: model work answers through the backend's futures,
//   and the socket is written when they are fulfilled (the GUI keeps running).
// Endpoints: docs/control-api.md.
#include "core/service/click_channel_server.h"
#include "core/service/encode_events.h"
#include "core/service/kept_mask_logits.h"
#include "core/service/model_backend.h"

#include <QFuture>
#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

#include <memory>
#include <optional>
#include <utility>

class QHttpServerRequest;
class QTcpSocket;

namespace samlabel::service {

struct ControlApiOptions {
    QHostAddress bind_address = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 0;               // 0: a free port (see port())
    QString token;                  // required, non-empty
    bool model_endpoints = false;   // serve /api/v1/encode, /segment and /detect (headless serve)
    // POST /api/v1/load and /preflight may name any "weights" folder on this
    // machine. Off: only the folder the server already has (a client of a
    // network-exposed server must not make it read paths of its choosing; 403).
    // The GUI's model process (child mode) turns it on: loopback, its own token.
    bool allow_load_any_weights = false;
    // POST /api/v1/runtime-settings may change the model's runtime and
    // converted-weights settings (disk folders it then writes in). Off: 403.
    // The GUI's model process turns it on; a shared server keeps its own.
    bool allow_runtime_settings = false;
    // POST /api/v1/images-in-view may name image files on this machine, which
    // the backend reads and encodes ahead (and segment/detect then take those
    // paths as image ids). Off: 403, for the same reason. The GUI's model
    // process turns it on: it shares the GUI's machine and files.
    bool allow_read_local_images = false;
    // Also answer /api/v1/segment on a local socket (click_channel_server.h),
    // the GUI's model process's way for clicks; needs model_endpoints.
    bool click_channel = false;
    // Each click channel connection's shared memory region for answers
    // (click_channel_wire.h); 0: answers in the stream only.
    quint64 click_channel_shared_answer_bytes = ClickChannelServer::kDefaultSharedAnswerBytes;
    // The operator's budgets (serve --ram-budget/--vram-budget): a load's own
    // budget may be stricter, never looser.
    engine::BudgetSettings budget_floor;
};

class ControlApiServer : public QObject {
    Q_OBJECT
public:
    explicit ControlApiServer(ModelBackend* backend, QObject* parent = nullptr);
    ~ControlApiServer() override;

    // Starts listening. False with *error ("127.0.0.1:8765: address in use")
    // when the port is taken, the address is not local, or the token is empty.
    bool start(const ControlApiOptions& options, QString* error);
    void stop();  // closes the listening socket and every connection
    bool isListening() const;
    quint16 port() const;
    QUrl url() const;  // http://127.0.0.1:<port>
    void setToken(const QString& token);  // takes effect for the next request
    // The click channel's name for QLocalSocket::connectToServer; empty without one.
    QString clickChannelName() const;

    // Requests answered so far (by status), for the settings dialog and tests.
    quint64 requestsServed() const { return served_; }
    // Requests that reached the HTTP handler (QHttpServer parsed them and
    // buffered their bodies); the ones the guard refused never count.
    quint64 requestsHandled() const { return handled_; }
    // Of requestsServed(), the ones answered on the click channel, and of
    // those, the ones whose masks went through shared memory.
    quint64 clickChannelServed() const;
    quint64 clickChannelSharedAnswers() const;

Q_SIGNALS:
    void requestServed(QString method, QString path, int status);

private:
    class HttpServer;
    struct PendingReply;
    struct Response {
        int status = 200;
        QJsonObject body;
        QByteArray mask_frame;  // when set, the answer's body instead of `body` (control_api_mask_frame.h)
    };

    void handle(const QHttpServerRequest& request, QTcpSocket* socket);
    void answer(const std::shared_ptr<PendingReply>& reply, const Response& response);
    void answerLater(const std::shared_ptr<PendingReply>& reply, QFuture<Response> future);

    Response health() const;
    Response memory() const;
    QFuture<Response> unload();
    QFuture<Response> load(const QJsonObject& body);
    QFuture<Response> preflight(const QJsonObject& body);
    Response cancelLoad();
    Response runtimeSettings(const QJsonObject& body);
    // The load a /load or /preflight body asks for, or the answer refusing it.
    struct ParsedLoad {
        std::optional<Response> refusal;
        engine::LoadRequest request;
        engine::BudgetSettings budget;
        bool reload = false;  // no body: the last model again
    };
    ParsedLoad parseLoad(const QJsonObject& body) const;
    QFuture<Response> encode(const QJsonObject& body);
    QFuture<Response> segment(const QJsonObject& body);
    QFuture<ClickChannelServer::Answer> segmentOnChannel(const QByteArray& json);
    QFuture<Response> detect(const QJsonObject& body);
    Response imagesInView(const QJsonObject& body);
    Response encodeEvents(const QString& after) const;  // `after`: the query's value

    QPointer<ModelBackend> backend_;
    std::unique_ptr<HttpServer> http_;
    std::unique_ptr<ClickChannelServer> click_channel_;
    ControlApiOptions options_;
    quint16 port_ = 0;
    // The running load's progress for /health (cleared when it finishes).
    std::optional<std::pair<quint64, quint64>> load_progress_;
    // The latest click answers' low-res logits, for refinements that name them
    // (shared: the model's thread keeps answers after this object may be gone).
    std::shared_ptr<KeptMaskLogits> kept_logits_ = std::make_shared<KeptMaskLogits>();
    EncodeEventLog encode_events_;  // the backend's encodes, for GET /api/v1/encode-events
    quint64 served_ = 0;
    quint64 handled_ = 0;
};

}  // namespace samlabel::service
