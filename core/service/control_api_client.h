#pragma once
// An HTTP client for the control API (QNetworkAccessManager): the remote
// model backend and `samlabel-cli health/unload` use it. Asynchronous; call
// from one thread (the object's), futures are fulfilled on that thread.
#include <QFuture>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QUrl>

class QNetworkAccessManager;

namespace samlabel::service {

struct ApiCallResult {
    int http_status = 0;      // 0: no HTTP answer (connection refused, timeout, ...)
    QJsonObject json;         // the answer's body (errors: {"error", "message"}); a mask frame's JSON
    QByteArray frame;              // a mask frame's whole body (control_api_mask_frame.h), else empty
    qsizetype frame_bits_offset = 0;  // where its masks' bits start
    QString transport_error;  // why there was no answer
    bool ok() const { return http_status >= 200 && http_status < 300; }
    // One line for a user: "HTTP 409 refused: needs 9 GB ..." / "cannot reach ...: Connection refused".
    QString describe(const QUrl& url) const;
};

class ControlApiClient : public QObject {
    Q_OBJECT
public:
    // base_url: "http://127.0.0.1:8765" (a path, if any, is replaced).
    ControlApiClient(QUrl base_url, QString token, QObject* parent = nullptr);
    ~ControlApiClient() override;

    QUrl baseUrl() const { return base_url_; }
    void setToken(const QString& token) { token_ = token; }
    QString token() const { return token_; }

    // A broken or hostile server must not fill this process's memory: an answer
    // larger than this is refused while it downloads (a detect answer with 200
    // PNG masks is a few MB; a segment mask frame of an 8K image, ~12 MB).
    static constexpr qint64 kDefaultMaxReplyBytes = qint64(512) << 20;
    void setMaxReplyBytes(qint64 bytes) { max_reply_bytes_ = bytes; }
    qint64 maxReplyBytes() const { return max_reply_bytes_; }

    // path may carry a query ("/api/v1/encode-events?after=3").
    // timeout_ms bounds the whole call (an unload waits for a running encode,
    // so give it minutes).
    QFuture<ApiCallResult> get(const QString& path, int timeout_ms = 10'000);
    QFuture<ApiCallResult> post(const QString& path, const QJsonObject& body, int timeout_ms = 10'000);
    QFuture<ApiCallResult> post(const QString& path, const QByteArray& json_body, int timeout_ms);

private:
    QFuture<ApiCallResult> send(const QByteArray& method, const QString& path, const QByteArray& body, int timeout_ms);

    QUrl base_url_;
    QString token_;
    QNetworkAccessManager* nam_;
    qint64 max_reply_bytes_ = kDefaultMaxReplyBytes;
};

// The URL and token a CLI command uses: --url / --token, else the environment
// (SAMLABEL_URL, SAMLABEL_TOKEN), else http://127.0.0.1:8765 and the token in
// this user's samlabel settings.
QUrl default_control_api_url();
QString default_control_api_token();

}  // namespace samlabel::service
