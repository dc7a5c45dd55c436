// samlabel-bench-sam3 CHECKPOINT_DIR IMAGE.ppm [--device cpu|cuda[:N]] [--dtype fp32|bf16|fp16] [--threads N] [--clicks N]
//                     [--profile-clicks N] [--profile-refine N] [--profile-encodes N] [--clicks-during-encode N]
// --clicks-during-encode N: N clicks on the encoded image, each asked at a
// random moment of another encode and answered at the encode's next step (as
// the app's model thread answers a click during encode-ahead); prints
// "during_encode_wait_p50_ms"/"_p95_ms": the time from the ask to the answer
// beyond the click's own decode.
// Loads SAM3's click-to-segment parts, encodes one image, runs N single-point
// clicks at seeded random positions, and prints one JSON line:
// {"load_s", "encode_ms", "click_p50_ms", "click_p95_ms", "refine_click_p50_ms",
// "refine_click_p95_ms", "peak_rss_mb"} (refine: N more clicks that feed the
// previous low-res mask back, single-mask, as the SAM tool does after a first click).
// bench/sam3_vs_transformers.py runs it next to transformers.
// --profile-clicks N / --profile-refine N / --profile-encodes N: N extra clicks /
// refinement clicks / encodes under the
// profiler; prints (stderr) the time per run of every op, nested under the
// predictor's stages, with input shapes.
#include "core/engine/checkpoint.h"
#include "core/engine/device_dtype_names.h"
#include "core/engine/sam3_predictor.h"
#include "bench/bench_support.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <chrono>
#include <map>
#include <sstream>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <sys/resource.h>

using namespace samlabel::engine;
using samlabel::bench::percentile;

