// samlabel-cli load DIR [--device auto|cpu|cuda[:N]] [--dtype auto|fp32|bf16|fp16]
//                       [--parts click|detect|click+detect] [--ram-budget GB] [--vram-budget GB]
//                       [--encode WxH]
// The whole model lifecycle once, measured: preflight, streaming load (time,
// peak RSS), optionally one encode of a synthetic image, then Unload and what
// it gave back. Exit 3 when the preflight refuses.
#include "app/cli/cli_command.h"
#include "app/cli/cli_options.h"
#include "core/engine/model_session.h"
#include "core/engine/sam3_parts.h"
#include "core/engine/utf8_path.h"

#include <cstdio>
#include <iostream>
#include <string>

namespace samlabel::cli {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

void usage() {
    std::cerr << "usage: samlabel-cli load DIR [--device auto|cpu|cuda[:N]] [--dtype auto|fp32|bf16|fp16]\n"
                 "                        [--parts click|detect|click+detect] [--ram-budget GB] [--vram-budget GB] [--encode WxH] [--no-weights-cache]\n"
                 "  Preflight, load, (encode,) unload; prints load time, peak RSS and what the unload freed.\n"
                 "  --ram-budget GB   keep at least this much RAM free (default 2)\n"
                 "  --vram-budget GB  use at most this much VRAM (default: no limit)\n"
                 "  --encode WxH      also encode one synthetic image of that size (e.g. 1024x768)\n"
                 "  --no-weights-cache  convert on every load instead of keeping converted weights in\n"
                 "                    the user's cache (~/.cache/samlabel/converted-weights)\n";
}

std::string mib(std::uint64_t bytes) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / kMiB);
    return buf;
}

}  // namespace

int cmd_load(const Args& args) {
    engine::LoadRequest request;
    engine::BudgetSettings budget;
    budget.keep_free_ram_bytes = std::uint64_t(2 * kGiB);
    int encode_w = 0, encode_h = 0;
    bool use_weights_cache = true;
    std::string dir;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](const char* name) -> std::optional<std::string> {
            if (i + 1 >= args.size()) {
                std::cerr << "samlabel-cli load: " << name << " needs a value\n";
                return std::nullopt;
            }
            return args[++i];
        };
        if (a == "--help" || a == "-h") {
            usage();
            return kExitOk;
        } else if (a == "--device") {
            const auto v = value("--device");
            const auto d = v ? parse_device(*v) : std::nullopt;
            if (!d) return usage(), kExitUsage;
            request.device = *d;
        } else if (a == "--dtype") {
            const auto v = value("--dtype");
            const auto d = v ? parse_dtype(*v) : std::nullopt;
            if (!d) return usage(), kExitUsage;
            request.dtype = *d;
        } else if (a == "--parts") {
            const auto v = value("--parts");
            const auto parts = v ? engine::parse_part_set(*v) : std::nullopt;
            if (!parts) return usage(), kExitUsage;
            request.parts = *parts;
        } else if (a == "--ram-budget" || a == "--vram-budget") {
            const auto v = value(a.c_str());
            const auto bytes = v ? parse_gib(*v) : std::nullopt;
            if (!bytes) return usage(), kExitUsage;
            (a == "--ram-budget" ? budget.keep_free_ram_bytes : budget.max_vram_bytes) = *bytes;
        } else if (a == "--no-weights-cache") {
            use_weights_cache = false;
        } else if (a == "--encode") {
            const auto v = value("--encode");
            if (!v || std::sscanf(v->c_str(), "%dx%d", &encode_w, &encode_h) != 2 || encode_w <= 0 || encode_h <= 0)
                return usage(), kExitUsage;
        } else if (!a.empty() && a[0] == '-') {
            std::cerr << "samlabel-cli load: unknown option " << a << "\n";
            return usage(), kExitUsage;
        } else if (dir.empty()) {
            dir = a;
        } else {
            return usage(), kExitUsage;
        }
    }
    if (dir.empty()) return usage(), kExitUsage;
    request.checkpoint_dir = engine::path_from_utf8(dir);

    engine::ModelSession session;
    if (use_weights_cache) session.converted_weights().set_settings({engine::default_converted_weights_dir(), 8ull << 30});
    double last_fraction = -1;
    const engine::LoadOutcome load = session.load(
        request,
        [&](const engine::LoadProgress& p) {
            const double f = p.bytes_total ? double(p.bytes_done) / double(p.bytes_total) : 1.0;
            if (f - last_fraction >= 0.1 || p.bytes_done == p.bytes_total) {
                last_fraction = f;
                std::cerr << "\rloading " << int(f * 100) << "%" << std::flush;
            }
            return true;
        },
        budget);
    if (last_fraction >= 0) std::cerr << "\n";
    if (load.verdict && load.verdict->fits) std::cout << "preflight: " << load.verdict->message << "\n";
    switch (load.status) {
    case engine::LoadStatus::Refused:
        std::cerr << "samlabel-cli load: refused by the memory preflight: " << load.message << "\n";
        return kExitRefused;
    case engine::LoadStatus::Failed:
    case engine::LoadStatus::Cancelled:
        std::cerr << "samlabel-cli load: " << load.message << "\n";
        return kExitFailure;
    case engine::LoadStatus::Loaded: break;
    }
    std::printf("loaded: %s %s, %s of weights in %.0f ms (%s of them the mapped files' own pages)\n", load.device_name.c_str(),
                load.dtype_name.c_str(), mib(load.parameter_bytes).c_str(), load.duration_ms,
                mib(load.mapped_parameter_bytes).c_str());
    for (const std::string& note : load.notes) std::printf("note: %s\n", note.c_str());
    std::printf("RSS: %s before, %s after, peak %s (peak - before = %s)\n", mib(load.rss_before_bytes).c_str(),
                mib(load.rss_after_bytes).c_str(), mib(load.peak_rss_bytes).c_str(),
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
