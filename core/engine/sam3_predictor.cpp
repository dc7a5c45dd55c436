#include "core/engine/sam3_predictor.h"
#include "core/engine/utf8_path.h"

#include "core/engine/allocator_release.h"
#include "core/engine/heap_reuse.h"
#include "core/engine/checkpoint.h"
#include "core/engine/converted_weights_cache.h"
#include "core/engine/runtime_info.h"
#include "core/engine/sam3/common/image_processing.h"
#include "core/engine/sam3/common/mask_upsample.h"
#include "core/engine/sam3/sam3_model.h"
#include "core/engine/sam3/text/clip_tokenizer.h"
#include "core/engine/weight_streamer.h"

#include <ATen/record_function.h>
#include <ATen/Context.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <list>
#include <mutex>
#include <stdexcept>

namespace samlabel::engine {
namespace {

using sam3::TrackerConfig;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Text encodings kept per prompt (keyed by token ids): a few KB each, so a
// generous count; the least recently used goes first.
constexpr std::size_t kTextCacheEntries = 256;
// The reference processor's text for a prompt of boxes only.
constexpr const char* kBoxesOnlyText = "visual";

torch::Device resolve_device(const DeviceSpec& spec) {
    switch (spec.kind) {
        case DeviceKind::Cpu:
            return torch::kCPU;
        case DeviceKind::Cuda:
            if (!torch::cuda::is_available())
                throw std::invalid_argument("CUDA device requested, but this libtorch sees no usable CUDA device");
            if (spec.index < 0 || spec.index >= static_cast<int>(torch::cuda::device_count()))
                throw std::invalid_argument("CUDA device " + std::to_string(spec.index) + " does not exist (" +
                                            std::to_string(torch::cuda::device_count()) + " available)");
            return {torch::kCUDA, static_cast<c10::DeviceIndex>(spec.index)};
        case DeviceKind::Auto:
        default:
            return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    }
}

torch::ScalarType resolve_dtype(WeightDType dtype, const torch::Device& device) {
    switch (dtype) {
        case WeightDType::F32:
            return torch::kFloat;
        case WeightDType::BF16:
            return torch::kBFloat16;
        case WeightDType::F16:
            if (!device.is_cuda())
                throw std::invalid_argument("fp16 weights need a CUDA device; on the CPU use bf16 or fp32");
            return torch::kHalf;
        case WeightDType::Auto:
        default:
            if (device.is_cuda()) return torch::kBFloat16;
            return runtime_info().cpu_has_bf16 ? torch::kBFloat16 : torch::kFloat;
    }
}

WeightDType weight_dtype_of(torch::ScalarType t) {
    switch (t) {
        case torch::kBFloat16: return WeightDType::BF16;
        case torch::kHalf: return WeightDType::F16;
        default: return WeightDType::F32;
    }
}

TensorDType tensor_dtype_of(torch::ScalarType t) {
    switch (t) {
        case torch::kBFloat16: return TensorDType::BF16;
        case torch::kHalf: return TensorDType::F16;
        case torch::kFloat: return TensorDType::F32;
        default: throw std::invalid_argument(std::string("no safetensors dtype for ") + c10::toString(t));
    }
}

std::string dtype_string(torch::ScalarType t) {
    switch (t) {
        case torch::kFloat: return "float32";
        case torch::kBFloat16: return "bfloat16";
        case torch::kHalf: return "float16";
        default: return c10::toString(t);
    }
}

// Embedding cache format: magic, version, image size, then each tensor as
// ndim, dims and fp16 data (little-endian, the platforms samlabel runs on).
constexpr char kEmbeddingMagic[4] = {'S', 'L', '3', 'E'};
constexpr std::uint32_t kEmbeddingVersion = 1;

class Sam3ImageEmbedding final : public ImageEmbedding {
public:
    Sam3ImageEmbedding(sam3::EncodedImage features, int width, int height)
        : features_(std::move(features)), width_(width), height_(height) {}
    int image_width() const override { return width_; }
    int image_height() const override { return height_; }
    std::uint64_t byte_size() const override {
        std::uint64_t bytes = features_.detector.byte_size();
        const sam3::TrackerImage& t = features_.tracker;
        if (t.image_embedding.defined())
            bytes += t.image_embedding.nbytes() + t.feat_s0.nbytes() + t.feat_s1.nbytes() + t.click_cache.byte_size();
        return bytes;
    }
    bool serves_clicks() const override { return features_.tracker.image_embedding.defined(); }
    bool serves_detection() const override { return features_.detector.defined(); }
    std::vector<std::uint8_t> serialize() const override;
    const sam3::EncodedImage& features() const { return features_; }

private:
    sam3::EncodedImage features_;
    int width_, height_;
};

template <typename T>
void put(std::vector<std::uint8_t>& out, T v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
}

std::vector<std::uint8_t> Sam3ImageEmbedding::serialize() const {
    // Only the click features go to disk (the detector's per-image features
    // are ~10x larger); empty when there are none.
    if (!serves_clicks()) return {};
    std::vector<std::uint8_t> out(kEmbeddingMagic, kEmbeddingMagic + 4);
    put(out, kEmbeddingVersion);
    put(out, static_cast<std::int32_t>(width_));
    put(out, static_cast<std::int32_t>(height_));
    const sam3::TrackerImage& tracker = features_.tracker;
    for (const torch::Tensor* t : {&tracker.image_embedding, &tracker.feat_s0, &tracker.feat_s1}) {
        const torch::Tensor half = t->to(torch::kCPU, torch::kHalf).contiguous();
        put(out, static_cast<std::uint32_t>(half.dim()));
        for (int64_t d : half.sizes()) put(out, static_cast<std::int64_t>(d));
        const auto* bytes = static_cast<const std::uint8_t*>(half.data_ptr());
        out.insert(out.end(), bytes, bytes + half.nbytes());
    }
    return out;
}

}  // namespace

struct Sam3Predictor::Impl {
    std::unique_ptr<sam3::Sam3Model> model;
    torch::Device device = torch::kCPU;
    torch::ScalarType dtype = torch::kFloat;        // trunk, neck, detector
    torch::ScalarType heads_dtype = torch::kFloat;  // click path: prompt encoder + mask decoder, per-image features
    std::uint64_t parameter_bytes = 0;
    std::uint64_t mapped_bytes = 0;  // of parameter_bytes: the checkpoint's (or the cache's) mapped bytes themselves
    ConvertedWeightsCache* converted_weights = nullptr;  // not owned; may be null
    std::vector<std::string> load_notes;                 // what the loads had to say (cache rebuilt, ...)
    std::unique_ptr<text::ClipTokenizer> tokenizer;  // with the detection path

