#include "core/engine/memory_budget.h"

#include "core/engine/checkpoint.h"
#include "core/engine/sam3/sam3_checkpoint_config.h"
#include "core/engine/runtime_info.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace samlabel::engine {

namespace {

constexpr std::uint64_t kMiB = 1024ull * 1024;
constexpr std::uint64_t kGiB = 1024 * kMiB;

// libtorch's own RAM on CPU inference beyond weights and activations: oneDNN
// primitive caches, per-thread scratch, the allocator's slack.
constexpr std::uint64_t kCpuRuntimeBytes = 256 * kMiB;
// A CUDA context with lazy module loading (CUDA >= 11.7) plus cuBLAS/cuDNN
// workspaces: 300-500 MB depending on the card; the upper end is used.
constexpr std::uint64_t kCudaContextBytes = 512 * kMiB;
// Host RAM the CUDA runtime and its libraries take when loading to a GPU.
constexpr std::uint64_t kCudaHostRuntimeBytes = 512 * kMiB;
// Streaming stages at most one slice (weight_streamer.h: 64 MB) besides the
// mapped pages of the tensor in flight.
constexpr std::uint64_t kMinStagingBytes = 64 * kMiB;

std::uint64_t round_up_mib(double bytes) { return static_cast<std::uint64_t>(std::ceil(bytes / kMiB)) * kMiB; }

}  // namespace

EncoderGeometry EncoderGeometry::of(const sam3::Sam3CheckpointConfig& config, PartSet parts) {
    // The trunk is one network whichever path builds it (the config parsers
    // check that the tracker's and the detector's agree); the neck is the
    // first path's, as the model builds them. A path the config cannot build
    // is refused by the preflight (ModelSession); the estimate then takes the
    // other path's geometry, or the defaults.
    const bool from_tracker = config.has_tracker() && (part_set_has_click(parts) || !config.has_detector());
    if (!from_tracker && !config.has_detector()) return EncoderGeometry{};
    const sam3::TrunkConfig& trunk = from_tracker ? config.tracker().trunk : config.detector().trunk;
    const sam3::NeckConfig& neck = from_tracker ? config.tracker().neck : config.detector().neck;
    EncoderGeometry g;
    g.from_config = true;
    g.image_size = trunk.image_size;
    g.patch_size = trunk.patch_size;
    g.hidden_size = trunk.hidden_size;
    g.intermediate_size = trunk.intermediate_size;
    g.num_layers = trunk.num_hidden_layers;
    g.num_heads = trunk.num_attention_heads;
    g.window_size = trunk.window_size;
    g.global_layers = trunk.global_attn_indexes;
    g.fpn_hidden_size = neck.fpn_hidden_size;
    g.scale_factors = neck.scale_factors;
    // Kept even for a click-only estimate: its "load detection too" variants use them.
    if (config.has_detector()) {
        const sam3::DetectorConfig& detector = config.detector();
        g.detr_intermediate_size = detector.detr_encoder.intermediate_size;
        g.detr_heads = detector.detr_decoder.num_attention_heads;
        g.detr_queries = detector.detr_decoder.num_queries;
    }
    return g;
}

