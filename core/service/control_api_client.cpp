#include "core/service/control_api_client.h"

#include "core/service/control_api_mask_frame.h"
#include "core/service/control_api_settings.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPromise>
#include <QTimer>

#include <memory>

namespace samlabel::service {

QString ApiCallResult::describe(const QUrl& url) const {
    if (http_status == 0) return QStringLiteral("cannot reach %1: %2").arg(url.toString(), transport_error);
    const QString error = json.value(QStringLiteral("error")).toString();
    const QString message = json.value(QStringLiteral("message")).toString();
    QString text = QStringLiteral("HTTP %1").arg(http_status);
    if (!error.isEmpty()) text += QLatin1Char(' ') + error;
    if (!message.isEmpty()) text += QStringLiteral(": ") + message;
    return text;
}

ControlApiClient::ControlApiClient(QUrl base_url, QString token, QObject* parent)
    : QObject(parent), base_url_(std::move(base_url)), token_(std::move(token)), nam_(new QNetworkAccessManager(this)) {}

ControlApiClient::~ControlApiClient() = default;

QFuture<ApiCallResult> ControlApiClient::get(const QString& path, int timeout_ms) {
    return send(QByteArrayLiteral("GET"), path, {}, timeout_ms);
}

QFuture<ApiCallResult> ControlApiClient::post(const QString& path, const QJsonObject& body, int timeout_ms) {
    return send(QByteArrayLiteral("POST"), path, QJsonDocument(body).toJson(QJsonDocument::Compact), timeout_ms);
}

QFuture<ApiCallResult> ControlApiClient::post(const QString& path, const QByteArray& json_body, int timeout_ms) {
    return send(QByteArrayLiteral("POST"), path, json_body, timeout_ms);
}

QFuture<ApiCallResult> ControlApiClient::send(const QByteArray& method, const QString& path, const QByteArray& body,
                                              int timeout_ms) {
    QUrl url = base_url_;
    // "/api/v1/encode-events?after=3": the query goes to the URL's query, not into its path.
    const qsizetype query_at = path.indexOf(QLatin1Char('?'));
    url.setPath(query_at < 0 ? path : path.left(query_at));
    if (query_at >= 0) url.setQuery(path.mid(query_at + 1));
    QNetworkRequest request(url);
    request.setRawHeader(QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer ") + token_.toUtf8());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setTransferTimeout(timeout_ms);
    QNetworkReply* reply = method == "GET" ? nam_->get(request) : nam_->sendCustomRequest(request, method, body);

    auto promise = std::make_shared<QPromise<ApiCallResult>>();
    promise->start();
    // Refused as it arrives (the announced length or the bytes so far), before
    // the body is buffered whole.
    const qint64 cap = max_reply_bytes_;
    auto too_large = std::make_shared<bool>(false);
    connect(reply, &QNetworkReply::downloadProgress, reply, [reply, cap, too_large](qint64 received, qint64 total) {
        if (*too_large || (received <= cap && total <= cap)) return;
        *too_large = true;
        reply->abort();
    });
    connect(reply, &QNetworkReply::finished, this, [reply, promise, cap, too_large] {
        ApiCallResult result;
        if (*too_large) {
            result.transport_error = QStringLiteral("the server's answer is larger than %1 MiB: refused").arg(cap >> 20);
            reply->deleteLater();
            promise->addResult(result);
            promise->finish();
            return;
        }
        result.http_status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray bytes = reply->readAll();
        if (reply->header(QNetworkRequest::ContentTypeHeader).toByteArray() == wire::kMaskFrameContentType) {
            if (std::optional<wire::MaskFrame> frame = wire::unframe_masks(bytes)) {
                result.json = std::move(frame->json);
                result.frame = std::move(frame->body);
                result.frame_bits_offset = frame->bits_offset;
            }
        } else {
            result.json = QJsonDocument::fromJson(bytes).object();
        }
        if (result.http_status == 0) {
            result.transport_error = reply->error() == QNetworkReply::OperationCanceledError
                                         ? QStringLiteral("no answer within the time limit")
                                         : reply->errorString();
        }
        reply->deleteLater();
        promise->addResult(result);
        promise->finish();
    });
    return promise->future();
}

QUrl default_control_api_url() {
    const QByteArray env = qgetenv("SAMLABEL_URL");
    if (!env.isEmpty()) return QUrl(QString::fromUtf8(env));
    const ControlApiConfig config = load_control_api_config();
    QUrl u;
    u.setScheme(QStringLiteral("http"));
    const QHostAddress bind = parse_bind_address(config.bind_address);
    const bool any = bind == QHostAddress(QHostAddress::Any) || bind == QHostAddress(QHostAddress::AnyIPv4) || bind.isNull();
    u.setHost(any ? QStringLiteral("127.0.0.1") : bind.toString());
    u.setPort(config.port);
    return u;
}

QString default_control_api_token() {
    const QByteArray env = qgetenv("SAMLABEL_TOKEN");
    if (!env.isEmpty()) return QString::fromUtf8(env).trimmed();
    return load_control_api_config().token;
}

}  // namespace samlabel::service