    // Text encodings per prompt, most recent first.
    mutable std::mutex text_mutex;
    mutable std::list<std::pair<std::vector<std::int64_t>, torch::Tensor>> text_cache;

    // Binds and streams `tensors` from the checkpoint; counts their bytes.
    // On the CPU a weight loaded in its stored dtype is the mapped file itself
    // (no copy; pages the OS can drop and re-read under pressure), and with a
    // converted-weights cache the converted ones are mapped from their cache
    // entry, written on the first load that converts them.
    void stream(const Checkpoint& checkpoint, const sam3::NamedTensors& tensors, const ProgressFn& progress) {
        std::uint64_t total = 0;
        for (const auto& named : tensors) total += named.second.nbytes();
        const bool cpu = device.is_cpu();
        std::vector<WeightBinding> direct, converted;  // converted: stored in another dtype than loaded
        for (const auto& [key, tensor] : tensors) {
            const auto source = checkpoint.find(key);
            const bool converts = source && torch_dtype_of(source->entry->dtype) != tensor.scalar_type();
            (cpu && converts && converted_weights && converted_weights->enabled() ? converted : direct).push_back({key, tensor});
        }
        // One progress over every source: the bytes streamed so far plus the running call's.
        std::uint64_t done_before = 0, total_stored = 0;
        const auto overall = [&](const LoadProgress& p) {
            LoadProgress q = p;
            q.bytes_done = done_before + p.bytes_done;
            q.bytes_total = std::max(total_stored, q.bytes_done);
            return progress ? progress(q) : true;
        };
        const auto stored_size = [](const Checkpoint& from, const std::string& key) -> std::uint64_t {
            const auto found = from.find(key);
            return found ? found->entry->byte_size() : 0;
        };
        for (const auto& b : direct) total_stored += stored_size(checkpoint, b.checkpoint_key);
        // Converted weights are counted below, once it is known which come from
        // the cache entry (its bytes) and which from the checkpoint (its bytes).
        const WeightPlacement placement = cpu ? WeightPlacement::MapWhereSame : WeightPlacement::Copy;

        std::uint64_t mapped = 0;
        if (!converted.empty()) {
            const ConvertedWeightsKey key = ConvertedWeightsCache::key_for(checkpoint, weight_dtype_of(dtype));
            std::string note;
            const std::unique_ptr<Checkpoint> entry = converted_weights->open_verified(key, &note);
            if (!note.empty()) load_notes.push_back(note);
            // What the entry already holds is mapped from it; the rest is converted now.
            std::vector<WeightBinding> cached, to_convert;
            for (const WeightBinding& b : converted) {
                const auto hit = entry ? entry->find(b.checkpoint_key) : std::nullopt;
                const bool usable = hit && torch_dtype_of(hit->entry->dtype) == b.destination.scalar_type() &&
                                    std::equal(hit->entry->shape.begin(), hit->entry->shape.end(), b.destination.sizes().begin(),
                                               b.destination.sizes().end());
                (usable ? cached : to_convert).push_back(b);
                total_stored += usable ? hit->entry->byte_size() : stored_size(checkpoint, b.checkpoint_key);
            }
            if (!cached.empty()) {
                const StreamStats stats = stream_weights(*entry, cached, overall, WeightPlacement::MapWhereSame);
                done_before += stats.bytes_read;
                mapped += stats.bytes_mapped;
            }
            if (!to_convert.empty()) {
                const StreamStats stats = stream_weights(checkpoint, to_convert, overall, placement);
                done_before += stats.bytes_read;
                // Write the entry (what it held plus what was just converted), then
                // map every converted weight from it: their anonymous copies go.
                std::vector<ConvertedWeightsCache::TensorBytes> bytes;
                for (const WeightBinding& b : converted)
                    bytes.push_back({b.checkpoint_key, tensor_dtype_of(b.destination.scalar_type()), b.destination.sizes().vec(),
                                     static_cast<const std::byte*>(b.destination.data_ptr()), static_cast<std::uint64_t>(b.destination.nbytes())});
                note.clear();
                if (converted_weights->write(key, bytes, &note)) {
                    const std::unique_ptr<Checkpoint> written = Checkpoint::open(converted_weights->path_for(key));
                    mapped = stream_weights(*written, converted, {}, WeightPlacement::MapWhereSame).bytes_mapped;
                    load_notes.push_back("converted weights cached in " + path_to_utf8(converted_weights->path_for(key)) +
                                         ": later loads map them");
                } else if (!note.empty()) {
                    load_notes.push_back(note);
                }
            }
        }
        if (!direct.empty()) mapped += stream_weights(checkpoint, direct, overall, placement).bytes_mapped;
        parameter_bytes += total;
        mapped_bytes += mapped;
    }