// Activation peak of one image encode, inference mode (no autograd graph:
// every intermediate is freed when its last user returns), fused SDPA.
//
// Notation: T = (image_size / patch_size)^2 tokens (72^2 = 5184 for SAM3),
// D = hidden size, M = MLP hidden size, F = FPN width, e = bytes per
// activation element (the weights' dtype), T_w = T rounded up to whole
// windows (window partition pads the grid to a multiple of window_size).
//
// Trunk, one layer (pre-norm ViT with RoPE); the peak is the larger of
//  - attention: residual x (T), norm1(x) (T), window-partition copy (T_w,
//    windowed layers only), q, k, v (3 T_w), the SDPA output (T_w), all D wide
//    in e bytes; plus RoPE, which rotates q and k in float32: up to two
//    float32 temporaries of q/k size live at once (x*cos and rotate(x)*sin),
//    and the float32 copies of q and k themselves when e < 4. Fused SDPA
//    (flash / memory-efficient, also on CPU) keeps O(T) extra memory, so the
//    T x T score matrix never exists — a math-path fallback would add
//    heads x T_w x T_w x e per layer (1.7 GB for a SAM3 global layer in fp32),
//    which this estimate deliberately does not include.
//      attention = e D (2 T + 5 T_w) + 4 D T_w (2 + (e < 4 ? 2 : 0))
//  - MLP: residual (T D), norm2 output (T D, still referenced by the caller),
//    fc1 output activated in place by GELU (T M), fc2 output (T D); the
//    trunk moves each layer's input in, so the previous residual is gone:
//      mlp = e T (3 D + M)
//   For SAM3 (D 1024, M 4736) the trunk's peak is windowed attention (191 MB in
//   fp32, 149 MB in bf16).
// Before the layers: the patch embedding plus the interpolated position
// embedding (2 T D) — smaller than one layer.
//
// Neck (run after the trunk; the trunk output T D stays referenced): for
// each scale s, conv-transpose steps go 2x up at a time halving channels,
// then proj1 (1x1 to F) and proj2 (3x3, F). Live at each step: its input and
// output, and for a convolution a copy of its input: libtorch's CPU
// convolutions run through oneDNN, which reorders a plain NCHW input into its
// blocked layout first (measured: the fp32 encode's live-tensor peak, 279 MiB,
// is inside mkldnn_convolution at the 4x level; without this copy the formula
// gave 206 MiB). The outputs of earlier scales stay alive, each F s^2 T. The
// peak is the largest (kept outputs + step input + step output + reorder)
// over all steps; for SAM3 it is the 4x scale's proj2: 3 x 16 T F e (255 MB
// in fp32, the encode's peak).
// The click path's tracker neck runs only the first kTrackerNeckLevelsUsed
// scales (4x, 2x, 1x) and computes no position encodings; the detector neck
// (transformers' Sam3VisionNeck) runs every scale and keeps a sine position
// encoding of each output (same size).
//
// Tracker heads' features (after the neck, all its outputs and the trunk
// output still referenced): the 4x level is cast to the heads' dtype (h bytes
// per element: a new 16 T F h tensor unless h == e) and projected by conv_s0
// to F/8 channels (16 T F/8 h); the 2x level's conv_s1 step is 4x smaller.
//      heads = e T D + e T F (16 + 4 + 1) + [h != e] 16 T F h + 2 T F h
// For bf16 weights on a CPU without native bf16 matmul the predictor keeps the
// heads in fp32 (h = 4); this step is then the peak: 162 MB for SAM3, above
// the trunk's 149 MB.
//
// Detection (parts with the detector; p = bytes per element of the detector's
// per-prompt modules and per-image features: 4 on the CPU, where the predictor
// runs them in fp32, else e; the DETR decoder always computes in fp32):
//  - encode: the detector neck runs its three levels like the tracker neck
//    (the neck walk below, no position encodings: the 1x level's is computed
//    once per model), with the trunk output still referenced; then the levels
//    are cast to p and the pixel decoder convolves the 2x and 4x levels once
//    per image (outputs kept, oneDNN's input reorder): live at the 4x
//    convolution are the three levels (21 T F p), the 1x tokens (T F p), the
//    2x convolution (4 T F p), the 4x output and its input's reorder (2 x 16):
//      detector_prepare = e T D + 58 T F p
//    Then the DETR encoder's first self-attention (prompt-free, kept per
//    image): about 8 T F p while the levels are still held, under that peak.
//  - held per image afterwards (the embedding): the tokens, both
//    convolutions and the first self-attention's output, 22 T F p (116 MB
//    for SAM3 with p = 4).
//  - one prompt, the image's features held: the largest of
//      DETR encoder MLP: layer input, its norm, the image keys (3 T F p), fc1
//        and its ReLU (2 T M_enc p)
//      DETR decoder vision cross-attention (fp32): the box bias, the scores
//        and their softmax, each heads x (Q + 1) x T x 4 (the float bias sends
//        SDPA down its math path)
//      mask head at 4x: the upsampled-convolution map and its GroupNorm output
//        (2 x 16 T F p), the padded 2x input (4 T F p)
//    (SAM3 fp32: 95, 103 and 191 MB: the mask head.)
// The encode's activations are freed before a prompt runs, so detection's
// activation peak is max(encode peak, held features + prompt peak); with the
// click path too, its held features add to the prompt's side.
//
// Plus the input: the resized image in float32 (3 S^2 x 4) and its
// normalised copy.
std::uint64_t encode_activation_peak_bytes(const EncoderGeometry& g, std::size_t element_bytes, PartSet parts,
                                           std::size_t heads_element_bytes, std::size_t detector_element_bytes) {
    const double e = static_cast<double>(element_bytes);
    const double h = static_cast<double>(heads_element_bytes ? heads_element_bytes : element_bytes);
    const double p = static_cast<double>(detector_element_bytes ? detector_element_bytes : element_bytes);
    const double grid = g.grid();
    const double T = grid * grid;
    const double D = g.hidden_size, M = g.intermediate_size, F = g.fpn_hidden_size;
    double windowed_tokens = T;
    if (g.window_size > 0) {
        const double padded = std::ceil(grid / g.window_size) * g.window_size;
        windowed_tokens = padded * padded;
    }
    const bool has_windowed = g.window_size > 0 && static_cast<int>(g.global_layers.size()) < g.num_layers;
    const bool has_global = g.window_size <= 0 || !g.global_layers.empty();
    const double rope_f32_buffers = 2.0 + (element_bytes < 4 ? 2.0 : 0.0);
    const double attention_windowed = e * D * (2 * T + 5 * windowed_tokens) + 4.0 * D * windowed_tokens * rope_f32_buffers;
    const double attention_global = e * D * (2 * T + 4 * T) + 4.0 * D * T * rope_f32_buffers;
    const double attention = std::max(has_windowed ? attention_windowed : 0.0, has_global ? attention_global : 0.0);
    const double mlp = e * T * (3 * D + M);
    const double embeddings = e * 2 * T * D;
    const double trunk = std::max({attention, mlp, embeddings});

    // Neck: walk the scales in order, as the neck runs them.
    auto neck_peak = [&](std::size_t levels, bool position_encodings, double& kept_after) {
        double kept = 0;  // outputs (+ position encodings) of finished scales
        double peak = 0;
        for (std::size_t level = 0; level < std::min(levels, g.scale_factors.size()); ++level) {
            const double scale = g.scale_factors[level];
            double channels = D, area = T;  // current tensor: channels x area
            auto step = [&](double out_channels, double out_area, bool convolution) {
                const double reorder = convolution ? channels * area : 0;  // oneDNN's blocked copy of the input
                peak = std::max(peak, kept + e * (channels * area + out_channels * out_area + reorder));
                channels = out_channels;
                area = out_area;
            };
            for (double s = 1; s < scale - 1e-9; s *= 2) step(channels / 2, area * 4, true);  // conv-transpose (GELU in between: same size)
            if (scale < 1) step(channels, area * scale * scale, false);                       // max-pool
            step(F, area, true);                                                              // proj1
            step(F, area, true);                                                              // proj2
            kept += (position_encodings ? 2 : 1) * e * F * area;  // output (+ its position encoding)
        }
        kept_after = kept;
        return peak;
    };
    double peak = trunk;
    double click_held = 0;  // the click path's per-image features, held while a prompt runs
    if (part_set_has_click(parts)) {
        double kept = 0;
        const double neck = neck_peak(kTrackerNeckLevelsUsed, /*position_encodings=*/false, kept) + e * T * D;
        const double heads = e * T * D + kept + (h != e ? 16 * T * F * h : 0.0) + 2 * T * F * h;
        peak = std::max({peak, neck, heads});
        // The image embedding (T F), the conv_s0/s1 features (2 T F, T F) and the
        // click cache's copies of them in the heads' dtype (5 T F), plus the first
        // block's three fp32 projections at half width (1.5 T F x 4): 30 MiB for
        // SAM3 in bf16, 53 MiB in fp32 (ImageEmbedding::byte_size, measured).
        click_held = T * F * (9 * h + 6);
    }
    if (part_set_has_detect(parts)) {
        double levels_kept = 0;
        const double detector_neck = click_held + neck_peak(kDetectorNeckLevelsUsed, /*position_encodings=*/false, levels_kept) + e * T * D;
        const double prepare = click_held + e * T * D + 58 * T * F * p;
        const double held = 22 * T * F * p + click_held;
        const double encoder_mlp = 3 * T * F * p + 2 * T * g.detr_intermediate_size * p;
        const double decoder = 3.0 * g.detr_heads * (g.detr_queries + 1) * T * 4;
        const double mask_head = 2 * 16 * T * F * p + 4 * T * F * p;
        peak = std::max({peak, detector_neck, prepare, held + std::max({encoder_mlp, decoder, mask_head})});
    }
    const double input = 2.0 * 3 * g.image_size * static_cast<double>(g.image_size) * 4;
    return round_up_mib(peak + input);
}

