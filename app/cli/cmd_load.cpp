// samlabel-cli load DIR [--device auto|cpu|cuda[:N]] [--dtype auto|fp32|bf16|fp16]
//                       [--parts click|detect|click+detect] [--ram-budget GiB] [--vram-budget GiB]
//                       [--encode WxH]
// The whole model lifecycle once, measured: preflight, streaming load (time,
// peak RSS), optionally one encode of a synthetic image, then Unload and what
// it gave back. Exit 3 when the preflight refuses.
#include "app/cli/cli_command.h"
#include "app/cli/model_options.h"
#include "core/engine/model_session.h"
#include "core/engine/peak_sampler.h"
#include "core/engine/sam3_parts.h"
#include "core/engine/utf8_path.h"

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

namespace samlabel::cli {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

void usage(std::ostream& out) {
    out << "usage: samlabel-cli load DIR [--device auto|cpu|cuda[:N]] [--dtype auto|fp32|bf16|fp16]\n"
           "                        [--parts click|detect|click+detect] [--ram-budget GiB] [--vram-budget GiB] [--encode WxH] [--no-weights-cache]\n"
           "  Preflight, load, (encode,) unload; prints load time, peak RSS and what the unload freed.\n"
        << kModelOptionsUsage
        << "  (load keeps 2 GiB of RAM free unless --ram-budget says otherwise)\n"
           "  --encode WxH      also encode one synthetic image of that size (e.g. 1024x768)\n"
           "  --no-weights-cache  convert on every load instead of keeping converted weights in\n"
           "                    the user's cache (~/.cache/samlabel/converted-weights)\n"
           "exit codes: 0 done, 1 failed, 2 bad arguments, 3 refused by the memory preflight\n";
}

std::string mib(std::uint64_t bytes) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / kMiB);
    return buf;
}

}  // namespace

int cmd_load(const Args& args) {
    ModelOptions model;
    model.budget.keep_free_ram_bytes = std::uint64_t(2 * kGiB);
    int encode_w = 0, encode_h = 0;
    bool use_weights_cache = true;
    std::string dir;
    try {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            auto next = [&]() -> const std::string& {
                if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
                return args[++i];
            };
            if (a == "--help" || a == "-h") {
                usage(std::cout);
                return kExitOk;
            } else if (take_model_option(a, next, model)) {
                continue;
            } else if (a == "--no-weights-cache") {
                use_weights_cache = false;
            } else if (a == "--encode") {
                const std::string& size = next();
                if (std::sscanf(size.c_str(), "%dx%d", &encode_w, &encode_h) != 2 || encode_w <= 0 || encode_h <= 0)
                    throw std::invalid_argument("--encode wants WxH (e.g. 1024x768), got '" + size + "'");
            } else if (!a.empty() && a[0] == '-') {
                throw std::invalid_argument("unknown option " + a);
            } else if (dir.empty()) {
                dir = a;
            } else {
                throw std::invalid_argument("more than one DIR given");
            }
        }
        if (dir.empty()) throw std::invalid_argument("no DIR given");
    } catch (const std::invalid_argument& e) {
        usage(std::cerr << "samlabel-cli load: " << e.what() << "\n");
        return kExitUsage;
    }
    model.request.checkpoint_dir = engine::path_from_utf8(dir);

    engine::ModelSession session;
    if (use_weights_cache) use_converted_weights_cache(session);
    double last_fraction = -1;
    const engine::LoadOutcome load = session.load(
        model.request,
        [&](const engine::LoadProgress& p) {
            const double f = p.bytes_total ? double(p.bytes_done) / double(p.bytes_total) : 1.0;
            if (f - last_fraction >= 0.1 || p.bytes_done == p.bytes_total) {
                last_fraction = f;
                std::cerr << "\rloading " << int(f * 100) << "%" << std::flush;
            }
            return true;
        },
        model.budget);
    if (last_fraction >= 0) std::cerr << "\n";
    if (load.verdict && load.verdict->fits) std::cout << "preflight: " << load.verdict->message << "\n";
    if (const int refused_or_failed = report_load_outcome("load", load)) return refused_or_failed;
    std::printf("loaded: %s %s, %s of weights in %.0f ms (%s of them the mapped files' own pages)\n", load.device_name.c_str(),
                load.dtype_name.c_str(), mib(load.parameter_bytes).c_str(), load.duration_ms,
                mib(load.mapped_parameter_bytes).c_str());
    for (const std::string& note : load.notes) std::printf("note: %s\n", note.c_str());
    // Where the OS cannot reset its peak counter (Windows) the peak was sampled
    // during the load (private bytes or RSS, whichever is larger).
    std::printf("RSS: %s before, %s after, peak %s%s (peak - before = %s)\n", mib(load.rss_before_bytes).c_str(),
                mib(load.rss_after_bytes).c_str(), mib(load.peak_rss_bytes).c_str(),
                load.peak_rss_sampled
                    ? (" sampled every " + std::to_string(engine::kLoadPeakSampleInterval.count()) + " ms").c_str()
                    : "",
                mib(load.peak_rss_bytes > load.rss_before_bytes ? load.peak_rss_bytes - load.rss_before_bytes : 0).c_str());
    if (encode_w > 0) {
        engine::ImageRgb8 image{encode_w, encode_h, std::vector<std::uint8_t>(std::size_t(encode_w) * encode_h * 3)};
        for (std::size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = std::uint8_t((i * 2654435761u) >> 24);
        const engine::EncodeOutcome e = session.encode(image);
        if (!e.ok()) {
            std::cerr << "samlabel-cli load: encode " << engine::encode_status_name(e.status) << ": " << e.message << "\n";
        } else {
            const engine::SystemMemory now = session.probe().system();
            std::printf("encode %dx%d: %.0f ms, RSS now %s", encode_w, encode_h, e.duration_ms, mib(now.process_rss_bytes).c_str());
            if (now.process_rss_file_bytes && now.process_rss_anon_bytes)
                std::printf(" (file-backed %s, the OS can drop and re-read them; anonymous %s)",
                            mib(*now.process_rss_file_bytes).c_str(), mib(*now.process_rss_anon_bytes).c_str());
            std::printf("\n");
        }
    }
    const engine::UnloadReport u = session.unload();
    std::printf("unload: freed %s of RAM (RSS %s -> %s)", mib(u.freed_ram_bytes).c_str(), mib(u.rss_before_bytes).c_str(),
                mib(u.rss_after_bytes).c_str());
    if (u.device_name.rfind("cuda", 0) == 0 && !u.vram_measured)
        std::printf(", VRAM not measurable here (this process's share is unknown)");
    else if (u.device_name.rfind("cuda", 0) == 0)
        std::printf(", %s of VRAM (this process: %s -> %s)", mib(u.freed_vram_bytes).c_str(), mib(u.vram_before_bytes).c_str(),
                    mib(u.vram_after_bytes).c_str());
    std::printf(", %zu embeddings dropped, %.0f ms\n", u.embeddings_dropped, u.duration_ms);
    return kExitOk;
}

}  // namespace samlabel::cli
