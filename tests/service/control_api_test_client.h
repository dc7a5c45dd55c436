#pragma once
// A control API server the way the tests drive it: started on a free loopback
// port with a fresh random token, and a client that sends that token with
// every request (blocking calls through http_test_client.h, or a POST left in
// flight for tests that overlap requests).
#include "core/service/api_token.h"
#include "core/service/control_api_server.h"
#include "tests/service/http_test_client.h"

namespace samlabel::service::testing {

enum class ModelEndpoints { Off, On };

// The token the server now requires; empty (with `error` set) when it did not start.
inline QString start_with_random_token(ControlApiServer& server, ModelEndpoints model_endpoints, QString* error = nullptr) {
    ControlApiOptions options;
    options.token = generate_api_token();
    options.model_endpoints = model_endpoints == ModelEndpoints::On;
    if (!server.start(options, error)) return {};
    return options.token;
}

class ControlApiTestClient {
public:
    // `server` must outlive the client. `timeout_ms` bounds each blocking call.
    ControlApiTestClient(const ControlApiServer& server, const QString& token, int timeout_ms = 30000)
        : server_(server), token_(token.toLatin1()), timeout_ms_(timeout_ms) {}

    QUrl url(const QString& path) const {
        QUrl u = server_.url();
        u.setPath(path);
        return u;
    }
    HttpResult get(const QString& path) { return http_call(nam_, "GET", url(path), token_, {}, timeout_ms_); }
    HttpResult post(const QString& path, const QByteArray& body = {}) {
        return http_call(nam_, "POST", url(path), token_, body, timeout_ms_);
    }
    // Sends without waiting; the caller deletes the reply (deleteLater).
    QNetworkReply* postInFlight(const QString& path, const QByteArray& body = {}) {
        QNetworkRequest request(url(path));
        request.setRawHeader("Authorization", "Bearer " + token_);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        return nam_.post(request, body);
    }

    const QByteArray& token() const { return token_; }
    QNetworkAccessManager& nam() { return nam_; }

private:
    const ControlApiServer& server_;
    QByteArray token_;
    int timeout_ms_;
    QNetworkAccessManager nam_;
};

}  // namespace samlabel::service::testing