std::uint64_t MemoryEstimate::ram_bytes() const {
    if (device.kind != DeviceKind::Cuda) return device_bytes();
    return staging_bytes + kCudaHostRuntimeBytes;
}

namespace {

MemoryEstimate estimate_with(const PartSummary& summary, const EncoderGeometry& geometry, PartSet parts, WeightDType dtype,
                             DeviceSpec device) {
    MemoryEstimate estimate;
    estimate.parts = parts;
    estimate.dtype = dtype;
    estimate.device = device;
    estimate.summary = summary;
    estimate.geometry = geometry;
    const PartFigures figures = summary.of(parts);
    estimate.parameters = figures.parameters;
    estimate.weight_bytes = figures.bytes_in(dtype);
    // Parts the predictor keeps in fp32 whatever the dtype (sam3_model.cpp): the
    // detector's decoder and scoring, and on the CPU its other per-prompt modules.
    if (part_set_has_detect(parts) && dtype != WeightDType::F32) {
        std::vector<ModelPart> fp32_parts{ModelPart::DetectorDecoder};
        if (device.kind != DeviceKind::Cuda) fp32_parts.push_back(ModelPart::Detector);
        for (const ModelPart part : fp32_parts)
            estimate.weight_bytes += summary.of(part).bytes_in(WeightDType::F32) - summary.of(part).bytes_in(dtype);
    }
    const bool cuda = device.kind == DeviceKind::Cuda;
    if (!cuda) {
        // Mirrors the two weight dtypes above: the fp32-kept detector parts map where stored in fp32.
        const bool detector_fp32 = part_set_has_detect(parts) && dtype != WeightDType::F32;
        for (const ModelPart part : parts_for(parts)) {
            const bool kept_fp32 = detector_fp32 && (part == ModelPart::Detector || part == ModelPart::DetectorDecoder);
            estimate.mapped_weight_bytes += summary.of(part).bytes_kept_as_stored(kept_fp32 ? WeightDType::F32 : dtype);
        }
    }
    // The predictor runs the tracker heads (and casts their per-image features)
    // in fp32 for bf16 weights on a CPU without native bf16 matmul.
    const bool fp32_heads = !cuda && dtype == WeightDType::BF16 && !runtime_info().cpu_has_bf16;
    // The detector's per-prompt modules compute in fp32 on the CPU (sam3_model.cpp).
    estimate.activation_bytes = encode_activation_peak_bytes(estimate.geometry, weight_dtype_size(dtype), parts,
                                                             fp32_heads ? 4 : 0, cuda ? 0 : 4);
    estimate.runtime_bytes = cuda ? kCudaContextBytes : kCpuRuntimeBytes;
    estimate.allocator_slack_bytes = cuda ? 0 : estimate.activation_bytes;
    // 10% of what the model itself takes covers allocator rounding and
    // fragmentation (the CUDA caching allocator rounds blocks up to 2 MB).
    estimate.margin_bytes = round_up_mib(0.10 * static_cast<double>(estimate.weight_bytes + estimate.activation_bytes));
    // Per tensor: the mapped source pages plus at most one cast slice.
    const std::uint64_t largest = figures.largest_tensor_stored_bytes;
    estimate.staging_bytes = cuda ? std::max<std::uint64_t>(2 * largest, kMinStagingBytes) : 0;
    return estimate;
}

// The same checkpoint and geometry with another parts/dtype/device choice.
MemoryEstimate variant(const MemoryEstimate& base, PartSet parts, WeightDType dtype, DeviceSpec device) {
    return estimate_with(base.summary, base.geometry, parts, dtype, device);
}

}  // namespace

