// samlabel-cli unload [--url URL] [--token T] [--timeout S]
// Makes a running samlabel give its model's memory back before a training
// run takes the GPU. Returns once the memory is really free (the server
// answers after the unload finished and was measured).
#include "app/cli/cli_command.h"
#include "app/cli/control_api_call.h"
#include "core/service/control_api_wire.h"

#include <cstdio>
#include <iostream>

namespace samlabel::cli {

int cmd_unload(const Args& args) {
    for (const std::string& a : args)
        if (a == "--help" || a == "-h") {
            std::cout << "usage: samlabel-cli unload [--url URL] [--token TOKEN] [--timeout SECONDS]\n"
                         "  Unloads the model of a running samlabel (or samlabel-cli serve) and prints the\n"
                         "  memory it gave back. Waits for a running encode first (default limit 300 s).\n"
                         "  URL/TOKEN default as for `samlabel-cli health`. Exit 0 once the memory is free,\n"
                         "  1 when the server could not be reached or the unload failed.\n"
                         "  In front of a training script:  samlabel-cli unload || true\n";
            return kExitOk;
        }
    ensure_core_application();
    const auto target = parse_api_target(args, "unload", 300);
    if (!target) return kExitUsage;
    service::ControlApiClient client(target->url, target->token);
    const service::ApiCallResult r = wait_for(client.post(QStringLiteral("/api/v1/unload"), QJsonObject{}, target->timeout_ms));
    if (!r.ok()) {
        std::cerr << "samlabel-cli unload: " << r.describe(target->url).toStdString() << "\n";
        return kExitFailure;
    }
    const service::UnloadReply u = service::wire::unload_reply_from_json(r.json);
    if (!u.was_loaded) {
        std::printf("no model was loaded at %s; nothing to free\n", target->url.toString().toUtf8().constData());
        return kExitOk;
    }
    if (!u.vram_measured)
        std::printf("unloaded in %.0f ms: freed %.0f MB of RAM; this process's VRAM cannot be measured here, so it is not known "
                    "whether the GPU memory came back\n",
                    u.duration_ms, u.freed_ram_mb);
    else if (u.freed_vram_mb > 0 || u.vram_after_mb > 0)
        std::printf("unloaded in %.0f ms: freed %.0f MB of VRAM (%.0f MB left to the process: the CUDA context) and %.0f MB of RAM\n",
                    u.duration_ms, u.freed_vram_mb, u.vram_after_mb, u.freed_ram_mb);
    else
        std::printf("unloaded in %.0f ms: freed %.0f MB of RAM (no GPU memory was in use)\n", u.duration_ms, u.freed_ram_mb);
    return kExitOk;
}

}  // namespace samlabel::cli
