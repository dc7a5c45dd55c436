#include "core/engine/model_session.h"
#include "core/engine/utf8_path.h"

#include "core/engine/allocator_release.h"
#include "core/engine/checkpoint.h"
#include "core/engine/peak_sampler.h"
#include "core/engine/sam3_parts.h"
#include "core/engine/sam3_predictor.h"

#include <chrono>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>

namespace samlabel::engine {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::uint64_t saturating_sub(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

// Identifies a model for the embedding cache: the same checkpoint files (path,
// size, modification time) at the same dtype give the same embeddings.
std::string make_model_id(const Checkpoint& checkpoint, const std::string& device, const std::string& dtype) {
    std::ostringstream id;
    std::error_code ec;
    id << path_to_utf8(std::filesystem::weakly_canonical(checkpoint.directory(), ec));
    for (const auto& file : checkpoint.files()) {
        const auto size = std::filesystem::file_size(file, ec);
        const auto time = std::filesystem::last_write_time(file, ec).time_since_epoch().count();
        id << '|' << path_to_utf8(file.filename()) << ':' << size << ':' << time;
    }
    // The device type matters (kernels differ slightly), not the ordinal.
    id << '|' << dtype << '|' << device.substr(0, device.find(':'));
    const std::string text = id.str();
    return content_hash_hex(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

// A config.json the paths of `parts` cannot be built from (a field the native
// modules cannot run) refuses the load before any weight is read; the verdict
// names the field. The estimate then holds the default geometry for that path.
void refuse_parts_the_config_cannot_build(const sam3::Sam3CheckpointConfig& config, PartSet parts, Verdict& verdict) {
    try {
        if (part_set_has_click(parts)) config.tracker();
        if (part_set_has_detect(parts)) config.detector();
    } catch (const CheckpointError& e) {
        verdict.fits = false;
        verdict.message = std::string("Refused: ") + e.what();
        verdict.suggestions.clear();
        if (part_set_has_detect(parts) && !config.has_detector() && config.has_tracker())
            verdict.suggestions.push_back("load only the click-to-segment parts");
        if (part_set_has_click(parts) && !config.has_tracker() && config.has_detector())
            verdict.suggestions.push_back("load only the detection parts");
    }
}

}  // namespace

void refuse_parts_the_folder_cannot_serve(const std::filesystem::path& folder, PartSet parts, Verdict& verdict) {
    if (!part_set_has_detect(parts)) return;
    const auto reason = Sam3Predictor::detection_unavailable(folder);
    if (!reason) return;
    verdict.fits = false;
    verdict.message = "Refused: " + *reason + ".";
    verdict.suggestions = {"load only the click-to-segment parts",
                           "add the facebook/sam3 tokenizer files (tokenizer.json, or vocab.json + merges.txt) to the folder"};
}

const char* session_state_name(SessionState state) {
    switch (state) {
    case SessionState::Unloaded: return "unloaded";
    case SessionState::Loading: return "loading";
    case SessionState::Ready: return "ready";
    case SessionState::Busy: return "busy";
    case SessionState::Unloading: return "unloading";
    }
    return "unknown";
}

const char* load_status_name(LoadStatus status) {
    switch (status) {
    case LoadStatus::Loaded: return "loaded";
    case LoadStatus::Refused: return "refused";
    case LoadStatus::Cancelled: return "cancelled";
    case LoadStatus::Failed: return "failed";
    }
    return "unknown";
}

const char* encode_status_name(EncodeStatus status) {
    switch (status) {
    case EncodeStatus::Encoded: return "encoded";
    case EncodeStatus::MemoryCacheHit: return "memory-cache";
    case EncodeStatus::DiskCacheHit: return "disk-cache";
    case EncodeStatus::Refused: return "refused";
    case EncodeStatus::NotLoaded: return "not-loaded";
    case EncodeStatus::Failed: return "failed";
    }
    return "unknown";
}

struct ModelSession::Impl {
    std::shared_ptr<MemoryProbe> probe;
    EmbeddingCache cache;
    ConvertedWeightsCache converted_weights;
    std::atomic<SessionState> state{SessionState::Unloaded};
    std::atomic<bool> cancel{false};

    std::mutex op_mutex;  // one heavy operation at a time
    // The thread inside an encode's between_steps callback: a segment() from
    // there runs under the encode's hold of op_mutex.
    std::atomic<std::thread::id> encode_step_thread{};
    std::unique_ptr<Sam3Predictor> predictor;
    // The latest encode stays usable even when the cache's budget cannot hold it.
    mutable std::mutex pin_mutex;  // is_encoded() reads it without op_mutex
    std::string pinned_key;
    std::shared_ptr<const ImageEmbedding> pinned;

    void pin(std::string key, std::shared_ptr<const ImageEmbedding> embedding) {
        std::lock_guard lock(pin_mutex);
        pinned_key = std::move(key);
        pinned = std::move(embedding);
    }
    bool is_pinned(const std::string& key) const {
        std::lock_guard lock(pin_mutex);
        return !pinned_key.empty() && pinned_key == key;
    }

    mutable std::mutex info_mutex;  // guards info and budget (read by other threads)
    std::optional<ModelInfo> info;
    BudgetSettings budget;

    std::once_flag machine_once;
    MachineCapabilities machine;

    Impl(std::shared_ptr<MemoryProbe> p, EmbeddingCacheSettings c) : probe(std::move(p)), cache(std::move(c)) {}

    const MachineCapabilities& capabilities() {
        std::call_once(machine_once, [this] { machine = machine_capabilities(); });
        return machine;
    }

    PreflightReport preflight(const Checkpoint& checkpoint, const LoadRequest& request, const BudgetSettings& budget) {
        const DeviceSpec device = resolve_device(request.device, capabilities());
        const WeightDType dtype = resolve_dtype(request.dtype, device, capabilities());
        PreflightReport report;
        report.estimate = estimate_load(checkpoint, request.parts, dtype, device);
        report.verdict = samlabel::engine::preflight(report.estimate, probe->system(), probe->gpus(), budget, device);
        refuse_parts_the_config_cannot_build(checkpoint.sam3_config(), request.parts, report.verdict);
        refuse_parts_the_folder_cannot_serve(checkpoint.directory(), request.parts, report.verdict);
        return report;
    }

    // Adding parts to a loaded model: the loaded weights are resident (the
    // probe already counts them), so only the new weights, the larger encode's
    // activations and the margin must fit; the runtime is already paid.
    PreflightReport preflight_increment(const Checkpoint& checkpoint, const ModelInfo& loaded, PartSet parts,
                                        const BudgetSettings& budget) {
        const PartSet wanted = part_set_union(loaded.request.parts, parts);
        PreflightReport report;
        report.estimate = estimate_load(checkpoint, wanted, loaded.estimate.dtype, loaded.estimate.device);
        MemoryEstimate increment = report.estimate;
        increment.weight_bytes = saturating_sub(report.estimate.weight_bytes, loaded.estimate.weight_bytes);
        increment.mapped_weight_bytes = saturating_sub(report.estimate.mapped_weight_bytes, loaded.estimate.mapped_weight_bytes);
        increment.parameters = saturating_sub(report.estimate.parameters, loaded.estimate.parameters);
        increment.runtime_bytes = 0;
        report.verdict = samlabel::engine::preflight(increment, probe->system(), probe->gpus(), budget, loaded.estimate.device);
        refuse_parts_the_config_cannot_build(checkpoint.sam3_config(), wanted, report.verdict);
        refuse_parts_the_folder_cannot_serve(checkpoint.directory(), wanted, report.verdict);
        return report;
    }

    // Before an encode the weights are already resident (counted in what the
    // probe reports as used): only the encode's activation peak and the margin
    // must still fit.
    Verdict preflight_encode(const MemoryEstimate& loaded, const BudgetSettings& budget) {
        MemoryEstimate encode = loaded;
        encode.weight_bytes = 0;
        encode.mapped_weight_bytes = 0;
        encode.runtime_bytes = 0;
        encode.staging_bytes = 0;
        return samlabel::engine::preflight(encode, probe->system(), probe->gpus(), budget, loaded.device);
    }

    std::string model_id() const {
        std::lock_guard lock(info_mutex);
        return info ? info->model_id : std::string();
    }

    std::shared_ptr<const ImageEmbedding> find_embedding(const std::string& key) {
        std::shared_ptr<const ImageEmbedding> found = cache.find(key);  // also refreshes its LRU place
        if (!found) {
            std::lock_guard lock(pin_mutex);
            if (!pinned_key.empty() && key == pinned_key) found = pinned;
        }
        return found && serves_loaded_parts(*found) ? found : nullptr;
    }

    // An embedding made before parts were added lacks the new path's features.
    bool serves_loaded_parts(const ImageEmbedding& embedding) const {
        const PartSet parts = loaded_parts();
        return (!part_set_has_click(parts) || embedding.serves_clicks()) &&
               (!part_set_has_detect(parts) || embedding.serves_detection());
    }

    PartSet loaded_parts() const {
        std::lock_guard lock(info_mutex);
        return info ? info->request.parts : PartSet::ClickToSegment;
    }

    // Frees everything the model holds. Called with op_mutex held.
    void free_model() {
        pin({}, nullptr);
        predictor.reset();
        {
            std::lock_guard lock(info_mutex);
            info.reset();
        }
        release_cached_memory();
    }

    // This process's VRAM on the model's device: 0 on the CPU, nullopt when
    // the GPU's probe cannot tell (or does not list the device).
    std::optional<std::uint64_t> process_vram_bytes(const std::string& device_name) {
        if (device_name.rfind("cuda", 0) != 0) return 0;
        const auto colon = device_name.find(':');
        const int index = colon == std::string::npos ? 0 : std::stoi(device_name.substr(colon + 1));
        for (const GpuMemory& gpu : probe->gpus())
            if (gpu.index == index && gpu.this_process_known) return gpu.used_by_this_process_bytes;
        return std::nullopt;
    }
};

ModelSession::ModelSession(std::shared_ptr<MemoryProbe> probe, EmbeddingCacheSettings cache)
    : impl_(std::make_unique<Impl>(std::move(probe), std::move(cache))) {}

ModelSession::~ModelSession() { unload(); }

SessionState ModelSession::state() const { return impl_->state.load(); }

std::optional<ModelInfo> ModelSession::model_info() const {
    std::lock_guard lock(impl_->info_mutex);
    return impl_->info;
}

MemoryProbe& ModelSession::probe() const { return *impl_->probe; }

EmbeddingCache& ModelSession::cache() { return impl_->cache; }

ConvertedWeightsCache& ModelSession::converted_weights() { return impl_->converted_weights; }

void ModelSession::set_budget(const BudgetSettings& budget) {
    std::lock_guard lock(impl_->info_mutex);
    impl_->budget = budget;
}

BudgetSettings ModelSession::budget() const {
    std::lock_guard lock(impl_->info_mutex);
    return impl_->budget;
}

PreflightReport ModelSession::preflight(const LoadRequest& request, const BudgetSettings& budget) const {
    const std::unique_ptr<Checkpoint> checkpoint = Checkpoint::open(request.checkpoint_dir);
    return impl_->preflight(*checkpoint, request, budget);
}

void ModelSession::cancel_load() { impl_->cancel = true; }

LoadOutcome ModelSession::load(const LoadRequest& request, const ProgressFn& progress, const BudgetSettings& budget) {
    const auto t0 = Clock::now();
    LoadOutcome outcome;
    std::lock_guard op(impl_->op_mutex);
    if (impl_->state != SessionState::Unloaded) {
        outcome.status = LoadStatus::Failed;
        outcome.message = "a model is already loaded: unload it first";
        return outcome;
    }
    impl_->state = SessionState::Loading;
    impl_->cancel = false;
    set_budget(budget);
    outcome.rss_before_bytes = impl_->probe->system().process_rss_bytes;
    std::unique_ptr<Checkpoint> checkpoint;
    std::optional<LoadPeakMeter> peak;
    try {
        checkpoint = Checkpoint::open(request.checkpoint_dir);
        const PreflightReport report = impl_->preflight(*checkpoint, request, budget);
        const MemoryEstimate& estimate = report.estimate;
        const Verdict& verdict = report.verdict;
        outcome.verdict = verdict;
        outcome.estimate = estimate;
        if (!verdict.fits) {
            // Nothing was allocated beyond the checkpoint's header.
            outcome.status = LoadStatus::Refused;
            outcome.message = verdict.message;
        } else if (impl_->cancel) {
            outcome.status = LoadStatus::Cancelled;
            outcome.message = "load cancelled";
        } else {
            // This load's peak, not the process's lifetime's: the OS's counter
            // reset, or sampled (Windows); the probe is then read from the sampler's thread.
            peak.emplace(reset_peak_rss, [probe = impl_->probe] { return memory_figure_for_peak(probe->system()); });
            const auto wrapped = [this, &progress](const LoadProgress& p) {
                if (impl_->cancel) return false;
                return progress ? progress(p) : true;
            };
            // The predictor gets what the preflight resolved, so the estimate
            // and the load agree on the device and dtype.
            impl_->predictor = Sam3Predictor::load(
                *checkpoint, PredictorOptions{estimate.device, estimate.dtype, request.parts, &impl_->converted_weights}, wrapped);
            ModelInfo info;
            info.request = request;
            info.device_name = impl_->predictor->device_name();
            info.dtype_name = impl_->predictor->dtype_name();
            info.parameter_bytes = impl_->predictor->parameter_bytes();
            info.model_id = make_model_id(*checkpoint, info.device_name, info.dtype_name);
            info.estimate = estimate;
            outcome.device_name = info.device_name;
            outcome.dtype_name = info.dtype_name;
            outcome.parameter_bytes = info.parameter_bytes;
            outcome.mapped_parameter_bytes = impl_->predictor->mapped_parameter_bytes();
            outcome.notes = impl_->predictor->load_notes();
            {
                std::lock_guard lock(impl_->info_mutex);
                impl_->info = std::move(info);
            }
            outcome.status = LoadStatus::Loaded;
        }
    } catch (const LoadCancelled&) {
        outcome.status = LoadStatus::Cancelled;
        outcome.message = "load cancelled";
    } catch (const std::exception& e) {
        outcome.status = LoadStatus::Failed;
        outcome.message = e.what();
    }
    checkpoint.reset();  // the map goes: the weights now live in the modules
    if (outcome.status != LoadStatus::Loaded) {
        impl_->free_model();  // a cancelled or failed load leaves nothing behind
        impl_->state = SessionState::Unloaded;
    } else {
        impl_->state = SessionState::Ready;
    }
    const SystemMemory after = impl_->probe->system();
    outcome.rss_after_bytes = after.process_rss_bytes;
    const LoadPeakMeter::Peak load_peak = peak ? peak->finish(after) : LoadPeakMeter::Peak{after.process_peak_rss_bytes, false};
    outcome.peak_rss_bytes = load_peak.bytes;
    outcome.peak_rss_sampled = load_peak.sampled;
    outcome.duration_ms = ms_since(t0);
    impl_->cancel = false;
    return outcome;
}

EncodeOutcome ModelSession::encode(const ImageRgb8& image, const std::string& content_key, const EncodeStepFn& between_steps) {
    const auto t0 = Clock::now();
    EncodeOutcome outcome;
    std::lock_guard op(impl_->op_mutex);
    if (impl_->state != SessionState::Ready || !impl_->predictor) {
        outcome.status = EncodeStatus::NotLoaded;
        outcome.message = "no model is loaded";
        return outcome;
    }
    const std::string key = (content_key.empty() ? image_content_key(image) : content_key) + "|" + impl_->model_id();
    outcome.image_key = key;
    if (impl_->find_embedding(key)) {
        outcome.status = EncodeStatus::MemoryCacheHit;
        outcome.duration_ms = ms_since(t0);
        return outcome;
    }
    // The disk cache holds click features only: a model with the detection
    // path encodes afresh (the detector's per-image features are not stored).
    if (impl_->cache.disk_enabled() && !part_set_has_detect(impl_->loaded_parts())) {
        if (const auto bytes = impl_->cache.read_from_disk(key)) {
            try {
                std::shared_ptr<const ImageEmbedding> embedding = impl_->predictor->deserialize_embedding(*bytes);
                impl_->cache.insert(key, embedding);
                impl_->pin(key, std::move(embedding));
                outcome.status = EncodeStatus::DiskCacheHit;
                outcome.duration_ms = ms_since(t0);
                return outcome;
            } catch (const std::exception&) {
                // An entry from another version or a damaged file: encode afresh.
            }
        }
    }
    // Other processes may have taken memory since the load: check the encode's
    // activation peak against what is available now.
    const BudgetSettings budget = this->budget();
    std::optional<ModelInfo> info = model_info();
    const Verdict verdict = impl_->preflight_encode(info->estimate, budget);
    if (!verdict.fits) {
        outcome.status = EncodeStatus::Refused;
        outcome.message = verdict.message;
        outcome.duration_ms = ms_since(t0);
        return outcome;
    }
    impl_->state = SessionState::Busy;
    try {
        // Unpin the previous image first: when the cache could not hold it, its
        // features must not coexist with the new encode's activation peak.
        impl_->pin({}, nullptr);
        EncodeStepFn steps;
        if (between_steps)
            steps = [&](int step, int count) {
                impl_->encode_step_thread = std::this_thread::get_id();
                struct Leave {
                    Impl* impl;
                    ~Leave() { impl->encode_step_thread = std::thread::id{}; }
                } leave{impl_.get()};
                between_steps(step, count);
            };
        std::shared_ptr<const ImageEmbedding> embedding = impl_->predictor->encode(image, steps);
        impl_->cache.insert(key, embedding);
        if (impl_->cache.disk_enabled() && embedding->serves_clicks()) impl_->cache.write_to_disk(key, *embedding);
        impl_->pin(key, std::move(embedding));
        outcome.status = EncodeStatus::Encoded;
    } catch (const std::exception& e) {
        outcome.status = EncodeStatus::Failed;
        outcome.message = e.what();
    }
    impl_->state = SessionState::Ready;
    outcome.duration_ms = ms_since(t0);
    return outcome;
}

bool ModelSession::is_encoded(const std::string& content_key) const {
    const std::string key = content_key + "|" + impl_->model_id();
    if (impl_->state == SessionState::Unloaded) return false;
    if (const auto embedding = impl_->cache.peek(key)) return impl_->serves_loaded_parts(*embedding);
    std::lock_guard lock(impl_->pin_mutex);
    return !impl_->pinned_key.empty() && impl_->pinned_key == key && impl_->pinned && impl_->serves_loaded_parts(*impl_->pinned);
}

SegmentResult ModelSession::segment(const std::string& content_key, const ClickPrompt& prompt) {
    // From an encode's between_steps on this thread: the encode holds the
    // session (op_mutex, state Busy) and waits for this click.
    if (impl_->encode_step_thread.load() == std::this_thread::get_id()) {
        const std::string key = content_key + "|" + impl_->model_id();
        const std::shared_ptr<const ImageEmbedding> embedding = impl_->find_embedding(key);
        if (!embedding) throw SessionError("the image is not encoded (or its embedding was evicted): encode it first");
        return impl_->predictor->segment(*embedding, prompt);
    }
    std::lock_guard op(impl_->op_mutex);
    if (impl_->state != SessionState::Ready || !impl_->predictor) throw SessionError("no model is loaded");
    const std::string key = content_key + "|" + impl_->model_id();
    const std::shared_ptr<const ImageEmbedding> embedding = impl_->find_embedding(key);
    if (!embedding) throw SessionError("the image is not encoded (or its embedding was evicted): encode it first");
    impl_->state = SessionState::Busy;
    try {
        SegmentResult result = impl_->predictor->segment(*embedding, prompt);
        impl_->state = SessionState::Ready;
        return result;
    } catch (...) {
        impl_->state = SessionState::Ready;
        throw;
    }
}

DetectResult ModelSession::detect(const std::string& content_key, const DetectPrompt& prompt, const DetectOptions& options) {
    std::lock_guard op(impl_->op_mutex);
    if (impl_->state != SessionState::Ready || !impl_->predictor) throw SessionError("no model is loaded");
    if (!part_set_has_detect(impl_->predictor->parts()))
        throw SessionError("concept detection is not loaded: load (or add) the detect parts");
    const std::string key = content_key + "|" + impl_->model_id();
    const std::shared_ptr<const ImageEmbedding> embedding = impl_->find_embedding(key);
    if (!embedding) throw SessionError("the image is not encoded (or its embedding was evicted): encode it first");
    impl_->state = SessionState::Busy;
    try {
        DetectResult result = impl_->predictor->detect(*embedding, prompt, options);
        impl_->state = SessionState::Ready;
        return result;
    } catch (const PartUnavailable& e) {
        impl_->state = SessionState::Ready;
        throw SessionError(e.what());
    } catch (...) {
        impl_->state = SessionState::Ready;
        throw;
    }
}

PreflightReport ModelSession::preflight_add_parts(PartSet parts, const BudgetSettings& budget) const {
    const std::optional<ModelInfo> info = model_info();
    if (!info) throw SessionError("no model is loaded");
    const std::unique_ptr<Checkpoint> checkpoint = Checkpoint::open(info->request.checkpoint_dir);
    return impl_->preflight_increment(*checkpoint, *info, parts, budget);
}

LoadOutcome ModelSession::add_parts(PartSet parts, const ProgressFn& progress, const BudgetSettings& budget) {
    const auto t0 = Clock::now();
    LoadOutcome outcome;
    std::lock_guard op(impl_->op_mutex);
    std::optional<ModelInfo> info = model_info();
    if (impl_->state != SessionState::Ready || !impl_->predictor || !info) {
        outcome.status = LoadStatus::Failed;
        outcome.message = "no model is loaded: load one first";
        return outcome;
    }
    const PartSet wanted = part_set_union(info->request.parts, parts);
    if (wanted == info->request.parts) {
        outcome.status = LoadStatus::Loaded;
        outcome.message = "already loaded";
        outcome.estimate = info->estimate;
        outcome.device_name = info->device_name;
        outcome.dtype_name = info->dtype_name;
        outcome.parameter_bytes = info->parameter_bytes;
        outcome.duration_ms = ms_since(t0);
        return outcome;
    }
    impl_->state = SessionState::Loading;
    impl_->cancel = false;
    outcome.rss_before_bytes = impl_->probe->system().process_rss_bytes;
    std::optional<LoadPeakMeter> peak;
    try {
        const std::unique_ptr<Checkpoint> checkpoint = Checkpoint::open(info->request.checkpoint_dir);
        const PreflightReport report = impl_->preflight_increment(*checkpoint, *info, parts, budget);
        outcome.verdict = report.verdict;
        outcome.estimate = report.estimate;
        if (!report.verdict.fits) {
            outcome.status = LoadStatus::Refused;
            outcome.message = report.verdict.message;
        } else {
            peak.emplace(reset_peak_rss, [probe = impl_->probe] { return memory_figure_for_peak(probe->system()); });
            const auto wrapped = [this, &progress](const LoadProgress& p) {
                if (impl_->cancel) return false;
                return progress ? progress(p) : true;
            };
            const std::size_t notes_before = impl_->predictor->load_notes().size();
            impl_->predictor->add_parts(*checkpoint, wanted, wrapped);
            const auto& notes = impl_->predictor->load_notes();
            outcome.notes.assign(notes.begin() + static_cast<std::ptrdiff_t>(notes_before), notes.end());
            outcome.mapped_parameter_bytes = impl_->predictor->mapped_parameter_bytes();
            info->request.parts = wanted;
            info->parameter_bytes = impl_->predictor->parameter_bytes();
            info->estimate = estimate_load(*checkpoint, wanted, info->estimate.dtype, info->estimate.device);
            outcome.status = LoadStatus::Loaded;
            outcome.device_name = info->device_name;
            outcome.dtype_name = info->dtype_name;
            outcome.parameter_bytes = info->parameter_bytes;
            std::lock_guard lock(impl_->info_mutex);
            impl_->info = *info;
        }
    } catch (const LoadCancelled&) {
        outcome.status = LoadStatus::Cancelled;
        outcome.message = "load cancelled";
    } catch (const std::exception& e) {
        outcome.status = LoadStatus::Failed;
        outcome.message = e.what();
    }
    impl_->state = SessionState::Ready;
    impl_->cancel = false;
    const SystemMemory after = impl_->probe->system();
    outcome.rss_after_bytes = after.process_rss_bytes;
    const LoadPeakMeter::Peak load_peak = peak ? peak->finish(after) : LoadPeakMeter::Peak{after.process_peak_rss_bytes, false};
    outcome.peak_rss_bytes = load_peak.bytes;
    outcome.peak_rss_sampled = load_peak.sampled;
    outcome.duration_ms = ms_since(t0);
    return outcome;
}

UnloadReport ModelSession::unload() {
    const auto t0 = Clock::now();
    impl_->cancel = true;  // a running load stops at its next tensor
    std::lock_guard op(impl_->op_mutex);
    UnloadReport report;
    report.was_loaded = impl_->predictor != nullptr;
    if (const auto info = model_info()) report.device_name = info->device_name;
    if (report.was_loaded) impl_->state = SessionState::Unloading;
    report.rss_before_bytes = impl_->probe->system().process_rss_bytes;
    const std::optional<std::uint64_t> vram_before = impl_->process_vram_bytes(report.device_name);
    const EmbeddingCacheStats stats = impl_->cache.stats();
    report.embeddings_dropped = stats.memory_entries;
    report.embedding_bytes_dropped = impl_->cache.clear_memory();
    impl_->free_model();
    report.rss_after_bytes = impl_->probe->system().process_rss_bytes;
    const std::optional<std::uint64_t> vram_after = impl_->process_vram_bytes(report.device_name);
    report.freed_ram_bytes = saturating_sub(report.rss_before_bytes, report.rss_after_bytes);
    report.vram_measured = vram_before && vram_after;
    if (report.vram_measured) {
        report.vram_before_bytes = *vram_before;
        report.vram_after_bytes = *vram_after;
        report.freed_vram_bytes = saturating_sub(*vram_before, *vram_after);
    }
    impl_->state = SessionState::Unloaded;
    impl_->cancel = false;
    report.duration_ms = ms_since(t0);
    return report;
}

}  // namespace samlabel::engine