MemoryEstimate estimate_load(const PartSummary& summary, const EncoderGeometry& geometry, PartSet parts, WeightDType dtype,
                             DeviceSpec device) {
    return estimate_with(summary, geometry, parts, dtype, device);
}

MemoryEstimate estimate_load(const Checkpoint& checkpoint, PartSet parts, WeightDType dtype, DeviceSpec device) {
    return estimate_load(PartSummary::of_checkpoint(checkpoint), EncoderGeometry::of(checkpoint.sam3_config(), parts), parts, dtype,
                         device);
}

std::string format_bytes(std::uint64_t bytes) {
    char text[32];
    if (bytes >= kGiB)
        std::snprintf(text, sizeof text, "%.2f GiB", static_cast<double>(bytes) / kGiB);
    else if (bytes >= kMiB)
        std::snprintf(text, sizeof text, "%.0f MiB", static_cast<double>(bytes) / kMiB);
    else if (bytes >= 1024)
        std::snprintf(text, sizeof text, "%.0f KiB", static_cast<double>(bytes) / 1024);
    else
        std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
    return text;
}

std::string device_name(DeviceSpec device) {
    switch (device.kind) {
        case DeviceKind::Cpu: return "cpu";
        case DeviceKind::Cuda: return "cuda:" + std::to_string(device.index);
        case DeviceKind::Auto: return "auto";
    }
    return "auto";
}

