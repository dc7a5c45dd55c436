// samlabel-gpu-check: the checks that need a CUDA GPU, in one engine-only
// program (the GPU machine has libtorch but no Qt). bench/gpu/run_gpu_checks.sh
// drives it; every figure is printed as one JSON line per step.
//
//   samlabel-gpu-check parity FIXTURE_DIR [--device cuda:0] [--dtype fp32|fp16|bf16]
//     The transformers parity fixtures of test_sam3_parity (tests/data/sam3/<config>)
//     on the given device. Reads FILE.ppm / FILE.pgm beside each FILE.png (the
//     driver converts them; this program has no PNG decoder). Exit 1 when a
//     tolerance is missed: fp32 logits 1e-4 of scale, IoU score 1e-3, mask IoU
//     0.999; fp16/bf16 mask IoU 0.98 (the CPU test's thresholds).
//
//   samlabel-gpu-check session CHECKPOINT_DIR [--device cuda:0] [--dtype fp16]
//                      [--encodes N] [--clicks N] [--then COMMAND]
//     The app's model lifecycle through ModelSession: preflight estimate, load,
//     N encodes of distinct 1280x960 images, N clicks (p50/p95) and N refinement
//     clicks, VRAM after each step (NVML's per-process figure and the caching
//     allocator's), Unload, and then COMMAND (e.g. a training step) run while
//     this process stays alive with the model unloaded, as the app does.
#include "core/engine/memory_probe.h"
#include "core/engine/model_session.h"
#include "core/engine/checkpoint.h"
#include "core/engine/device_dtype_names.h"
#include "core/engine/sam3_predictor.h"
#include "tests/engine/sam3_reference_cases.h"
#include "bench/bench_support.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <torch/cuda.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>

using namespace samlabel::engine;
namespace fs = std::filesystem;
using nlohmann::json;
using samlabel::bench::percentile;
using samlabel::bench::read_pnm;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

DeviceSpec device_option(const std::string& v) {
    if (const auto device = parse_device(v)) return *device;
    throw std::invalid_argument("--device: expected cpu or cuda[:N], got " + v);
}

WeightDType dtype_option(const std::string& v) {
    if (const auto dtype = parse_dtype(v)) return *dtype;
    throw std::invalid_argument("--dtype: expected fp32, bf16 or fp16, got " + v);
}

// What the GPU holds for us now: the probe's per-process figure (NVML where
// present: the CUDA context included) and the caching allocator's own counts.
json vram_now(MemoryProbe& probe, int device_index) {
    json j;
    for (const GpuMemory& g : probe.gpus()) {
        if (g.index != device_index) continue;
        j["gpu"] = g.name;
        j["source"] = g.source;
        j["total_mb"] = g.total_bytes / 1048576.0;
        j["free_mb"] = g.free_bytes / 1048576.0;
        j["this_process_mb"] = g.used_by_this_process_bytes / 1048576.0;
        j["others_mb"] = g.used_by_others_bytes / 1048576.0;
    }
    if (torch::cuda::is_available() && c10::cuda::CUDACachingAllocator::get()->initialized()) {
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device_index));
        const auto all = static_cast<std::size_t>(c10::CachingAllocator::StatType::AGGREGATE);
        j["torch_allocated_mb"] = stats.allocated_bytes[all].current / 1048576.0;
        j["torch_reserved_mb"] = stats.reserved_bytes[all].current / 1048576.0;
        j["torch_peak_allocated_mb"] = stats.allocated_bytes[all].peak / 1048576.0;
    }
    return j;
}

void emit(const std::string& step, json j) {
    j["step"] = step;
    std::cout << j.dump() << std::endl;
}

// A photo-like synthetic image, different for each seed (so no cache hit).
ImageRgb8 synthetic_image(int width, int height, unsigned seed) {
    ImageRgb8 image{width, height, std::vector<std::uint8_t>(static_cast<std::size_t>(width) * height * 3)};
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> noise(-8, 8);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < 3; ++c)
                image.pixels[(static_cast<std::size_t>(y) * width + x) * 3 + c] =
                    static_cast<std::uint8_t>(std::clamp((x * (c + 1) / 7 + y * (3 - c) / 5 + noise(rng)) % 256, 0, 255));
    return image;
}

