// samlabel-cli health [--url URL] [--token T] [--timeout S]
// Asks a running samlabel (GUI with the control API on, or `samlabel-cli
// serve`) whether a model is loaded and how much memory it holds.
#include "app/cli/cli_command.h"
#include "app/cli/control_api_call.h"
#include "core/service/control_api_wire.h"

#include <QJsonDocument>

#include <cstdio>
#include <iostream>

namespace samlabel::cli {

int cmd_health(const Args& args) {
    for (const std::string& a : args)
        if (a == "--help" || a == "-h") {
            std::cout << "usage: samlabel-cli health [--url URL] [--token TOKEN] [--timeout SECONDS] [--json]\n"
                         "  Asks a running samlabel (or samlabel-cli serve) for its model state and memory.\n"
                         "  URL defaults to $SAMLABEL_URL, else the control API address in samlabel's settings\n"
                         "  (http://127.0.0.1:8765); TOKEN to $SAMLABEL_TOKEN, else the token in the settings.\n"
                         "  Exit 0 when the server answered, 1 when it could not be reached or refused.\n";
            return kExitOk;
        }
    bool as_json = false;
    Args rest;
    for (const std::string& a : args) {
        if (a == "--json") as_json = true;
        else rest.push_back(a);
    }
    ensure_core_application();
    const auto target = parse_api_target(rest, "health", 10);
    if (!target) return kExitUsage;
    service::ControlApiClient client(target->url, target->token);
    const service::ApiCallResult r = wait_for(client.get(QStringLiteral("/health"), target->timeout_ms));
    if (!r.ok()) {
        std::cerr << "samlabel-cli health: " << r.describe(target->url).toStdString() << "\n";
        return kExitFailure;
    }
    if (as_json) {
        std::cout << QJsonDocument(r.json).toJson(QJsonDocument::Indented).toStdString();
        return kExitOk;
    }
    const service::BackendStatus s = service::wire::status_from_json(r.json);
    std::printf("%s: model %s (state %s)\n", target->url.toString().toUtf8().constData(),
                s.model_loaded ? "loaded" : "not loaded", s.state.toUtf8().constData());
    if (s.model_loaded) {
        std::printf("  %s on %s, %s", s.model_path.toUtf8().constData(), s.device.toUtf8().constData(), s.dtype.toUtf8().constData());
        if (!s.parts.isEmpty()) std::printf(", parts %s", s.parts.toUtf8().constData());  // older servers do not say
        std::printf("\n");
    }
    std::printf("  RAM (RSS) %.0f MB", s.ram_rss_mb);
    if (s.vram_total_mb > 0) std::printf(", VRAM %.0f / %.0f MB", s.vram_used_mb, s.vram_total_mb);
    std::printf("\n");
    return kExitOk;
}

}  // namespace samlabel::cli