std::string MemoryEstimate::describe() const {
    std::ostringstream out;
    out << "SAM3 " << part_set_name(parts) << " in " << weight_dtype_name(dtype) << " on " << device_name(device) << ":\n"
        << "  weights      " << format_bytes(weight_bytes) << " (" << parameters << " parameters"
        << (mapped_weight_bytes == 0 ? std::string()
            : mapped_weight_bytes >= weight_bytes
                ? std::string(", mapped from the checkpoint file, not copied")
                : ", " + format_bytes(mapped_weight_bytes) + " of them mapped from the checkpoint file, not copied")
        << ")\n"
        << "  activations  " << format_bytes(activation_bytes) << " (one " << geometry.image_size << "x" << geometry.image_size
        << " image encode" << (part_set_has_detect(parts) ? " and one detection prompt" : "")
        << (geometry.from_config ? "" : ", default SAM3 geometry") << ")\n"
        << (allocator_slack_bytes ? "  allocator    " + format_bytes(allocator_slack_bytes) + " (freed blocks glibc keeps during the encode)\n" : "")
        << "  runtime      " << format_bytes(runtime_bytes) << (device.kind == DeviceKind::Cuda ? " (CUDA context)" : " (libtorch)")
        << "\n"
        << "  margin       " << format_bytes(margin_bytes) << "\n"
        << "  total        " << format_bytes(device_bytes()) << (device.kind == DeviceKind::Cuda ? " of VRAM" : " of RAM");
    if (device.kind == DeviceKind::Cuda) out << ", and " << format_bytes(ram_bytes()) << " of RAM while loading";
    return out.str();
}

