// samlabel-bench-sam3 CHECKPOINT_DIR IMAGE.ppm [--dtype fp32|bf16] [--threads N] [--clicks N]
// Loads SAM3's click-to-segment parts, encodes one image, runs N single-point
// clicks at seeded random positions, and prints one JSON line:
// {"load_s", "encode_ms", "click_p50_ms", "click_p95_ms", "peak_rss_mb"}.
// bench/sam3_vs_transformers.py runs it next to transformers.
#include "core/engine/checkpoint.h"
#include "core/engine/sam3_predictor.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <sys/resource.h>

using namespace samlabel::engine;

namespace {

// Binary PPM (P6, maxval 255): the driver writes it with PIL.
ImageRgb8 read_ppm(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::string magic;
    int width = 0, height = 0, maxval = 0;
    in >> magic >> width >> height >> maxval;
    in.get();
    if (!in || magic != "P6" || maxval != 255 || width <= 0 || height <= 0)
        throw std::runtime_error(path + ": not a binary 8-bit PPM");
    ImageRgb8 image{width, height, std::vector<std::uint8_t>(static_cast<std::size_t>(width) * height * 3)};
    in.read(reinterpret_cast<char*>(image.pixels.data()), static_cast<std::streamsize>(image.pixels.size()));
    if (!in) throw std::runtime_error(path + ": truncated");
    return image;
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const double pos = p / 100.0 * (v.size() - 1);  // numpy's linear interpolation
    const auto lo = static_cast<std::size_t>(pos);
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: samlabel-bench-sam3 CHECKPOINT_DIR IMAGE.ppm [--dtype fp32|bf16] [--threads N] [--clicks N]\n";
        return 2;
    }
    std::string dtype = "bf16", profile_path;
    int threads = 2, clicks = 100;
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--dtype") dtype = argv[i + 1];
        else if (flag == "--threads") threads = std::stoi(argv[i + 1]);
        else if (flag == "--clicks") clicks = std::stoi(argv[i + 1]);
        else if (flag == "--profile-clicks") profile_path = argv[i + 1];  // chrome trace of 5 extra clicks
        else { std::cerr << "unknown option " << flag << "\n"; return 2; }
    }
    try {
        at::set_num_threads(threads);
        using clock = std::chrono::steady_clock;
        const ImageRgb8 image = read_ppm(argv[2]);
        auto t0 = clock::now();
        const auto checkpoint = Checkpoint::open(argv[1]);
        PredictorOptions options;
        options.device.kind = DeviceKind::Cpu;
        options.dtype = dtype == "fp32" ? WeightDType::F32 : WeightDType::BF16;
        const auto predictor = Sam3Predictor::load(*checkpoint, options);
        const double load_s = std::chrono::duration<double>(clock::now() - t0).count();

        t0 = clock::now();
        const auto embedding = predictor->encode(image);
        const double encode_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();

        std::mt19937 rng(1);
        std::uniform_real_distribution<float> ux(0.f, static_cast<float>(image.width)), uy(0.f, static_cast<float>(image.height));
        std::vector<double> times;
        for (int i = 0; i < clicks; ++i) {
            ClickPrompt prompt;
            prompt.points.push_back({ux(rng), uy(rng), PointLabel::Positive});
            t0 = clock::now();
            const SegmentResult result = predictor->segment(*embedding, prompt);
            times.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
            if (result.candidates.empty()) throw std::runtime_error("no mask");
        }
        if (!profile_path.empty()) {
            torch::autograd::profiler::RecordProfile guard(profile_path);
            for (int i = 0; i < 5; ++i) {
                ClickPrompt prompt;
                prompt.points.push_back({ux(rng), uy(rng), PointLabel::Positive});
                predictor->segment(*embedding, prompt);
            }
        }
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        std::printf("{\"load_s\": %.3f, \"encode_ms\": %.1f, \"click_p50_ms\": %.2f, \"click_p95_ms\": %.2f, \"peak_rss_mb\": %.1f, "
                    "\"dtype\": \"%s\", \"threads\": %d}\n",
                    load_s, encode_ms, percentile(times, 50), percentile(times, 95), usage.ru_maxrss / 1024.0,
                    predictor->dtype_name().c_str(), threads);
    } catch (const std::exception& e) {
        std::cerr << "samlabel-bench-sam3: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