    // The tokenizer from the checkpoint folder, checked against the text encoder.
    void load_tokenizer(const Checkpoint& checkpoint) {
        const std::filesystem::path folder = checkpoint.directory();
        if (const auto reason = Sam3Predictor::detection_unavailable(folder)) throw PartUnavailable(*reason);
        try {
            tokenizer = std::make_unique<text::ClipTokenizer>(text::ClipTokenizer::from_folder(folder));
        } catch (const text::TokenizerError& e) {
            throw CheckpointError(folder, "", e.what());
        }
    }

    // Encoded text states [L, C] for the ids, cached.
    torch::Tensor text_states(const std::vector<std::int64_t>& ids, bool& from_cache) const {
        {
            std::lock_guard lock(text_mutex);
            for (auto it = text_cache.begin(); it != text_cache.end(); ++it)
                if (it->first == ids) {
                    text_cache.splice(text_cache.begin(), text_cache, it);
                    from_cache = true;
                    return text_cache.front().second;
                }
        }
        from_cache = false;
        const sam3::TextEncoderConfig& config = model->detector().config().text;
        for (std::int64_t id : ids)
            if (id < 0 || id >= config.vocab_size)
                throw std::invalid_argument("token id " + std::to_string(id) + " is outside the text encoder's vocabulary of " +
                                            std::to_string(config.vocab_size));
        const torch::Tensor ids_tensor = torch::tensor(ids, torch::kLong).to(device);
        torch::Tensor states = model->detector().encode_text(ids_tensor);
        std::lock_guard lock(text_mutex);
        text_cache.emplace_front(ids, states);
        if (text_cache.size() > kTextCacheEntries) text_cache.pop_back();
        return states;
    }
};

Sam3Predictor::Sam3Predictor() : impl_(std::make_unique<Impl>()) {}
Sam3Predictor::~Sam3Predictor() = default;

std::unique_ptr<Sam3Predictor> Sam3Predictor::load(const Checkpoint& checkpoint, const PredictorOptions& options,
                                                   const ProgressFn& progress) {
    const torch::Device device = resolve_device(options.device);
    const torch::ScalarType dtype = resolve_dtype(options.dtype, device);

    std::unique_ptr<Sam3Predictor> predictor(new Sam3Predictor());
    Impl& impl = *predictor->impl_;
    impl.device = device;
    impl.dtype = dtype;
    impl.converted_weights = options.converted_weights;
    // The click heads (4 M parameters) run on every click. They take the
    // weights' dtype, except bf16 on a CPU without native bf16 matmul
    // (AVX512-BF16 / AMX), where libtorch emulates bf16 GEMMs and fp32 is
    // several times faster. With it, bf16 heads are the faster ones: a
    // full-size click took 27 ms in bf16 against 49 ms in fp32 (EPYC with
    // AVX512-BF16, 2 threads).
    impl.heads_dtype = device.is_cpu() && dtype == torch::kBFloat16 && !runtime_info().cpu_has_bf16 ? torch::kFloat : dtype;
    if (device.is_cpu()) keep_freed_cpu_memory_for_reuse();
    // fp32 on CUDA means fp32: cuDNN convolutions default to TF32 on Ampere and
    // later (10-bit mantissa), which moved the masks off the reference by 1e-3
    // (measured on an H200). Process-wide, as libtorch keeps these flags.
    if (device.is_cuda() && dtype == torch::kFloat) {
        at::globalContext().setAllowTF32CuDNN(false);
        at::globalContext().setAllowTF32CuBLAS(false);
    }
    // Before any allocation: a folder that cannot serve detection is refused up front.
    if (part_set_has_detect(options.parts)) impl.load_tokenizer(checkpoint);
    {
        c10::InferenceMode guard;
        try {
            impl.model = std::make_unique<sam3::Sam3Model>(
                checkpoint.sam3_config(), options.parts, torch::TensorOptions().dtype(dtype).device(device),
                torch::TensorOptions().dtype(impl.heads_dtype).device(device));
        } catch (const CheckpointError&) {
            throw;  // names the folder and config.json's field already
        } catch (const std::exception& e) {
            throw CheckpointError(checkpoint.directory(), "", e.what());
        }
        if (impl.tokenizer && impl.tokenizer->vocab_size() > static_cast<std::size_t>(impl.model->detector().config().text.vocab_size))
            throw CheckpointError(checkpoint.directory(), "",
                                  "the tokenizer has " + std::to_string(impl.tokenizer->vocab_size()) +
                                      " tokens but the text encoder's vocabulary has " +
                                      std::to_string(impl.model->detector().config().text.vocab_size));
        // On a throw (bad checkpoint, cancel) `predictor` and its modules are
        // destroyed on the way out: nothing stays allocated.
        impl.stream(checkpoint, impl.model->named_tensors(), progress);
        impl.model->weights_loaded();
    }
    return predictor;
}

void Sam3Predictor::add_parts(const Checkpoint& checkpoint, PartSet parts, const ProgressFn& progress) {
    Impl& impl = *impl_;
    const PartSet before = impl.model->parts();
    if (part_set_contains(before, parts)) return;
    const bool adds_detection = part_set_has_detect(parts) && !impl.model->has_detector();
    if (adds_detection) impl.load_tokenizer(checkpoint);
    c10::InferenceMode guard;
    try {
        sam3::NamedTensors added;
        try {
            added = impl.model->add_parts(parts);
        } catch (const std::invalid_argument& e) {
            throw CheckpointError(checkpoint.directory(), "", e.what());
        }
        impl.stream(checkpoint, added, progress);
        impl.model->weights_loaded();
    } catch (...) {
        impl.model->keep_only(before);  // the new modules (and their memory) go
        if (adds_detection) impl.tokenizer.reset();
        release_cached_memory();
        throw;
    }
}

PartSet Sam3Predictor::parts() const { return impl_->model->parts(); }

std::optional<std::string> Sam3Predictor::detection_unavailable(const std::filesystem::path& folder) {
    const std::vector<std::string> missing = text::ClipTokenizer::missing_files(folder);
    if (missing.empty()) return std::nullopt;
    // Either tokenizer.json alone or vocab.json + merges.txt will do.
    const bool neither = missing.size() == 1 && missing[0] == "tokenizer.json";
    return "text prompts need the tokenizer files in " + path_to_utf8(folder) + ": " +
           (neither ? std::string("tokenizer.json (or vocab.json + merges.txt) is missing")
                    : missing[0] + " is missing beside " + (missing[0] == "vocab.json" ? "merges.txt" : "vocab.json")) +
           "; click-to-segment works without them";
}

std::string Sam3Predictor::device_name() const { return impl_->device.str(); }
std::string Sam3Predictor::dtype_name() const { return dtype_string(impl_->dtype); }
std::uint64_t Sam3Predictor::parameter_bytes() const { return impl_->parameter_bytes; }
std::uint64_t Sam3Predictor::mapped_parameter_bytes() const { return impl_->mapped_bytes; }
const std::vector<std::string>& Sam3Predictor::load_notes() const { return impl_->load_notes; }

std::vector<Sam3Predictor::WeightLocation> Sam3Predictor::weight_locations() const {
    std::vector<WeightLocation> out;
    for (const auto& [name, tensor] : impl_->model->named_tensors())
        out.push_back({name, reinterpret_cast<std::uintptr_t>(tensor.data_ptr()), static_cast<std::uint64_t>(tensor.nbytes())});
    return out;
}
int Sam3Predictor::model_image_size() const { return impl_->model->image_size(); }

std::shared_ptr<const ImageEmbedding> Sam3Predictor::encode(const ImageRgb8& image, const EncodeStepFn& between_steps) const {
    c10::InferenceMode guard;
    const torch::Tensor pixels = sam3::preprocess_image(image, impl_->model->processor()).to(impl_->device);
    sam3::EncodedImage features = impl_->model->encode(pixels, between_steps);
    // CUDA runs asynchronously: wait here so the encode time the app shows is
    // the GPU's work, and the first click does not pay for it instead.
    if (impl_->device.is_cuda()) torch::cuda::synchronize(impl_->device.index());
    return std::make_shared<Sam3ImageEmbedding>(std::move(features), image.width, image.height);
}

std::shared_ptr<const ImageEmbedding> Sam3Predictor::deserialize_embedding(const std::vector<std::uint8_t>& bytes) const {
    std::size_t pos = 0;
    auto take = [&](void* dst, std::size_t n) {
        if (pos + n > bytes.size()) throw std::invalid_argument("embedding cache entry is truncated");
        std::memcpy(dst, bytes.data() + pos, n);
        pos += n;
    };
    char magic[4];
    take(magic, 4);
    if (std::memcmp(magic, kEmbeddingMagic, 4) != 0) throw std::invalid_argument("embedding cache entry: not a SAM3 embedding");
    std::uint32_t version = 0;
    take(&version, sizeof version);
    if (version != kEmbeddingVersion)
        throw std::invalid_argument("embedding cache entry: version " + std::to_string(version) + " is not supported");
    std::int32_t width = 0, height = 0;
    take(&width, sizeof width);
    take(&height, sizeof height);
    if (width <= 0 || height <= 0) throw std::invalid_argument("embedding cache entry: bad image size");

    if (!impl_->model->has_tracker())
        throw std::invalid_argument("embedding cache entry: holds click features, but this model has no click path");
    const sam3::TrackerModel& tracker = impl_->model->tracker();
    const TrackerConfig& c = tracker.config();
    const int64_t fpn = c.neck.fpn_hidden_size, g = c.trunk.grid_size();
    const std::vector<std::vector<int64_t>> expected{{1, fpn, g, g}, {1, fpn / 8, 4 * g, 4 * g}, {1, fpn / 4, 2 * g, 2 * g}};
    std::vector<torch::Tensor> tensors;
    c10::InferenceMode guard;
    for (const auto& shape : expected) {
        std::uint32_t ndim = 0;
        take(&ndim, sizeof ndim);
        std::vector<int64_t> dims(ndim);
        for (auto& d : dims) take(&d, sizeof d);
        if (dims != shape) throw std::invalid_argument("embedding cache entry was made by a model with another configuration");
        torch::Tensor half = torch::empty(dims, torch::kHalf);
        take(half.data_ptr(), half.nbytes());
        tensors.push_back(half.to(impl_->device, impl_->heads_dtype));
    }
    if (pos != bytes.size()) throw std::invalid_argument("embedding cache entry has trailing bytes");
    sam3::EncodedImage features;
    features.tracker = sam3::TrackerImage{tensors[0], tensors[1], tensors[2], {}};
    tracker.project_for_clicks(features.tracker);
    return std::make_shared<Sam3ImageEmbedding>(std::move(features), width, height);
}

SegmentResult Sam3Predictor::segment(const ImageEmbedding& embedding, const ClickPrompt& prompt) const {
    const auto start = std::chrono::steady_clock::now();
    const auto* image = dynamic_cast<const Sam3ImageEmbedding*>(&embedding);
    if (!image) throw std::invalid_argument("segment: the embedding was not made by a SAM3 predictor");
    if (!impl_->model->has_tracker()) throw PartUnavailable("click-to-segment is not loaded: load the click parts");
    if (!image->serves_clicks())
        throw PartUnavailable("this image was encoded before click-to-segment was loaded: encode it again");
    const sam3::TrackerModel& tracker = impl_->model->tracker();
    const TrackerConfig& config = tracker.config();
    const int width = image->image_width(), height = image->image_height();
    c10::InferenceMode inference;
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat);

