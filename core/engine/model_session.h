#pragma once
// The model's whole life in one synchronous object: preflight, streaming load,
// image encodes with an embedding cache, clicks, and an Unload that gives the
// memory back and measures how much came back. No torch and no Qt here: the
// worker thread (core/service/model_worker), the CLI and tests use it alike.
//
// Threading: every method may be called from any thread. Heavy operations
// (load, encode, segment, unload) run one at a time under one mutex; state(),
// cancel_load() and the cache statistics never wait on them. unload() cancels a
// running load and waits for a running encode or click to finish (neither can be
// interrupted inside libtorch without leaving it half done), and a command that
// was waiting behind an unload finds the session unloaded and returns NotLoaded.
#include "core/engine/converted_weights_cache.h"
#include "core/engine/embedding_cache.h"
#include "core/engine/engine_types.h"
#include "core/engine/memory_budget.h"
#include "core/engine/memory_probe.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace samlabel::engine {

enum class SessionState { Unloaded = 1, Loading, Ready, Busy, Unloading };
const char* session_state_name(SessionState state);  // "unloaded", "loading", ...

struct LoadRequest {
    std::filesystem::path checkpoint_dir;
    DeviceSpec device;
    WeightDType dtype = WeightDType::Auto;
    PartSet parts = PartSet::ClickToSegment;
};

enum class LoadStatus { Loaded = 1, Refused, Cancelled, Failed };
const char* load_status_name(LoadStatus status);

struct LoadOutcome {
    LoadStatus status = LoadStatus::Failed;
    std::string message;              // the verdict's message when refused, the error when failed
    std::optional<Verdict> verdict;   // absent only when the checkpoint could not be read
    std::optional<MemoryEstimate> estimate;
    double duration_ms = 0.0;         // the whole call, preflight included
    std::uint64_t rss_before_bytes = 0;
    // The process's RAM peak while loading: Linux resets VmHWM before the load;
    // where the OS cannot reset its peak (Windows) it is sampled during the
    // load (peak_rss_sampled; see peak_sampler.h).
    std::uint64_t peak_rss_bytes = 0;
    bool peak_rss_sampled = false;
    std::uint64_t rss_after_bytes = 0;
    std::string device_name;          // "cpu", "cuda:0" (when loaded)
    std::string dtype_name;           // "float32", "bfloat16", "float16"
    std::uint64_t parameter_bytes = 0;
    std::uint64_t mapped_parameter_bytes = 0;  // of parameter_bytes: file-backed (zero-copy) weights
    std::vector<std::string> notes;   // what the load had to say (a converted-weights cache entry written or rebuilt)
    bool ok() const { return status == LoadStatus::Loaded; }
};

// What an Unload gave back, measured (not computed): the probe reads the
// process's RSS and this process's VRAM before and after.
struct UnloadReport {
    bool was_loaded = false;
    std::uint64_t rss_before_bytes = 0;
    std::uint64_t rss_after_bytes = 0;
    std::uint64_t freed_ram_bytes = 0;   // max(0, before - after)
    std::uint64_t vram_before_bytes = 0;  // this process on the model's GPU; 0 on CPU
    std::uint64_t vram_after_bytes = 0;
    std::uint64_t freed_vram_bytes = 0;
    // False when the model was on a GPU and this process's VRAM there could
    // not be measured (see GpuMemory::this_process_known): the three VRAM
    // figures are then 0 and mean nothing, and nobody may claim it came back.
    bool vram_measured = true;
    std::size_t embeddings_dropped = 0;
    std::uint64_t embedding_bytes_dropped = 0;
    std::string device_name;
    double duration_ms = 0.0;
};

enum class EncodeStatus { Encoded = 1, MemoryCacheHit, DiskCacheHit, Refused, NotLoaded, Failed };
const char* encode_status_name(EncodeStatus status);

struct EncodeOutcome {
    EncodeStatus status = EncodeStatus::Failed;
    std::string image_key;   // the cache key (content key + model id)
    std::string message;     // why it was refused or failed
    double duration_ms = 0.0;
    bool ok() const {
        return status == EncodeStatus::Encoded || status == EncodeStatus::MemoryCacheHit ||
               status == EncodeStatus::DiskCacheHit;
    }
};