int run_parity(const fs::path& dir, const DeviceSpec& device, WeightDType dtype) {
    const auto checkpoint = Checkpoint::open(dir);
    PredictorOptions options;
    options.device = device;
    options.dtype = dtype;
    const auto predictor = Sam3Predictor::load(*checkpoint, options);
    auto read_rgb = [](const fs::path& png) {
        ImageRgb8 image;
        image.pixels = read_pnm(fs::path(png).replace_extension(".ppm"), "P6", image.width, image.height);
        return image;
    };
    auto read_mask = [](const fs::path& png) {
        int w = 0, h = 0;
        std::vector<std::uint8_t> gray = read_pnm(fs::path(png).replace_extension(".pgm"), "P5", w, h);
        for (auto& v : gray) v = v > 127 ? 1 : 0;
        return gray;
    };
    const bool full = dtype == WeightDType::F32;
    double logit_rel = 0, iou_abs = 0, obj_rel = 0, min_mask_iou = 1;
    int prompts = 0, failures = 0;
    std::string first_failure;
    for (const auto& pc : testing::compare_with_reference(*predictor, dir, read_rgb, read_mask)) {
        ++prompts;
        obj_rel = std::max(obj_rel, pc.object_score_rel_diff);
        bool ok = pc.candidate_count_ok && (!full || pc.object_score_rel_diff <= 1e-4);
        for (const auto& cc : pc.candidates) {
            logit_rel = std::max(logit_rel, cc.logit_rel_diff);
            iou_abs = std::max(iou_abs, cc.iou_score_abs_diff);
            min_mask_iou = std::min(min_mask_iou, cc.mask_iou);
            ok = ok && cc.shape_ok &&
                 (full ? cc.logit_rel_diff <= 1e-4 && cc.iou_score_abs_diff <= 1e-3 && cc.mask_iou >= 0.999 : cc.mask_iou >= 0.98);
        }
        if (!ok && failures++ == 0) first_failure = pc.label;
    }
    emit("parity", {{"fixture", dir.filename().string()},
                    {"device", predictor->device_name()},
                    {"dtype", predictor->dtype_name()},
                    {"prompt_sets", prompts},
                    {"max_logit_rel_diff", logit_rel},
                    {"max_iou_score_abs_diff", iou_abs},
                    {"max_object_score_rel_diff", obj_rel},
                    {"min_mask_iou", min_mask_iou},
                    {"failed_prompt_sets", failures},
                    {"first_failure", first_failure}});
    return failures == 0 ? 0 : 1;
}