namespace {

struct Room {
    std::uint64_t needed = 0;
    std::uint64_t available = 0;  // after the budget
    std::string what;             // "RAM", "VRAM on cuda:0"
    std::string detail;           // how available was computed
    bool budget_limits = false;   // the user's budget, not the hardware, is the limit
    std::uint64_t budget_shortfall = 0;  // how far the budget must move for the load to fit
};

Room ram_room(const MemoryEstimate& estimate, const SystemMemory& system, const BudgetSettings& budget) {
    Room room;
    room.what = "RAM";
    room.needed = estimate.ram_bytes();
    const std::uint64_t keep = budget.keep_free_ram_bytes;
    room.available = system.available_bytes > keep ? system.available_bytes - keep : 0;
    room.budget_limits = keep > 0 && room.needed <= system.available_bytes;
    // keep must drop to (available - needed); computed so a budget above what
    // is available at all still gives the true distance.
    if (room.budget_limits) room.budget_shortfall = keep - (system.available_bytes - room.needed);
    std::ostringstream detail;
    detail << format_bytes(system.available_bytes) << " available of " << format_bytes(system.total_bytes);
    if (system.cgroup_limit_bytes) detail << ", cgroup limit " << format_bytes(*system.cgroup_limit_bytes);
    if (keep) detail << ", minus " << format_bytes(keep) << " to keep free";
    room.detail = detail.str();
    return room;
}

std::optional<Room> vram_room(const MemoryEstimate& estimate, const GpuMemory& gpu, const BudgetSettings& budget) {
    Room room;
    room.what = "VRAM on cuda:" + std::to_string(gpu.index);
    room.needed = estimate.vram_bytes();
    // A CUDA context this process already holds is paid for.
    if (gpu.this_process_known && gpu.used_by_this_process_bytes >= estimate.runtime_bytes)
        room.needed -= estimate.runtime_bytes;
    room.available = gpu.free_bytes;
    // What the budget cap counts as ours: when the share cannot be measured,
    // everything in use might be ours, so the cap is never under-enforced.
    const std::uint64_t ours = gpu.this_process_known ? gpu.used_by_this_process_bytes
                                                      : gpu.used_by_this_process_bytes + gpu.used_by_others_bytes;
    std::ostringstream detail;
    detail << format_bytes(gpu.free_bytes) << " free of " << format_bytes(gpu.total_bytes);
    if (!gpu.this_process_known)
        detail << ", " << format_bytes(ours) << " in use (this process's share cannot be measured here)";
    else if (gpu.used_by_others_bytes)
        detail << ", other processes use " << format_bytes(gpu.used_by_others_bytes);
    if (budget.max_vram_bytes) {
        const std::uint64_t cap_left = budget.max_vram_bytes > ours ? budget.max_vram_bytes - ours : 0;
        if (cap_left < room.available) {
            room.available = cap_left;
            room.budget_limits = room.needed <= gpu.free_bytes;
            // The cap must reach what this process holds plus what the load needs.
            if (room.budget_limits)
                room.budget_shortfall = ours + room.needed - budget.max_vram_bytes;
        }
        detail << ", budget 'use at most " << format_bytes(budget.max_vram_bytes) << "'";
    }
    room.detail = detail.str();
    return room;
}

const GpuMemory* find_gpu(const std::vector<GpuMemory>& gpus, int index) {
    for (const GpuMemory& gpu : gpus)
        if (gpu.index == index) return &gpu;
    return nullptr;
}

// Does the estimate fit? Returns the limiting room (the first that does not fit).
std::optional<Room> first_shortfall(const MemoryEstimate& estimate, const SystemMemory& system,
                                    const std::vector<GpuMemory>& gpus, const BudgetSettings& budget, Room* limiting) {
    std::vector<Room> rooms;
    if (estimate.device.kind == DeviceKind::Cuda) {
        const GpuMemory* gpu = find_gpu(gpus, estimate.device.index);
        if (!gpu) return std::nullopt;  // handled by the caller
        rooms.push_back(*vram_room(estimate, *gpu, budget));
    }
    rooms.push_back(ram_room(estimate, system, budget));
    if (limiting) *limiting = rooms.front();
    for (const Room& room : rooms)
        if (room.needed > room.available) return room;
    return std::nullopt;
}

bool fits(const MemoryEstimate& estimate, const SystemMemory& system, const std::vector<GpuMemory>& gpus,
          const BudgetSettings& budget) {
    if (estimate.device.kind == DeviceKind::Cuda && !find_gpu(gpus, estimate.device.index)) return false;
    return !first_shortfall(estimate, system, gpus, budget, nullptr);
}

std::string fit_word(bool ok) { return ok ? "fits" : "does not fit either"; }

}  // namespace

