// samlabel-cli serve --weights DIR [--device D] [--dtype T] [--parts P] [--port P] [--bind ADDR] [--token T] [--no-load] (--help: all options)
// The control API without a GUI, plus /api/v1/encode, /api/v1/segment and
// /api/v1/detect, so a GPU box can serve clicks and detection to annotators and
// a training orchestrator can call /api/v1/unload before it trains. Runs until
// a console stop request (Ctrl+C, SIGTERM; on Windows also Ctrl+Break or the
// console window closing), then stops cleanly with exit 0.
#include "app/cli/cli_command.h"
#include "app/cli/model_options.h"
#include "app/cli/control_api_call.h"
#include "core/engine/converted_weights_cache.h"
#include "core/engine/model_session.h"
#include "core/engine/sam3_parts.h"
#include "core/service/api_token.h"
#include "core/service/control_api_server.h"
#include "core/service/control_api_settings.h"
#include "core/service/local_model_backend.h"
#include "core/service/model_runtime.h"
#include "core/engine/utf8_path.h"
#include "core/engine/platform/console_stop.h"

#include <QCoreApplication>

#include <cstdio>
#include <iostream>
#include <optional>
#include <stdexcept>

namespace samlabel::cli {

namespace {

void print_serve_help() {
    std::cout << "usage: samlabel-cli serve --weights DIR [--device auto|cpu|cuda|cuda:N] [--dtype auto|fp32|bf16|fp16]\n"
                 "                          [--parts click|detect|click+detect] [--ram-budget GiB] [--vram-budget GiB]\n"
                 "                          [--port 8765] [--bind 127.0.0.1] [--token TOKEN] [--no-load] [--allow-load-any-weights]\n"
                 "                          [--allow-read-local-images] [--click-channel]\n"
                 "                          [--embedding-cache-mb N] [--disk-cache DIR] [--auto-unload-after-ms N]\n"
                 "                          [--encode-keep-free-ram-mb N] [--encode-max-vram-mb N] [--allow-runtime-settings]\n"
                 "                          [--converted-weights DIR|off] [--converted-weights-budget-mb N]\n"
                 "  Loads the SAM3 checkpoint in DIR (with the memory preflight) and serves the control API:\n"
                 "  GET /health, GET /api/v1/memory, POST /api/v1/unload, POST /api/v1/load,\n"
                 "  POST /api/v1/encode, POST /api/v1/segment, POST /api/v1/detect,\n"
                 "  POST /api/v1/runtime-settings (with --allow-runtime-settings; see docs/control-api.md).\n"
                 "  --parts  what to load: click (click-to-segment, /segment; the default), detect (text and\n"
                 "           exemplar-box detection, /detect; needs the tokenizer files in DIR) or click+detect;\n"
                 "           POST /api/v1/load loads the same parts again\n"
                 "  --ram-budget / --vram-budget  the memory budgets of every load (the first and POST /api/v1/load)\n"
                 "           and of each encode's re-check; a load they refuse answers 409 \"refused\"\n"
                 "  --bind   listen address; 127.0.0.1 unless you choose another (0.0.0.0: every interface)\n"
                 "  --token  bearer token clients must send; default $SAMLABEL_TOKEN, else a new random one, printed\n"
                 "  --no-load  start unloaded (POST /api/v1/load loads DIR later); --weights may then be left out\n"
                 "  --allow-load-any-weights  POST /api/v1/load and /preflight may name any \"weights\" folder on this\n"
                 "           machine (off: only DIR, 403 otherwise). For a trusted client only: the GUI's model process\n"
                 "  --allow-read-local-images  POST /api/v1/images-in-view may name image files on this machine, which\n"
                 "           the model encodes ahead (segment/detect then take those paths as image_id); off: 403.\n"
                 "           For a client on this machine only: the GUI's model process\n"
                 "  --click-channel  also answer /api/v1/segment on a local socket (a Unix socket or named pipe open to\n"
                 "           this user only, the same token), whose name is printed: the GUI's model process sends its\n"
                 "           clicks there, without HTTP's cost per click\n"
                 "  --embedding-cache-mb N  image embeddings kept in memory (default 2048)\n"
                 "  --disk-cache DIR  also keep embeddings on disk in DIR\n"
                 "  --auto-unload-after-ms N  unload by itself after N ms without model work (0: never, the default)\n"
                 "  --encode-keep-free-ram-mb N, --encode-max-vram-mb N  the budget each image encode re-checks\n"
                 "  --allow-runtime-settings  POST /api/v1/runtime-settings may change the five settings above and the\n"
                 "           converted-weights cache while serving (off: 403). A client then chooses folders this machine\n"
                 "           writes in: for a trusted client only (the GUI's model process)\n"
                 "  --converted-weights DIR|off  where CPU bf16/fp16 loads keep the weights they converted (default: the\n"
                 "           user's cache folder, converted-weights); off: convert at every load\n"
                 "  --converted-weights-budget-mb N  the converted-weights cache's size, oldest entries go first (default 8192)\n"
                 "  Exit 3 when the preflight refuses the load, 1 on other failures. Stops cleanly (exit 0) on Ctrl+C or SIGTERM\n"
                 "  (Windows: Ctrl+C, Ctrl+Break or closing the console window).\n";
}

}  // namespace

int cmd_serve(const Args& args) {
    ModelOptions model;
    engine::LoadRequest& request = model.request;
    std::optional<std::string> weights, token_arg;
    std::string bind = "127.0.0.1";
    int port = service::kDefaultControlApiPort;
    bool load_now = true;
    bool allow_load_any_weights = false;
    bool allow_runtime_settings = false;
    engine::ConvertedWeightsSettings converted_weights{engine::default_converted_weights_dir(), 8ull << 30};
    bool allow_read_local_images = false;
    bool click_channel = false;
    std::optional<service::RuntimeSettings> runtime;
    bool encode_budget_given = false;  // --encode-*: else the encodes re-check --ram-budget/--vram-budget
    // A non-negative whole number option value.
    auto count = [](const std::string& option, const std::string& text) -> qint64 {
        try {
            std::size_t used = 0;
            const long long v = std::stoll(text, &used);
            if (used == text.size() && v >= 0) return qint64(v);
        } catch (const std::exception&) {
        }
        throw std::invalid_argument(option + " wants a whole number >= 0, not '" + text + "'");
    };
    try {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            auto next = [&]() -> const std::string& {
                if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
                return args[++i];
            };
            if (a == "--help" || a == "-h") {
                print_serve_help();
                return kExitOk;
            } else if (a == "--weights") {
                weights = next();
            } else if (take_model_option(a, next, model)) {
                continue;
            } else if (a == "--port") {
                const std::string& v = next();
                try {
                    std::size_t used = 0;
                    port = std::stoi(v, &used);
                    if (used != v.size()) port = -1;
                } catch (const std::exception&) {
                    port = -1;
                }
                if (port < 0 || port > 65535) throw std::invalid_argument("--port wants 0..65535 (0: any free port), not '" + v + "'");
            } else if (a == "--bind") {
                bind = next();
            } else if (a == "--token") {
                token_arg = next();
            } else if (a == "--no-load") {
                load_now = false;
            } else if (a == "--allow-load-any-weights") {
                allow_load_any_weights = true;
            } else if (a == "--allow-runtime-settings") {
                allow_runtime_settings = true;
            } else if (a == "--converted-weights") {
                const std::string& dir = next();
                if (dir.empty()) throw std::invalid_argument("--converted-weights wants a folder or 'off'");
                std::error_code ec;
                const std::filesystem::path given = engine::path_from_utf8(dir);
                const std::filesystem::path absolute = std::filesystem::absolute(given, ec);
                converted_weights.dir = dir == "off" ? std::filesystem::path() : ec ? given : absolute;
            } else if (a == "--converted-weights-budget-mb") {
                converted_weights.budget_bytes = std::uint64_t(count(a, next())) << 20;
            } else if (a == "--allow-read-local-images") {
                allow_read_local_images = true;
            } else if (a == "--click-channel") {
                click_channel = true;
            } else if (a == "--embedding-cache-mb" || a == "--auto-unload-after-ms" || a == "--encode-keep-free-ram-mb" ||
                       a == "--encode-max-vram-mb") {
                const qint64 n = count(a, next());
                if (!runtime) runtime.emplace();
                encode_budget_given = encode_budget_given || a.rfind("--encode-", 0) == 0;
                if (a == "--embedding-cache-mb") runtime->embedding_cache_bytes = std::uint64_t(n) << 20;
                else if (a == "--auto-unload-after-ms") runtime->auto_unload_after_ms = n;
                else if (a == "--encode-keep-free-ram-mb") runtime->encode_budget.keep_free_ram_bytes = std::uint64_t(n) << 20;
                else runtime->encode_budget.max_vram_bytes = std::uint64_t(n) << 20;
            } else if (a == "--disk-cache") {
                if (!runtime) runtime.emplace();
                runtime->disk_cache_dir = QString::fromStdString(next());
            } else {
                throw std::invalid_argument("unknown argument '" + a + "' (see --help)");
            }
        }
    } catch (const std::invalid_argument& e) {
        std::cerr << "samlabel-cli serve: " << e.what() << "\n";
        return kExitUsage;
    }
    if (!weights && load_now) {
        std::cerr << "samlabel-cli serve: --weights DIR is required (a SAM3 checkpoint folder; only --no-load may leave it out)\n";
        return kExitUsage;
    }
    if (weights) {
        std::error_code ec;
        request.checkpoint_dir = std::filesystem::absolute(engine::path_from_utf8(*weights), ec);
        if (ec) request.checkpoint_dir = engine::path_from_utf8(*weights);
        if (!std::filesystem::is_directory(request.checkpoint_dir)) {
            std::cerr << "samlabel-cli serve: " << *weights << ": not a folder\n";
            return kExitUsage;
        }
    }