    sam3::ModelPrompt mp;
    mp.multimask = prompt.multimask;
    if (!prompt.points.empty()) {
        const auto n = static_cast<int64_t>(prompt.points.size());
        mp.points = torch::empty({1, 1, n, 2}, f32);
        mp.labels = torch::empty({1, 1, n}, torch::kLong);
        auto pts = mp.points.accessor<float, 4>();
        auto lbl = mp.labels.accessor<int64_t, 3>();
        for (int64_t i = 0; i < n; ++i) {
            const PointPrompt& p = prompt.points[i];
            if (!std::isfinite(p.x) || !std::isfinite(p.y)) throw std::invalid_argument("segment: point " + std::to_string(i) + " is not finite");
            pts[0][0][i][0] = sam3::scale_x(p.x, width, config.processor);
            pts[0][0][i][1] = sam3::scale_y(p.y, height, config.processor);
            lbl[0][0][i] = p.label == PointLabel::Positive ? sam3::kLabelPositive : sam3::kLabelNegative;
        }
        mp.points = mp.points.to(impl_->device);
        mp.labels = mp.labels.to(impl_->device);
    }
    if (prompt.box) {
        const BoxPrompt& b = *prompt.box;
        if (!std::isfinite(b.x0) || !std::isfinite(b.y0) || !std::isfinite(b.x1) || !std::isfinite(b.y1))
            throw std::invalid_argument("segment: box is not finite");
        if (b.x1 < b.x0 || b.y1 < b.y0) throw std::invalid_argument("segment: box corners are inverted (need x0 <= x1, y0 <= y1)");
        mp.box = torch::tensor({sam3::scale_x(b.x0, width, config.processor), sam3::scale_y(b.y0, height, config.processor),
                                sam3::scale_x(b.x1, width, config.processor), sam3::scale_y(b.y1, height, config.processor)}, f32)
                     .view({1, 1, 4})
                     .to(impl_->device);
    }
    if (prompt.previous_mask) {
        const LowResMaskLogits& m = *prompt.previous_mask;
        if (m.width <= 0 || m.height <= 0 || m.logits.size() != static_cast<std::size_t>(m.width) * m.height)
            throw std::invalid_argument("segment: previous mask has " + std::to_string(m.logits.size()) + " logits for " +
                                        std::to_string(m.width) + "x" + std::to_string(m.height));
        mp.mask = torch::from_blob(const_cast<float*>(m.logits.data()), {1, 1, m.height, m.width}, f32).clone().to(impl_->device);
    }

