// samlabel-bench-detect CHECKPOINT_DIR IMAGE.ppm --text T [--text T]... [--device cpu|cuda[:N]] [--dtype fp32|bf16|fp16]
//                       [--threads N] [--parts detect|click+detect] [--threshold 0.3] [--repeats N] [--profile N]
// Concept detection as a user runs it: load, encode one image, then the first
// text prompt (its text encoding included), each further new text on the same
// encoded image, and the first text again (its encoding cached). Prints one
// JSON line: {"load_s", "encode_ms", "first_prompt_ms", "further_prompt_ms" (median over the
// further texts), "repeat_prompt_ms", "kept" (instances per text), "peak_rss_mb",
// "rss_after_load_mb", "rss_after_encode_mb", "stages": {...}}.
// bench/detect_vs_transformers.py runs it next to transformers' Sam3Model.
// --profile N: N more prompts with new texts under the profiler; prints
// (stderr) the time per prompt of every op, nested under the detector's stages.
#include "core/engine/memory_budget.h"
#include "core/engine/memory_probe.h"
#include "core/engine/checkpoint.h"
#include "core/engine/device_dtype_names.h"
#include "core/engine/sam3_parts.h"
#include "core/engine/sam3_predictor.h"
#include "bench/bench_support.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <sys/resource.h>

using namespace samlabel::engine;
using samlabel::bench::percentile;

namespace {

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// VmHWM: the peak since the last reset_peak_rss() (Linux resets it through clear_refs).
double hwm_mb() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

double rss_mb() {
    std::ifstream in("/proc/self/statm");
    long pages_total = 0, pages_resident = 0;
    in >> pages_total >> pages_resident;
    return static_cast<double>(pages_resident) * 4096.0 / (1024.0 * 1024.0);
}

// Per op (depth-1 under a named stage), the time per profiled prompt.
void print_profile(const torch::autograd::profiler::thread_event_lists& lists, int runs) {
    using torch::autograd::profiler::EventKind;
    std::map<std::string, std::pair<double, int>> totals;  // "stage > op" -> (us, calls)
    for (const auto& list : lists) {
        std::vector<std::pair<std::string, const torch::autograd::profiler::LegacyEvent*>> stack;
        for (const auto& e : list) {
            if (e.kind() == EventKind::PushRange) {
                stack.emplace_back(e.name(), &e);
            } else if (e.kind() == EventKind::PopRange && !stack.empty()) {
                const auto [name, start] = stack.back();
                stack.pop_back();
                std::string key = name;
                std::string stage;
                for (const auto& s : stack)
                    if (s.first.rfind("sam3.", 0) == 0) stage = s.first;
                if (name.rfind("sam3.", 0) != 0 && stack.size() > 0 && stack.back().first.rfind("sam3.", 0) != 0) continue;
                key = (stage.empty() ? "" : stage + " > ") + name;
                auto& t = totals[key];
                t.first += start->cpuElapsedUs(e);
                t.second += 1;
            }
        }
    }
    std::vector<std::pair<std::string, std::pair<double, int>>> rows(totals.begin(), totals.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
    std::fprintf(stderr, "profile, ms per prompt (%d prompts):\n", runs);
    for (const auto& [key, t] : rows)
        if (t.first / runs >= 100.0) std::fprintf(stderr, "  %9.1f  %5d  %s\n", t.first / runs / 1000.0, t.second / runs, key.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: samlabel-bench-detect CHECKPOINT_DIR IMAGE.ppm --text T [--text T]... [--device D] [--dtype T]"
                     " [--threads N] [--parts detect|click+detect] [--threshold T] [--profile N]\n";
        return 2;
    }
    PredictorOptions options;
    options.device.kind = DeviceKind::Cpu;
    options.dtype = WeightDType::BF16;
    options.parts = PartSet::DetectOnly;
    std::vector<std::string> texts;
    DetectOptions detect_options;
    int threads = 0, profile = 0;
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--text") texts.push_back(next());
        else if (a == "--device") options.device = *parse_device(next());
        else if (a == "--dtype") options.dtype = *parse_dtype(next());
        else if (a == "--threads") threads = std::stoi(next());
        else if (a == "--parts") options.parts = *parse_part_set(next());
        else if (a == "--threshold") detect_options.score_threshold = std::stof(next());
        else if (a == "--profile") profile = std::stoi(next());
        else throw std::invalid_argument("unknown option " + a);
    }
    if (texts.empty()) throw std::invalid_argument("give at least one --text");
    if (threads > 0) at::set_num_threads(threads);
    ImageRgb8 image;
    image.pixels = samlabel::bench::read_pnm(argv[2], "P6", image.width, image.height);

    const double rss_before_load = rss_mb();
    double t0 = now_ms();
    const auto checkpoint = Checkpoint::open(argv[1]);
    const auto predictor = Sam3Predictor::load(*checkpoint, options);
    const double load_s = (now_ms() - t0) / 1000.0;
    const double rss_after_load = rss_mb();
    reset_peak_rss();
    t0 = now_ms();
    const auto embedding = predictor->encode(image);
    const double encode_ms = now_ms() - t0;
    const double rss_after_encode = rss_mb();
    const double encode_peak = hwm_mb();
    reset_peak_rss();

    std::vector<double> further, text_ms;
    std::vector<std::size_t> kept;
    double first_ms = 0;
    DetectResult first;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        t0 = now_ms();
        DetectResult r = predictor->detect(*embedding, DetectPrompt{texts[i], {}}, detect_options);
        const double ms = now_ms() - t0;
        kept.push_back(r.detections.size());
        text_ms.push_back(r.text_ms);
        if (i == 0) {
            first_ms = ms;
            first = std::move(r);
        } else {
            further.push_back(ms);
        }
    }
    const double prompts_peak = hwm_mb();
    t0 = now_ms();
    const DetectResult again = predictor->detect(*embedding, DetectPrompt{texts[0], {}}, detect_options);
    const double repeat_ms = now_ms() - t0;