namespace {

// The driver writes the image as a binary PPM with PIL.
ImageRgb8 read_ppm(const std::string& path) {
    ImageRgb8 image;
    image.pixels = samlabel::bench::read_pnm(path, "P6", image.width, image.height);
    return image;
}

std::string shapes_text(const std::vector<std::vector<int64_t>>& shapes) {
    std::ostringstream out;
    for (const auto& s : shapes) {
        if (s.empty()) continue;
        out << '[';
        for (std::size_t i = 0; i < s.size(); ++i) out << (i ? "," : "") << s[i];
        out << ']';
    }
    return out.str();
}

// Inclusive time per click of each (depth, parent, op, input shapes), from the
// legacy profiler's push/pop ranges on the calling thread.
void print_profile(const torch::autograd::profiler::thread_event_lists& lists, int clicks) {
    using torch::autograd::profiler::EventKind;
    using torch::autograd::profiler::LegacyEvent;
    struct Row { double us = 0; int calls = 0; };
    std::map<std::string, Row> rows;
    for (const auto& list : lists) {
        std::vector<std::pair<const LegacyEvent*, std::string>> stack;  // push event, path
        for (const LegacyEvent& e : list) {
            if (e.kind() == EventKind::PushRange) {
                const std::string parent = stack.empty() ? "" : stack.back().second;
                std::string path = parent.empty() ? std::string(e.name()) : parent + " > " + e.name();
                stack.emplace_back(&e, path);
            } else if (e.kind() == EventKind::PopRange && !stack.empty()) {
                const auto [push, path] = stack.back();
                stack.pop_back();
                if (stack.size() > 3) continue;  // deep internals: covered by their parents
                Row& row = rows[path + "  " + shapes_text(push->shapes())];
                row.us += push->cpuElapsedUs(e);
                row.calls += 1;
            }
        }
    }
    // Live CPU tensor bytes (allocations minus frees, as the allocator saw
    // them), its peak over the profiled runs and the op path at that peak.
    std::int64_t live = 0, peak = 0;
    std::string peak_path;
    for (const auto& list : lists) {
        std::vector<std::string> names;
        for (const LegacyEvent& e : list) {
            if (e.kind() == EventKind::PushRange) names.emplace_back(e.name());
            else if (e.kind() == EventKind::PopRange && !names.empty()) names.pop_back();
            else if (e.kind() == EventKind::MemoryAlloc) {
                live += e.cpuMemoryUsage();
                if (live > peak) {
                    peak = live;
                    peak_path.clear();
                    for (const auto& n : names) peak_path += (peak_path.empty() ? "" : " > ") + n;
                }
            }
        }
    }
    if (peak > 0)
        std::fprintf(stderr, "peak live tensor bytes above the start: %.1f MiB, at %s\n", peak / 1048576.0, peak_path.c_str());
    std::vector<std::pair<std::string, Row>> sorted(rows.begin(), rows.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::fprintf(stderr, "%10s %7s  op (ms per click, inclusive; > nests)\n", "ms", "calls");
    for (const auto& [key, row] : sorted)
        if (row.us / clicks >= 50.0)
            std::fprintf(stderr, "%10.2f %7.1f  %s\n", row.us / clicks / 1000.0, static_cast<double>(row.calls) / clicks,
                         key.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: samlabel-bench-sam3 CHECKPOINT_DIR IMAGE.ppm [--device cpu|cuda[:N]] [--dtype fp32|bf16|fp16] [--threads N] [--clicks N] [--profile-clicks N] [--profile-refine N] [--profile-encodes N]\n";
        return 2;
    }
    std::string dtype = "bf16", device = "cpu";
    int threads = 2, clicks = 100, profile_clicks = 0, profile_refine = 0, profile_encodes = 0, clicks_during_encode = 0;
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--dtype") dtype = argv[i + 1];
        else if (flag == "--device") device = argv[i + 1];
        else if (flag == "--threads") threads = std::stoi(argv[i + 1]);
        else if (flag == "--clicks") clicks = std::stoi(argv[i + 1]);
        else if (flag == "--profile-clicks") profile_clicks = std::stoi(argv[i + 1]);
        else if (flag == "--profile-encodes") profile_encodes = std::stoi(argv[i + 1]);
        else if (flag == "--profile-refine") profile_refine = std::stoi(argv[i + 1]);
        else if (flag == "--clicks-during-encode") clicks_during_encode = std::stoi(argv[i + 1]);
        else { std::cerr << "unknown option " << flag << "\n"; return 2; }
    }
    try {
        at::set_num_threads(threads);
        using clock = std::chrono::steady_clock;
        const ImageRgb8 image = read_ppm(argv[2]);
        auto t0 = clock::now();
        const auto checkpoint = Checkpoint::open(argv[1]);
        PredictorOptions options;
        const auto parsed_device = parse_device(device);
        const auto parsed_dtype = parse_dtype(dtype);
        if (!parsed_device || !parsed_dtype) throw std::invalid_argument("bad --device " + device + " or --dtype " + dtype);
        options.device = *parsed_device;
        options.dtype = *parsed_dtype;
        const auto predictor = Sam3Predictor::load(*checkpoint, options);
        const double load_s = std::chrono::duration<double>(clock::now() - t0).count();

        t0 = clock::now();
        auto embedding = predictor->encode(image);  // waits for the GPU (Sam3Predictor::encode synchronizes)
        double encode_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
        double first_encode_ms = encode_ms;
        if (options.device.kind == DeviceKind::Cuda) {
            // The first CUDA encode also pays cuBLAS/cuDNN start-up; report the second as the encode time.
            t0 = clock::now();
            embedding = predictor->encode(image);
            encode_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
        }

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
        // Refinement clicks as the SAM tool sends them after the first: one more
        // point, single-mask output, the previous low-res mask fed back.
        ClickPrompt first;
        first.points.push_back({ux(rng), uy(rng), PointLabel::Positive});
        SegmentResult previous = predictor->segment(*embedding, first);
        auto refine = [&] {
            ClickPrompt prompt = first;
            prompt.points.push_back({ux(rng), uy(rng), PointLabel::Negative});
            prompt.multimask = false;
            prompt.previous_mask = previous.candidates.front().low_res;
            previous = predictor->segment(*embedding, prompt);
        };
        std::vector<double> refine_times;
        for (int i = 0; i < clicks; ++i) {
            t0 = clock::now();
            refine();
            refine_times.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
        }
        if (profile_refine > 0) {
            torch::autograd::profiler::TLSLegacyProfilerGuard guard(
                torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU, /*report_input_shapes=*/true),
                [profile_refine](const torch::autograd::profiler::thread_event_lists& lists) { print_profile(lists, profile_refine); });
            for (int i = 0; i < profile_refine; ++i) refine();
        }
        if (profile_clicks > 0) {
            torch::autograd::profiler::TLSLegacyProfilerGuard guard(
                torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU, /*report_input_shapes=*/true),
                [profile_clicks](const torch::autograd::profiler::thread_event_lists& lists) { print_profile(lists, profile_clicks); });
            for (int i = 0; i < profile_clicks; ++i) {
                ClickPrompt prompt;
                prompt.points.push_back({ux(rng), uy(rng), PointLabel::Positive});
                predictor->segment(*embedding, prompt);
            }
        }
        if (profile_encodes > 0) {
            torch::autograd::profiler::TLSLegacyProfilerGuard guard(
                torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU, /*report_input_shapes=*/true,
                                                      /*profile_memory=*/true),
                [profile_encodes](const torch::autograd::profiler::thread_event_lists& lists) { print_profile(lists, profile_encodes); });
            for (int i = 0; i < profile_encodes; ++i) predictor->encode(image);
        }
        std::vector<double> waits;
        double paused_encode_ms = 0;
        int paused_encode_points = 0;
        if (clicks_during_encode > 0) {
            // Another image (mirrored), so its encode is not the cached one.
            ImageRgb8 other = image;
            for (int y = 0; y < other.height; ++y)
                for (int x = 0; x < other.width; ++x)
                    for (int c = 0; c < 3; ++c)
                        other.pixels[(std::size_t(y) * other.width + x) * 3 + c] =
                            image.pixels[(std::size_t(y) * image.width + (image.width - 1 - x)) * 3 + c];
            // The same encode with its pause points and nobody asking: what
            // the pieces cost against the whole-layer encode_ms.
            int pause_points = 0;
            const auto paused_start = clock::now();
            predictor->encode(other, [&](int, int) { ++pause_points; });
            paused_encode_ms = std::chrono::duration<double, std::milli>(clock::now() - paused_start).count();
            paused_encode_points = pause_points;
            std::atomic<bool> asked{false};
            std::atomic<clock::time_point::rep> asked_at{0};
            int answered = 0, attempt = 0;
            // Asks fall in the first 90% of an encode as long as the last one
            // took (a quieter machine encodes faster than the first measure;
            // an ask after the encode's end is not answered and drawn again).
            double window_ms = 0.9 * paused_encode_ms;
            while (answered < clicks_during_encode) {
                std::atomic<bool> encoding{true};
                const auto encode_start = clock::now();
                // One ask per encode, at a random moment of it.
                std::thread asker([&, seed = static_cast<unsigned>(attempt++) + 7] {
                    std::uniform_real_distribution<double> at(0.0, window_ms);
                    std::mt19937 local(seed);
                    const auto when = clock::now() + std::chrono::microseconds(static_cast<long long>(1000 * at(local)));
                    while (encoding && clock::now() < when) std::this_thread::sleep_for(std::chrono::microseconds(200));
                    if (!encoding) return;
                    asked_at = clock::now().time_since_epoch().count();
                    asked = true;
                });
                predictor->encode(other, [&](int, int) {
                    if (!asked || answered >= clicks_during_encode) return;
                    ClickPrompt prompt;
                    prompt.points.push_back({ux(rng), uy(rng), PointLabel::Positive});
                    const auto decode_start = clock::now();
                    predictor->segment(*embedding, prompt);
                    const auto done = clock::now();
                    const auto start = clock::time_point(clock::duration(asked_at.load()));
                    waits.push_back(std::chrono::duration<double, std::milli>(done - start).count() -
                                    std::chrono::duration<double, std::milli>(done - decode_start).count());
                    ++answered;
                    asked = false;
                });
                encoding = false;
                asker.join();
                window_ms = 0.9 * std::chrono::duration<double, std::milli>(clock::now() - encode_start).count();
                asked = false;
            }
        }
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        if (!waits.empty())
            std::printf("{\"during_encode_clicks\": %zu, \"during_encode_wait_p50_ms\": %.1f, \"during_encode_wait_p95_ms\": %.1f, "
                        "\"during_encode_wait_max_ms\": %.1f, \"paused_encode_ms\": %.1f, \"pause_points\": %d}\n",
                        waits.size(), percentile(waits, 50), percentile(waits, 95), percentile(waits, 100), paused_encode_ms,
                        paused_encode_points);
        std::printf("{\"load_s\": %.3f, \"encode_ms\": %.1f, \"click_p50_ms\": %.2f, \"click_p95_ms\": %.2f, "
                    "\"refine_click_p50_ms\": %.2f, \"refine_click_p95_ms\": %.2f, \"peak_rss_mb\": %.1f, "
                    "\"dtype\": \"%s\", \"device\": \"%s\", \"first_encode_ms\": %.1f, \"threads\": %d}\n",
                    load_s, encode_ms, percentile(times, 50), percentile(times, 95), percentile(refine_times, 50),
                    percentile(refine_times, 95), usage.ru_maxrss / 1024.0, predictor->dtype_name().c_str(),
                    predictor->device_name().c_str(), first_encode_ms, threads);
    } catch (const std::exception& e) {
        std::cerr << "samlabel-bench-sam3: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