    const sam3::DecoderOutput out = tracker.decode(image->features().tracker, mp);
    RECORD_USER_SCOPE("sam3.postprocess");
    const torch::Tensor low_res = out.masks.to(torch::kCPU, torch::kFloat).contiguous();  // [1, K, h, w]
    const torch::Tensor iou = out.iou_scores.to(torch::kCPU, torch::kFloat).contiguous();

    SegmentResult result;
    const int64_t k = low_res.size(1), lh = low_res.size(2), lw = low_res.size(3);
    const std::size_t pixels = static_cast<std::size_t>(width) * height;
    std::vector<std::uint8_t*> mask_buffers;
    result.candidates.resize(static_cast<std::size_t>(k));
    for (int64_t i = 0; i < k; ++i) {
        MaskCandidate& c = result.candidates[i];
        c.width = width;
        c.height = height;
        c.mask.resize(pixels);
        mask_buffers.push_back(c.mask.data());
        c.predicted_iou = iou[0][i].item<float>();
        c.low_res.width = static_cast<int>(lw);
        c.low_res.height = static_cast<int>(lh);
        const float* logits = low_res[0][i].data_ptr<float>();
        c.low_res.logits.assign(logits, logits + lw * lh);
    }
    // Upsampled and thresholded straight into the candidates' masks (from the
    // fp32 copy on the CPU; on the model's device elsewhere).
    sam3::upsample_threshold_masks(impl_->device.is_cpu() ? low_res[0] : out.masks[0], height, width, mask_buffers);
    result.object_score_logit = out.object_score_logits.to(torch::kCPU, torch::kFloat).item<float>();
    result.decode_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return result;
}