// Thrown by segment() when there is no model or the image was never encoded.
class SessionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ModelInfo {
    LoadRequest request;
    std::string model_id;     // keys cached embeddings: checkpoint identity + dtype
    std::string device_name;
    std::string dtype_name;
    std::uint64_t parameter_bytes = 0;
    MemoryEstimate estimate;  // the preflight's estimate for this model
};

// What a load would need (device and dtype resolved) and whether it fits now.
struct PreflightReport {
    MemoryEstimate estimate;
    Verdict verdict;
};

// Turns `verdict` into a refusal when the checkpoint folder cannot serve
// `parts` whatever the memory says (detection without the tokenizer files), so
// every preflight (model panel, check-memory, the control API) says so before Load.
void refuse_parts_the_folder_cannot_serve(const std::filesystem::path& folder, PartSet parts, Verdict& verdict);

class ModelSession {
public:
    using ProgressFn = std::function<bool(const LoadProgress&)>;  // false cancels

    explicit ModelSession(std::shared_ptr<MemoryProbe> probe = make_system_memory_probe(),
                          EmbeddingCacheSettings cache = {});
    ~ModelSession();  // unloads
    ModelSession(const ModelSession&) = delete;
    ModelSession& operator=(const ModelSession&) = delete;

    SessionState state() const;
    std::optional<ModelInfo> model_info() const;  // when loaded
    MemoryProbe& probe() const;
    EmbeddingCache& cache();
    // Where CPU loads that convert keep the converted weights (off until a directory is set).
    ConvertedWeightsCache& converted_weights();

    // The estimate and verdict a load() would compute now. Reads only the
    // checkpoint's header and config; allocates no weights. Throws
    // CheckpointError for an unreadable checkpoint.
    PreflightReport preflight(const LoadRequest& request, const BudgetSettings& budget) const;

    // Preflight first: a refusal allocates nothing and returns the verdict.
    // Then streams the weights (Sam3Predictor::load). Cancel with the progress
    // callback or cancel_load(); a cancelled or failed load leaves the session
    // unloaded with nothing allocated. Loading while a model is loaded fails
    // with a message (unload first: the old model's memory must not be counted
    // twice by the preflight).
    LoadOutcome load(const LoadRequest& request, const ProgressFn& progress, const BudgetSettings& budget);
    void cancel_load();  // any thread; no effect when nothing loads

    // Encodes and caches; a key already in the memory cache (or on disk) costs
    // nothing. content_key identifies the image (e.g. a hash of the file's
    // bytes); empty: a hash of the pixels. The budget is checked again first,
    // since other processes may have taken memory since the load.
    // between_steps (optional) runs on this thread between the encode's steps
    // (EncodeStepFn): for progress, and to answer a click on another, already
    // encoded image in the middle of a long encode. segment() called from it
    // runs at once (this thread holds the session; the encode waits for it).
    EncodeOutcome encode(const ImageRgb8& image, const std::string& content_key = {}, const EncodeStepFn& between_steps = {});
    // In the memory cache now, with the features of every loaded path.
    bool is_encoded(const std::string& content_key) const;

    // A click round on an encoded image (content_key as given to encode()).
    // Throws SessionError when unloaded or the image is not encoded.
    SegmentResult segment(const std::string& content_key, const ClickPrompt& prompt);

    // Concept detection on an encoded image (Sam3Predictor::detect). Throws
    // SessionError when unloaded, when detection is not loaded or the image is
    // not encoded; std::invalid_argument (text::PromptTooLong among them) for
    // a prompt the model cannot take.
    DetectResult detect(const std::string& content_key, const DetectPrompt& prompt, const DetectOptions& options = {});

    // Adds parts to the loaded model (e.g. detection to a click model): a
    // preflight of the increment only (the loaded weights are already counted
    // in what the probe reports), then only the missing tensors are streamed.
    // Refused/cancelled/failed: the model keeps what it had. Images encoded
    // before are encoded again when a call needs the new path.
    LoadOutcome add_parts(PartSet parts, const ProgressFn& progress, const BudgetSettings& budget);
    // What add_parts would need now and whether it fits.
    PreflightReport preflight_add_parts(PartSet parts, const BudgetSettings& budget) const;

    // Frees the modules, every cached embedding (memory), the CUDA caching
    // allocator's blocks and the C heap's free pages, and measures what came back.
    UnloadReport unload();

    void set_budget(const BudgetSettings& budget);  // used by encode's re-check
    BudgetSettings budget() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace samlabel::engine
