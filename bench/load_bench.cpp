// samlabel-bench-load DIR [--device cpu|cuda[:N]] [--dtype fp32|bf16|fp16] [--encode WxH]
// One model lifecycle through ModelSession, measured, printed as ONE JSON line
// (bench/load_vs_transformers.py reads it): load time, RSS before / after /
// peak (the kernel's high-water mark, reset just before the load), one encode
// (time, its measured RSS peak above the pre-encode RSS, and the preflight's
// activation estimate for it), then Unload and what it gave back.
#include "core/engine/device_dtype_names.h"
#include "core/engine/memory_probe.h"
#include "core/engine/model_session.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>

using namespace samlabel::engine;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: samlabel-bench-load DIR [--device cpu|cuda[:N]] [--dtype fp32|bf16|fp16] [--encode WxH]\n";
        return 2;
    }
    LoadRequest request;
    request.checkpoint_dir = argv[1];
    request.device = DeviceSpec{DeviceKind::Cpu, 0};
    request.dtype = WeightDType::F32;
    int w = 0, h = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--dtype") {
            const auto dtype = parse_dtype(v);
            if (!dtype) { std::cerr << "bad --dtype " << v << "\n"; return 2; }
            request.dtype = *dtype;
        } else if (a == "--device") {
            const auto device = parse_device(v);
            if (!device) { std::cerr << "bad --device " << v << "\n"; return 2; }
            request.device = *device;
        } else if (a == "--encode") {
            if (std::sscanf(v.c_str(), "%dx%d", &w, &h) != 2) return 2;
        } else {
            std::cerr << "unknown option " << a << "\n";
            return 2;
        }
    }
    ModelSession session;
    const LoadOutcome load = session.load(request, {}, BudgetSettings{});
    nlohmann::json out;
    out["status"] = load_status_name(load.status);
    out["message"] = load.message;
    if (!load.ok()) {
        std::cout << out.dump() << "\n";
        return 1;
    }
    out["device"] = load.device_name;
    out["dtype"] = load.dtype_name;
    out["parameter_bytes"] = load.parameter_bytes;
    out["load_s"] = load.duration_ms / 1000.0;
    out["rss_before_bytes"] = load.rss_before_bytes;
    out["rss_after_load_bytes"] = load.rss_after_bytes;
    out["peak_rss_load_bytes"] = load.peak_rss_bytes;
    if (load.estimate) {
        out["estimate_weight_bytes"] = load.estimate->weight_bytes;
        out["estimate_activation_bytes"] = load.estimate->activation_bytes;
        out["estimate_ram_bytes"] = load.estimate->ram_bytes();
    }
    if (w > 0 && h > 0) {
        ImageRgb8 image{w, h, std::vector<std::uint8_t>(std::size_t(w) * h * 3)};
        for (std::size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = std::uint8_t((i * 2654435761u) >> 24);
        // Two encodes of two images: the first also pays libtorch's one-time
        // costs (thread pools, kernel workspaces); the second is the steady
        // state the activation formula describes.
        for (int round = 0; round < 2; ++round) {
            if (round == 1)
                for (auto& p : image.pixels) p = std::uint8_t(255 - p);  // another image: no cache hit
            const std::uint64_t before = session.probe().system().process_rss_bytes;
            reset_peak_rss();
            const EncodeOutcome e = session.encode(image);
            const SystemMemory after = session.probe().system();
            const std::string suffix = round == 0 ? "" : "_warm";
            out["encode_status" + suffix] = encode_status_name(e.status);
            out["encode_ms" + suffix] = e.duration_ms;
            out["rss_before_encode_bytes" + suffix] = before;
            out["peak_rss_encode_bytes" + suffix] = after.process_peak_rss_bytes;
            // What the encode needed on top of what was resident before it.
            out["encode_peak_above_bytes" + suffix] =
                after.process_peak_rss_bytes > before ? after.process_peak_rss_bytes - before : 0;
        }
        out["embedding_bytes"] = session.cache().stats().memory_bytes / std::max<std::size_t>(1, session.cache().stats().memory_entries);
    }
    const UnloadReport u = session.unload();
    out["unload_freed_ram_bytes"] = u.freed_ram_bytes;
    out["unload_freed_vram_bytes"] = u.freed_vram_bytes;
    out["rss_after_unload_bytes"] = u.rss_after_bytes;
    out["vram_before_unload_bytes"] = u.vram_before_bytes;
    out["vram_after_unload_bytes"] = u.vram_after_bytes;
    std::cout << out.dump() << "\n";
    return 0;
}