std::vector<std::int64_t> Sam3Predictor::tokenize(const std::string& text) const {
    if (!impl_->tokenizer) throw PartUnavailable("concept detection is not loaded: load the detect parts");
    const int context = impl_->model->detector().config().text.max_position_embeddings;
    const text::TokenizedPrompt tokens = impl_->tokenizer->encode(text, context);
    return {tokens.input_ids.begin(), tokens.input_ids.begin() + tokens.valid_length};
}

std::size_t Sam3Predictor::cached_text_prompts() const {
    std::lock_guard lock(impl_->text_mutex);
    return impl_->text_cache.size();
}

DetectResult Sam3Predictor::detect(const ImageEmbedding& embedding, const DetectPrompt& prompt, const DetectOptions& options) const {
    if (!impl_->model->has_detector()) throw PartUnavailable("concept detection is not loaded: load the detect parts");
    if (prompt.text.empty() && prompt.boxes.empty())
        throw std::invalid_argument("detect: the prompt is empty: give a text, exemplar boxes, or both");
    // The reference processor's text for a boxes-only prompt.
    const std::vector<std::int64_t> ids = tokenize(prompt.text.empty() ? kBoxesOnlyText : prompt.text);
    return detect_tokens(embedding, ids, prompt.boxes, options);
}

