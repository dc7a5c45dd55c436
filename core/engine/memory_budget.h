#pragma once
// Memory preflight: what a SAM3 load will need (weights of the needed parts in
// the target dtype + the activation peak of one image encode + runtime and
// margin), and whether that fits what the probe sees under the user's budget.
// A refusal names what is needed, what is available and what would make it
// fit. No torch here.
#include "core/engine/engine_types.h"
#include "core/engine/memory_probe.h"
#include "core/engine/sam3_parts.h"

#include <cstdint>
#include <string>
#include <vector>

namespace samlabel::engine {

class Checkpoint;
namespace sam3 {
class Sam3CheckpointConfig;
}

// User settings: leave room for other work (a YOLO training run).
struct BudgetSettings {
    std::uint64_t keep_free_ram_bytes = 0;  // never leave less RAM available than this
    std::uint64_t max_vram_bytes = 0;       // this process uses at most this much VRAM (0 = no cap)
};

// The vision trunk and neck geometry the activation formula needs, taken from
// the checkpoint's parsed config (the very configs the model is built from);
// the defaults are transformers' Sam3ViTConfig defaults (the real SAM3).
struct EncoderGeometry {
    int image_size = 1008;
    int patch_size = 14;
    int hidden_size = 1024;        // D
    int intermediate_size = 4736;  // M (MLP hidden)
    int num_layers = 32;
    int num_heads = 16;
    int window_size = 24;          // 0: every layer global
    std::vector<int> global_layers{7, 15, 23, 31};
    int fpn_hidden_size = 256;     // F
    std::vector<double> scale_factors{4.0, 2.0, 1.0, 0.5};
    int detr_intermediate_size = 2048;  // the DETR encoder's MLP (detection)
    int detr_heads = 8;                 // the DETR decoder's attention heads
    int detr_queries = 200;             // the DETR decoder's object queries
    bool from_config = false;      // false: the defaults, not a checkpoint's config

    // The trunk and neck of the path that loads first (click, else detection)
    // and the detector's stacks when the checkpoint has a detector. A path
    // the config cannot build is left out (the preflight refuses it).
    static EncoderGeometry of(const sam3::Sam3CheckpointConfig& config, PartSet parts);
    int grid() const { return image_size / patch_size; }  // tokens per side
};

// Activation peak in bytes of one image encode (trunk + necks + each path's
// per-image features) and, with detection, of one prompt on it, in inference
// mode with fused SDPA, activations in an element type of `element_bytes`; the
// tracker heads run in `heads_element_bytes` and the detector's per-prompt
// modules in `detector_element_bytes` (0: the same; on the CPU the predictor
// keeps both in fp32, 4). See memory_budget.cpp for the derivation.
std::uint64_t encode_activation_peak_bytes(const EncoderGeometry& geometry, std::size_t element_bytes, PartSet parts,
                                           std::size_t heads_element_bytes = 0, std::size_t detector_element_bytes = 0);

struct MemoryEstimate {
    PartSet parts = PartSet::ClickToSegment;
    WeightDType dtype = WeightDType::F32;  // resolved
    DeviceSpec device{DeviceKind::Cpu, 0}; // resolved
    EncoderGeometry geometry;
    PartSummary summary;                   // the checkpoint's figures, for re-estimates

    std::uint64_t parameters = 0;
    std::uint64_t weight_bytes = 0;        // needed parts in the target dtype
    // Of weight_bytes, on the CPU: the tensors loaded in their stored dtype,
    // which are the mapped checkpoint file (page cache the OS can drop and
    // read again), not an anonymous copy. They count as needed all the same:
    // evicted weights are read back from disk on every encode.
    std::uint64_t mapped_weight_bytes = 0;
    std::uint64_t activation_bytes = 0;    // one image encode
    std::uint64_t runtime_bytes = 0;       // CPU: libtorch scratch; CUDA: the context
    // CPU only: glibc keeps freed activation blocks (< its 32 MB dynamic mmap
    // threshold) in its arenas, so the RSS peak of an encode is ~2x the live
    // tensors (measured 386 vs 183 MiB, SAM3 bf16); CUDA's caching allocator
    // slack is covered by the margin.
    std::uint64_t allocator_slack_bytes = 0;
    std::uint64_t margin_bytes = 0;
    std::uint64_t staging_bytes = 0;       // RAM while streaming to a GPU

    // On the device that holds the model (RAM for CPU, VRAM for CUDA).
    std::uint64_t device_bytes() const {
        return weight_bytes + activation_bytes + allocator_slack_bytes + runtime_bytes + margin_bytes;
    }
    // RAM needed: everything for CPU; staging + host runtime for CUDA.
    std::uint64_t ram_bytes() const;
    std::uint64_t vram_bytes() const { return device.kind == DeviceKind::Cuda ? device_bytes() : 0; }

    std::string describe() const;  // multi-line breakdown for the CLI and the model panel
};

// Device and dtype must be resolved (no Auto).
MemoryEstimate estimate_load(const PartSummary& summary, const EncoderGeometry& geometry, PartSet parts, WeightDType dtype,
                             DeviceSpec device);
MemoryEstimate estimate_load(const Checkpoint& checkpoint, PartSet parts, WeightDType dtype, DeviceSpec device);

struct Verdict {
    bool fits = false;
    std::uint64_t needed_bytes = 0;     // on the limiting memory (RAM or VRAM)
    std::uint64_t available_bytes = 0;  // after the budget
    std::string message;                // one paragraph: needed, available, why
    std::vector<std::string> suggestions;  // what would make it fit (empty when it fits)
};

Verdict preflight(const MemoryEstimate& estimate, const SystemMemory& system, const std::vector<GpuMemory>& gpus,
                  const BudgetSettings& budget, DeviceSpec device);

// What this machine can do, for resolving Auto (see machine_capabilities.cpp).
struct MachineCapabilities {
    bool cuda_available = false;
    int cuda_device_count = 0;
    std::vector<bool> cuda_has_bf16;  // per device (compute capability >= 8.0)
    bool cpu_has_bf16 = false;        // native bf16 matmul (AVX512-BF16 / AMX)
};
MachineCapabilities machine_capabilities();  // queries libtorch

// Auto -> CUDA 0 when available, else CPU. A Cuda spec is returned as is.
DeviceSpec resolve_device(DeviceSpec requested, const MachineCapabilities& machine);
// Auto -> CUDA: bf16 where the card has it, else fp16; CPU: bf16 when the CPU
// has native bf16, else fp32. Explicit choices are returned as is.
WeightDType resolve_dtype(WeightDType requested, DeviceSpec resolved_device, const MachineCapabilities& machine);

std::string device_name(DeviceSpec device);       // "cpu", "cuda:0", "auto"
std::string format_bytes(std::uint64_t bytes);    // "1.23 GB" (GB = 10^9... see .cpp)

}  // namespace samlabel::engine