    ensure_core_application();
    // Ctrl+C / SIGTERM arrive on another thread: hand them to the event loop,
    // which then stops the server and the model in order. Installed for the
    // whole command, so a second request during that teardown changes nothing.
    const engine::ConsoleStopHandler stop_requests([](engine::ConsoleStop stop) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [stop] {
                std::printf("samlabel-cli serve: stopping (%s)\n", engine::console_stop_name(stop));
                std::fflush(stdout);
                QCoreApplication::quit();
            },
            Qt::QueuedConnection);
    });
    service::ControlApiOptions options;
    options.bind_address = service::parse_bind_address(QString::fromStdString(bind));
    if (options.bind_address.isNull()) {
        std::cerr << "samlabel-cli serve: --bind wants an IP address (127.0.0.1, ::1, 0.0.0.0, ...), not '" << bind << "'\n";
        return kExitUsage;
    }
    options.port = quint16(port);
    options.model_endpoints = true;
    options.allow_load_any_weights = allow_load_any_weights;
    options.allow_runtime_settings = allow_runtime_settings;
    options.allow_read_local_images = allow_read_local_images;
    options.click_channel = click_channel;
    options.budget_floor = model.budget;  // a client's load may not loosen the operator's budgets
    bool token_generated = false;
    if (token_arg) options.token = QString::fromStdString(*token_arg);
    else if (!qgetenv("SAMLABEL_TOKEN").isEmpty()) options.token = QString::fromUtf8(qgetenv("SAMLABEL_TOKEN")).trimmed();
    else {
        options.token = service::generate_api_token();
        token_generated = true;
    }

    // The same runtime the GUI assembles (service::ModelRuntime), without the gauge's sampler.
    service::ModelRuntimeOptions runtime_options;
    runtime_options.sample_interval_ms = 0;
    runtime_options.uploaded_images = true;
    // Local files only when allowed: a client could make it read any file.
    runtime_options.local_files_allowed = allow_read_local_images;
    runtime_options.converted_weights = converted_weights;
    service::ModelRuntime model_runtime(runtime_options);
    service::LocalModelBackend& backend = *model_runtime.backend();
    model_runtime.session()->set_budget(model.budget);  // the encodes' re-check, before any load sets it
    if (weights) backend.setLoadRequest(request, model.budget);
    if (runtime) {
        if (!encode_budget_given) runtime->encode_budget = model.budget;
        backend.applyRuntimeSettings(*runtime);
    }

    service::ControlApiServer server(&backend);
    QString error;
    if (!server.start(options, &error)) {
        std::cerr << "samlabel-cli serve: cannot listen on " << error.toStdString() << "\n";
        return kExitFailure;
    }
    const bool loopback = options.bind_address.isLoopback();
    // Before "listening on": a client that waits for that line knows both then.
    if (click_channel) std::printf("samlabel-cli serve: click channel %s\n", server.clickChannelName().toUtf8().constData());
    std::printf("samlabel-cli serve: listening on http://%s:%u%s\n", options.bind_address.toString().toUtf8().constData(),
                unsigned(server.port()), loopback ? "" : "  (not loopback: reachable from other machines)");
    if (allow_load_any_weights && !loopback)
        std::cerr << "samlabel-cli serve: warning: --allow-load-any-weights on a non-loopback address lets every client with "
                     "the token make this machine read folders of its choosing\n";
    if (allow_runtime_settings && !loopback)
        std::cerr << "samlabel-cli serve: warning: --allow-runtime-settings on a non-loopback address lets every client with "
                     "the token make this machine write in folders of its choosing\n";
    if (allow_read_local_images && !loopback)
        std::cerr << "samlabel-cli serve: warning: --allow-read-local-images on a non-loopback address lets every client with "
                     "the token make this machine read files of its choosing\n";
    if (token_generated) std::printf("token: %s\n", options.token.toUtf8().constData());
    std::fflush(stdout);

    int exit_code = kExitOk;
    if (load_now) {
        std::printf("loading %s (parts: %s) ...\n", engine::path_to_utf8(request.checkpoint_dir).c_str(),
                    std::string(engine::part_set_cli_name(request.parts)).c_str());
        std::fflush(stdout);
        backend.reload().then(&server, [&exit_code](const service::LoadReply& r) {
            if (r.ok()) {
                std::printf("loaded on %s (%s, parts: %s) in %.0f ms; ready\n", r.device.toUtf8().constData(),
                            r.dtype.toUtf8().constData(), r.parts.toUtf8().constData(), r.duration_ms);
                std::fflush(stdout);
                return;
            }
            std::cerr << "samlabel-cli serve: " << (r.error == service::BackendError::Refused ? "refused: " : "load failed: ")
                      << r.message.toStdString() << "\n";
            exit_code = r.error == service::BackendError::Refused ? kExitRefused : kExitFailure;
            QCoreApplication::exit(exit_code);
        });
    }

    const int rc = QCoreApplication::exec();
    server.stop();
    return rc != 0 ? rc : exit_code;
}

}  // namespace samlabel::cli