DetectResult Sam3Predictor::detect_tokens(const ImageEmbedding& embedding, const std::vector<std::int64_t>& ids,
                                          const std::vector<ExemplarBox>& boxes, const DetectOptions& options) const {
    const auto* image = dynamic_cast<const Sam3ImageEmbedding*>(&embedding);
    if (!image) throw std::invalid_argument("detect: the embedding was not made by a SAM3 predictor");
    if (!impl_->model->has_detector()) throw PartUnavailable("concept detection is not loaded: load the detect parts");
    if (!image->serves_detection())
        throw PartUnavailable("this image was encoded before concept detection was loaded: encode it again");
    if (ids.size() < 2) throw std::invalid_argument("detect: a prompt needs at least the start and end tokens");
    if (!(options.score_threshold >= 0.f && options.score_threshold <= 1.f) ||
        !(options.mask_threshold >= 0.f && options.mask_threshold <= 1.f))
        throw std::invalid_argument("detect: thresholds must lie in [0, 1]");
    const int width = image->image_width(), height = image->image_height();
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        const ExemplarBox& b = boxes[i];
        if (!std::isfinite(b.x0) || !std::isfinite(b.y0) || !std::isfinite(b.x1) || !std::isfinite(b.y1))
            throw std::invalid_argument("detect: exemplar box " + std::to_string(i) + " is not finite");
        if (b.x1 < b.x0 || b.y1 < b.y0)
            throw std::invalid_argument("detect: exemplar box " + std::to_string(i) + " has inverted corners (need x0 <= x1, y0 <= y1)");
    }
    const sam3::DetectorModel& detector = impl_->model->detector();
    const sam3::DetectorImage& features = image->features().detector;
    c10::InferenceMode inference;
    DetectResult result;
    result.token_ids = ids;

    auto t0 = Clock::now();
    const torch::Tensor text = impl_->text_states(ids, result.text_from_cache);
    result.text_ms = ms_since(t0);

    t0 = Clock::now();
    torch::Tensor box_tensor, labels;
    if (!boxes.empty()) {
        // Sam3Processor: pixels / original size, then (cx, cy, w, h), in fp32.
        const auto n = static_cast<int64_t>(boxes.size());
        box_tensor = torch::empty({n, 4}, torch::kFloat);
        labels = torch::empty({n}, torch::kLong);
        auto b = box_tensor.accessor<float, 2>();
        auto l = labels.accessor<int64_t, 1>();
        const auto w = static_cast<float>(width), h = static_cast<float>(height);
        for (int64_t i = 0; i < n; ++i) {
            const ExemplarBox& e = boxes[static_cast<std::size_t>(i)];
            const float x0 = e.x0 / w, y0 = e.y0 / h, x1 = e.x1 / w, y1 = e.y1 / h;
            b[i][0] = (x0 + x1) / 2;
            b[i][1] = (y0 + y1) / 2;
            b[i][2] = x1 - x0;
            b[i][3] = y1 - y0;
            l[i] = e.positive ? 1 : 0;
        }
        box_tensor = box_tensor.to(impl_->device);
        labels = labels.to(impl_->device);
    }
    const sam3::DetectorOutput out = detector.detect(features, text, box_tensor, labels);

    // post_process_instance_segmentation: score = sigmoid(logit) x sigmoid(presence), kept if > threshold.
    const torch::Tensor logits = out.logits.to(torch::kCPU).contiguous();
    const torch::Tensor presence = out.presence_logit.to(torch::kCPU);
    const torch::Tensor scores = (logits.sigmoid() * presence.sigmoid()).contiguous();
    const torch::Tensor scale = torch::tensor({static_cast<float>(width), static_cast<float>(height),
                                               static_cast<float>(width), static_cast<float>(height)});
    const torch::Tensor boxes_px = (out.boxes.to(torch::kCPU) * scale).contiguous();
    result.detect_ms = ms_since(t0);
    result.presence_score = presence.sigmoid().item<float>();
    const int64_t q = scores.size(0);
    const float* score = scores.data_ptr<float>();
    const float* box = boxes_px.data_ptr<float>();
    std::vector<int64_t> kept;
    for (int64_t i = 0; i < q; ++i) {
        result.query_scores.push_back(score[i]);
        result.query_boxes.push_back(BoxPrompt{box[4 * i], box[4 * i + 1], box[4 * i + 2], box[4 * i + 3]});
        if (score[i] > options.score_threshold) kept.push_back(i);
    }

    t0 = Clock::now();
    torch::Tensor mask_logits;
    if (!kept.empty()) {
        mask_logits = detector.mask_logits(features, out, torch::tensor(kept, torch::kLong));  // [K, m, m] fp32
        std::vector<std::uint8_t*> buffers;
        result.detections.resize(kept.size());
        for (std::size_t k = 0; k < kept.size(); ++k) {
            Detection& d = result.detections[k];
            d.query = static_cast<int>(kept[k]);
            d.score = score[kept[k]];
            d.box = result.query_boxes[static_cast<std::size_t>(kept[k])];
            d.width = width;
            d.height = height;
            d.mask.resize(static_cast<std::size_t>(width) * height);
            buffers.push_back(d.mask.data());
        }
        // The reference interpolates the probabilities (sigmoid first), then thresholds.
        const torch::Tensor probabilities = mask_logits.sigmoid();
        sam3::upsample_threshold_masks(impl_->device.is_cpu() ? probabilities.contiguous() : probabilities, height, width,
                                       buffers, options.mask_threshold);
    }
    if (impl_->device.is_cuda()) torch::cuda::synchronize(impl_->device.index());
    result.masks_ms = ms_since(t0);

    if (options.raw_outputs) {
        RawDetectorOutputs raw;
        raw.logits.assign(logits.data_ptr<float>(), logits.data_ptr<float>() + q);
        const torch::Tensor normalised = out.boxes.to(torch::kCPU).contiguous();
        raw.boxes.assign(normalised.data_ptr<float>(), normalised.data_ptr<float>() + 4 * q);
        raw.presence_logit = presence.item<float>();
        raw.mask_size = static_cast<int>(features.grid_height * 4);
        if (mask_logits.defined()) {
            const torch::Tensor m = mask_logits.to(torch::kCPU).contiguous();
            raw.kept_mask_logits.assign(m.data_ptr<float>(), m.data_ptr<float>() + m.numel());
        }
        result.raw = std::move(raw);
    }
    return result;
}

ImageRgb8 Sam3Predictor::processor_resize(const ImageRgb8& image, int width, int height) {
    c10::InferenceMode guard;
    const torch::Tensor resized = sam3::resize_rgb8(image, height, width)[0].permute({1, 2, 0}).contiguous();
    ImageRgb8 out;
    out.width = width;
    out.height = height;
    const auto* p = resized.data_ptr<std::uint8_t>();
    out.pixels.assign(p, p + resized.numel());
    return out;
}

}  // namespace samlabel::engine