    if (profile > 0) {
        using namespace torch::autograd::profiler;
        enableProfilerLegacy(ProfilerConfig(ProfilerState::CPU, /*report_input_shapes=*/false));
        // New texts (never cached), so the text encoder is part of the profile.
        for (int i = 0; i < profile; ++i)
            predictor->detect(*embedding, DetectPrompt{"profiled object " + std::to_string(i), {}}, detect_options);
        print_profile(disableProfilerLegacy(), profile);
    }

    std::printf("{\"load_s\": %.3f, \"encode_ms\": %.1f, \"first_prompt_ms\": %.1f, \"further_prompt_ms\": %.1f, "
                "\"repeat_prompt_ms\": %.1f, \"repeat_text_ms\": %.2f, \"repeat_detect_ms\": %.1f, \"repeat_masks_ms\": %.1f, "
                "\"first_text_ms\": %.1f, \"kept\": [",
                load_s, encode_ms, first_ms, further.empty() ? 0.0 : percentile(further, 50), repeat_ms, again.text_ms,
                again.detect_ms, again.masks_ms, first.text_ms);
    for (std::size_t i = 0; i < kept.size(); ++i) std::printf("%s%zu", i ? ", " : "", kept[i]);
    // What the preflight would have asked for this load (the app's ModelSession resolves the same way).
    const MachineCapabilities machine = machine_capabilities();
    const DeviceSpec device = resolve_device(options.device, machine);
    const MemoryEstimate estimate = estimate_load(*checkpoint, options.parts, resolve_dtype(options.dtype, device, machine), device);
    const double preflight_mb = (device.kind == DeviceKind::Cuda ? estimate.vram_bytes() : estimate.ram_bytes()) / 1048576.0;
    std::vector<float> sorted = first.query_scores;
    std::sort(sorted.begin(), sorted.end(), std::greater<float>());
    std::printf("], \"text_ms\": [");
    for (std::size_t i = 0; i < text_ms.size(); ++i) std::printf("%s%.1f", i ? ", " : "", text_ms[i]);
    std::printf("], \"top_scores\": [");
    for (std::size_t i = 0; i < std::min<std::size_t>(sorted.size(), 40); i += 5) std::printf("%s%.3f", i ? ", " : "", sorted[i]);
    std::printf("], \"peak_rss_mb\": %.1f, \"rss_after_load_mb\": %.1f, \"rss_after_encode_mb\": %.1f, \"encode_peak_above_load_mb\": %.1f, \"prompt_peak_above_encode_mb\": %.1f, \"embedding_mb\": %.1f, "
                "\"parameter_mb\": %.1f, \"rss_before_load_mb\": %.1f, \"preflight_estimate_mb\": %.1f, \"device\": \"%s\", \"dtype\": \"%s\"}\n",
                peak_rss_mb(), rss_after_load, rss_after_encode, encode_peak - rss_after_load, prompts_peak - rss_after_encode,
                embedding->byte_size() / 1048576.0,
                predictor->parameter_bytes() / 1048576.0, rss_before_load, preflight_mb, predictor->device_name().c_str(),
                predictor->dtype_name().c_str());
    return 0;
}