Verdict preflight(const MemoryEstimate& estimate, const SystemMemory& system, const std::vector<GpuMemory>& gpus,
                  const BudgetSettings& budget, DeviceSpec device) {
    Verdict verdict;
    // Normally the estimate's own device; another one is re-estimated.
    const bool same_device = device.kind == estimate.device.kind && (device.kind != DeviceKind::Cuda || device.index == estimate.device.index);
    const MemoryEstimate current = same_device ? estimate : variant(estimate, estimate.parts, estimate.dtype, device);

    const std::string what = "SAM3 " + std::string(part_set_name(current.parts)) + " in " +
                             std::string(weight_dtype_name(current.dtype)) + " on " + device_name(device);
    if (device.kind == DeviceKind::Cuda && !find_gpu(gpus, device.index)) {
        verdict.needed_bytes = current.vram_bytes();
        verdict.message = "Refused: " + what + " needs " + format_bytes(current.vram_bytes()) + " of VRAM, but CUDA device " +
                          std::to_string(device.index) + " is not available (" + std::to_string(gpus.size()) +
                          " GPU(s) visible).";
        const MemoryEstimate on_cpu = variant(current, current.parts, current.dtype, {DeviceKind::Cpu, 0});
        verdict.suggestions.push_back("run on the CPU instead: needs " + format_bytes(on_cpu.ram_bytes()) + " of RAM, " +
                                      fit_word(fits(on_cpu, system, gpus, budget)));
        return verdict;
    }

    Room limiting;
    const auto shortfall = first_shortfall(current, system, gpus, budget, &limiting);
    if (!shortfall) {
        verdict.fits = true;
        verdict.needed_bytes = limiting.needed;
        verdict.available_bytes = limiting.available;
        verdict.message = "Fits: " + what + " needs " + format_bytes(limiting.needed) + " of " + limiting.what + " (" +
                          limiting.detail + ").";
        return verdict;
    }
    const Room& room = *shortfall;
    verdict.needed_bytes = room.needed;
    verdict.available_bytes = room.available;
    verdict.message = "Refused: " + what + " needs " + format_bytes(room.needed) + " of " + room.what + ", but only " +
                      format_bytes(room.available) + " is available (" + room.detail + ").";

    // What would make it fit, each re-estimated and checked.
    auto suggest = [&](const std::string& change, const MemoryEstimate& e) {
        const bool ok = fits(e, system, gpus, budget);
        const std::string amount = e.device.kind == DeviceKind::Cuda ? format_bytes(e.vram_bytes()) + " of VRAM"
                                                                       : format_bytes(e.ram_bytes()) + " of RAM";
        verdict.suggestions.push_back(change + ": needs " + amount + ", " + fit_word(ok));
    };
    if (current.dtype == WeightDType::F32) {
        suggest(device.kind == DeviceKind::Cuda ? "load in bf16 (or fp16 on cards without bf16)" : "load in bf16",
                variant(current, current.parts, WeightDType::BF16, device));
    }
    if (current.parts == PartSet::ClickAndDetect) {
        suggest("load only the click-to-segment parts", variant(current, PartSet::ClickToSegment, current.dtype, device));
        suggest("load only the detection parts", variant(current, PartSet::DetectOnly, current.dtype, device));
    }
    if (device.kind == DeviceKind::Cuda) {
        // CPU kernels for fp16 are slow; bf16 runs on every CPU (natively on AVX512-BF16/AMX).
        const WeightDType cpu_dtype = current.dtype == WeightDType::F16 ? WeightDType::BF16 : current.dtype;
        suggest("run on the CPU instead", variant(current, current.parts, cpu_dtype, {DeviceKind::Cpu, 0}));
    }
    const std::uint64_t missing = room.needed - room.available;
    if (room.budget_limits) {
        verdict.suggestions.push_back(device.kind == DeviceKind::Cuda && room.what != "RAM"
                                          ? "raise the VRAM budget by " + format_bytes(room.budget_shortfall) + " (the GPU itself has room)"
                                          : "lower 'keep RAM free' by " + format_bytes(room.budget_shortfall) + " (the RAM itself is there)");
    } else {
        verdict.suggestions.push_back("free " + format_bytes(missing) + " of " + room.what +
                                      (room.what == "RAM" ? " (close other programs)" : " (stop other GPU processes)"));
    }
    return verdict;
}

DeviceSpec resolve_device(DeviceSpec requested, const MachineCapabilities& machine) {
    if (requested.kind != DeviceKind::Auto) return requested;
    if (machine.cuda_available && machine.cuda_device_count > 0) return {DeviceKind::Cuda, 0};
    return {DeviceKind::Cpu, 0};
}

WeightDType resolve_dtype(WeightDType requested, DeviceSpec device, const MachineCapabilities& machine) {
    if (requested != WeightDType::Auto) return requested;
    if (device.kind == DeviceKind::Cuda) {
        const bool bf16 = device.index >= 0 && device.index < static_cast<int>(machine.cuda_has_bf16.size()) &&
                          machine.cuda_has_bf16[static_cast<std::size_t>(device.index)];
        return bf16 ? WeightDType::BF16 : WeightDType::F16;
    }
    return machine.cpu_has_bf16 ? WeightDType::BF16 : WeightDType::F32;
}

}  // namespace samlabel::engine
