#pragma once
// Shared by `samlabel-cli health` and `samlabel-cli unload`: the --url /
// --token / --timeout options and one blocking control-API call inside a
// QCoreApplication (the commands are plain functions; Qt networking needs an
// application object and an event loop).
#include "app/cli/cli_command.h"
#include "core/service/control_api_client.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QFutureWatcher>

#include <iostream>
#include <optional>
#include <string>

namespace samlabel::cli {

struct ApiTarget {
    QUrl url;
    QString token;
    int timeout_ms = 0;
};

// nullopt after printing the problem (usage error).
inline std::optional<ApiTarget> parse_api_target(const Args& args, const char* command, int default_timeout_s) {
    ApiTarget t;
    std::optional<std::string> url, token;
    int timeout_s = default_timeout_s;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](const char* name) -> std::optional<std::string> {
            if (i + 1 >= args.size()) {
                std::cerr << "samlabel-cli " << command << ": " << name << " needs a value\n";
                return std::nullopt;
            }
            return args[++i];
        };
        if (a == "--url") {
            if (!(url = value("--url"))) return std::nullopt;
        } else if (a == "--token") {
            if (!(token = value("--token"))) return std::nullopt;
        } else if (a == "--timeout") {
            const auto v = value("--timeout");
            if (!v) return std::nullopt;
            try {
                timeout_s = std::stoi(*v);
            } catch (...) {
                timeout_s = -1;
            }
            if (timeout_s <= 0) {
                std::cerr << "samlabel-cli " << command << ": --timeout wants a positive number of seconds\n";
                return std::nullopt;
            }
        } else {
            std::cerr << "samlabel-cli " << command << ": unknown argument '" << a << "' (see --help)\n";
            return std::nullopt;
        }
    }
    t.url = url ? QUrl(QString::fromStdString(*url)) : service::default_control_api_url();
    if (!t.url.isValid() || (t.url.scheme() != QLatin1String("http") && t.url.scheme() != QLatin1String("https")) ||
        t.url.host().isEmpty()) {
        std::cerr << "samlabel-cli " << command << ": '" << t.url.toString().toStdString()
                  << "' is not an http:// URL (e.g. http://127.0.0.1:8765)\n";
        return std::nullopt;
    }
    t.token = token ? QString::fromStdString(*token) : service::default_control_api_token();
    if (t.token.isEmpty()) {
        std::cerr << "samlabel-cli " << command
                  << ": no token: pass --token, set SAMLABEL_TOKEN, or enable the control API in samlabel's settings\n";
        return std::nullopt;
    }
    t.timeout_ms = timeout_s * 1000;
    return t;
}

// Needed before QSettings or networking; the same names as the GUI's.
inline QCoreApplication& ensure_core_application() {
    if (auto* app = QCoreApplication::instance()) return *app;
    static int argc = 1;
    static char name[] = "samlabel-cli";
    static char* argv[] = {name, nullptr};
    static QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("samlabel"));
    QCoreApplication::setApplicationName(QStringLiteral("samlabel"));
    return app;
}

inline service::ApiCallResult wait_for(QFuture<service::ApiCallResult> future) {
    QFutureWatcher<service::ApiCallResult> watcher;
    QEventLoop loop;
    QObject::connect(&watcher, &QFutureWatcher<service::ApiCallResult>::finished, &loop, &QEventLoop::quit);
    watcher.setFuture(future);
    if (!future.isFinished()) loop.exec();
    return future.result();
}

}  // namespace samlabel::cli