int run_session(const fs::path& dir, const DeviceSpec& device, WeightDType dtype, int encodes, int clicks,
                const std::string& then_command) {
    std::shared_ptr<MemoryProbe> probe = make_system_memory_probe();
    ModelSession session(probe);
    emit("before_load", {{"vram", vram_now(*probe, device.index)}});

    LoadRequest request;
    request.checkpoint_dir = dir;
    request.device = device;
    request.dtype = dtype;
    const PreflightReport preflight = session.preflight(request, BudgetSettings{});
    emit("preflight", {{"estimate_weight_mb", preflight.estimate.weight_bytes / 1048576.0},
                       {"estimate_activation_mb", preflight.estimate.activation_bytes / 1048576.0},
                       {"estimate_runtime_mb", preflight.estimate.runtime_bytes / 1048576.0},
                       {"needed_mb", preflight.verdict.needed_bytes / 1048576.0},
                       {"verdict", preflight.verdict.message}});

    const LoadOutcome load = session.load(request, {}, BudgetSettings{});
    if (!load.ok()) {
        emit("load", {{"status", load_status_name(load.status)}, {"message", load.message}});
        return 1;
    }
    emit("load", {{"status", "loaded"},
                  {"device", load.device_name},
                  {"dtype", load.dtype_name},
                  {"parameter_mb", load.parameter_bytes / 1048576.0},
                  {"load_s", load.duration_ms / 1000.0},
                  {"peak_rss_mb", load.peak_rss_bytes / 1048576.0},
                  {"vram", vram_now(*probe, device.index)}});

    std::vector<double> encode_ms;
    std::string first_key;
    for (int i = 0; i < encodes; ++i) {
        const ImageRgb8 image = synthetic_image(1280, 960, 100 + i);
        const std::string key = "bench-image-" + std::to_string(i);
        const EncodeOutcome e = session.encode(image, key);
        if (!e.ok()) {
            emit("encode", {{"status", encode_status_name(e.status)}, {"message", e.message}});
            return 1;
        }
        encode_ms.push_back(e.duration_ms);
        if (i == 0) {
            first_key = key;
            // Weights plus exactly one cached image: the figure issue 5 asks for.
            emit("after_first_encode", {{"encode_ms", e.duration_ms}, {"vram", vram_now(*probe, device.index)}});
        }
    }
    std::vector<double> warm(encode_ms.begin() + (encode_ms.size() > 1 ? 1 : 0), encode_ms.end());
    emit("encodes", {{"count", encodes},
                     {"first_ms", encode_ms.front()},
                     {"warm_p50_ms", percentile(warm, 50)},
                     {"warm_min_ms", *std::min_element(warm.begin(), warm.end())},
                     {"cached_images", encodes},
                     {"vram", vram_now(*probe, device.index)}});

    std::mt19937 rng(1);
    std::uniform_real_distribution<float> ux(0.f, 1280.f), uy(0.f, 960.f);
    std::vector<double> click_ms, refine_ms;
    for (int i = 0; i < clicks + 3; ++i) {  // 3 warm-up clicks
        ClickPrompt prompt;
        prompt.points.push_back({ux(rng), uy(rng), PointLabel::Positive});
        const auto t0 = Clock::now();
        const SegmentResult r = session.segment(first_key, prompt);
        if (i >= 3) click_ms.push_back(ms_since(t0));
        if (r.candidates.empty()) throw std::runtime_error("a click returned no mask");
    }
    ClickPrompt first;
    first.points.push_back({640.f, 480.f, PointLabel::Positive});
    SegmentResult previous = session.segment(first_key, first);
    for (int i = 0; i < clicks; ++i) {
        ClickPrompt prompt = first;
        prompt.points.push_back({ux(rng), uy(rng), i % 2 ? PointLabel::Negative : PointLabel::Positive});
        prompt.multimask = false;
        prompt.previous_mask = previous.candidates.front().low_res;
        const auto t0 = Clock::now();
        previous = session.segment(first_key, prompt);
        refine_ms.push_back(ms_since(t0));
    }
    emit("clicks", {{"count", clicks},
                    {"click_p50_ms", percentile(click_ms, 50)},
                    {"click_p95_ms", percentile(click_ms, 95)},
                    {"refine_click_p50_ms", percentile(refine_ms, 50)},
                    {"refine_click_p95_ms", percentile(refine_ms, 95)},
                    {"vram", vram_now(*probe, device.index)}});

    const UnloadReport u = session.unload();
    emit("unload", {{"duration_ms", u.duration_ms},
                    {"vram_before_mb", u.vram_before_bytes / 1048576.0},
                    {"vram_after_mb", u.vram_after_bytes / 1048576.0},
                    {"freed_vram_mb", u.freed_vram_bytes / 1048576.0},
                    {"embeddings_dropped", u.embeddings_dropped},
                    {"vram", vram_now(*probe, device.index)}});

    if (!then_command.empty()) {
        // The app stays open (CUDA context and all) while training runs.
        const auto t0 = Clock::now();
        std::cout.flush();
        const int rc = std::system(then_command.c_str());
        emit("after_command", {{"command", then_command},
                               {"exit_status", rc},
                               {"duration_s", ms_since(t0) / 1000.0},
                               {"vram", vram_now(*probe, device.index)}});
        if (rc != 0) return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: samlabel-gpu-check parity FIXTURE_DIR [--device D] [--dtype T]\n"
                     "       samlabel-gpu-check session CHECKPOINT_DIR [--device D] [--dtype T] [--encodes N] [--clicks N] "
                     "[--then COMMAND]\n";
        return 2;
    }
    const std::string mode = argv[1];
    try {
        DeviceSpec device{DeviceKind::Cuda, 0};
        WeightDType dtype = mode == "parity" ? WeightDType::F32 : WeightDType::F16;
        int encodes = 5, clicks = 100;
        std::string then_command;
        for (int i = 3; i + 1 < argc; i += 2) {
            const std::string flag = argv[i], value = argv[i + 1];
            if (flag == "--device") device = device_option(value);
            else if (flag == "--dtype") dtype = dtype_option(value);
            else if (flag == "--encodes") encodes = std::max(1, std::stoi(value));
            else if (flag == "--clicks") clicks = std::max(1, std::stoi(value));
            else if (flag == "--then") then_command = value;
            else throw std::invalid_argument("unknown option " + flag);
        }
        if (mode == "parity") return run_parity(argv[2], device, dtype);
        if (mode == "session") return run_session(argv[2], device, dtype, encodes, clicks, then_command);
        std::cerr << "unknown mode " << mode << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "samlabel-gpu-check: " << e.what() << "\n";
        emit("error", {{"message", e.what()}});
        return 1;
    }
}
