#include "core/engine/sam3_predictor.h"

#include "core/engine/allocator_release.h"
#include "core/engine/checkpoint.h"
#include "core/engine/runtime_info.h"
#include "core/engine/sam3/image_processing.h"
#include "core/engine/sam3/mask_upsample.h"
#include "core/engine/sam3/tracker_model.h"
#include "core/engine/weight_streamer.h"

#include <ATen/record_function.h>
#include <ATen/Context.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace samlabel::engine {
namespace {

using sam3::TrackerConfig;
using sam3::TrackerModel;

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
        return features_.image_embedding.nbytes() + features_.feat_s0.nbytes() + features_.feat_s1.nbytes() +
               features_.click_cache.byte_size();
    }
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
    std::vector<std::uint8_t> out(kEmbeddingMagic, kEmbeddingMagic + 4);
    put(out, kEmbeddingVersion);
    put(out, static_cast<std::int32_t>(width_));
    put(out, static_cast<std::int32_t>(height_));
    for (const torch::Tensor* t : {&features_.image_embedding, &features_.feat_s0, &features_.feat_s1}) {
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
    std::unique_ptr<TrackerModel> model;
    torch::Device device = torch::kCPU;
    torch::ScalarType dtype = torch::kFloat;        // trunk + neck
    torch::ScalarType heads_dtype = torch::kFloat;  // prompt encoder + mask decoder, per-image features
    std::uint64_t parameter_bytes = 0;
};

Sam3Predictor::Sam3Predictor() : impl_(std::make_unique<Impl>()) {}
Sam3Predictor::~Sam3Predictor() = default;

std::unique_ptr<Sam3Predictor> Sam3Predictor::load(const Checkpoint& checkpoint, const PredictorOptions& options,
                                                   const ProgressFn& progress) {
    const TrackerConfig config = [&] {
        try {
            return sam3::parse_tracker_config(checkpoint.config(), sam3::read_processor_json(checkpoint.directory()));
        } catch (const std::exception& e) {
            throw CheckpointError(checkpoint.directory(), "", e.what());
        }
    }();
    const torch::Device device = resolve_device(options.device);
    const torch::ScalarType dtype = resolve_dtype(options.dtype, device);

    std::unique_ptr<Sam3Predictor> predictor(new Sam3Predictor());
    Impl& impl = *predictor->impl_;
    impl.device = device;
    impl.dtype = dtype;
    // The heads (4 M parameters) run on every click. They take the weights'
    // dtype, except bf16 on a CPU without native bf16 matmul (AVX512-BF16 /
    // AMX), where libtorch emulates bf16 GEMMs and fp32 is several times
    // faster. With it, bf16 heads are the faster ones: a full-size click took
    // 27 ms in bf16 against 49 ms in fp32 (EPYC with AVX512-BF16, 2 threads).
    impl.heads_dtype = device.is_cpu() && dtype == torch::kBFloat16 && !runtime_info().cpu_has_bf16 ? torch::kFloat : dtype;
    if (device.is_cpu()) keep_freed_cpu_memory_for_reuse();
    // fp32 on CUDA means fp32: cuDNN convolutions default to TF32 on Ampere and
    // later (10-bit mantissa), which moved the masks off the reference by 1e-3
    // (measured on an H200). Process-wide, as libtorch keeps these flags.
    if (device.is_cuda() && dtype == torch::kFloat) {
        at::globalContext().setAllowTF32CuDNN(false);
        at::globalContext().setAllowTF32CuBLAS(false);
    }
    {
        c10::InferenceMode guard;
        impl.model = std::make_unique<TrackerModel>(config, torch::TensorOptions().dtype(dtype).device(device),
                                                    torch::TensorOptions().dtype(impl.heads_dtype).device(device));
        std::vector<WeightBinding> bindings;
        for (auto& [key, tensor] : impl.model->named_tensors()) {
            impl.parameter_bytes += tensor.nbytes();
            bindings.push_back({key, tensor});
        }
        // On a throw (bad checkpoint, cancel) `predictor` and its modules are
        // destroyed on the way out: nothing stays allocated.
        stream_weights(checkpoint, bindings, progress ? progress : [](const LoadProgress&) { return true; });
        impl.model->weights_loaded();
    }
    return predictor;
}

std::string Sam3Predictor::device_name() const { return impl_->device.str(); }
std::string Sam3Predictor::dtype_name() const { return dtype_string(impl_->dtype); }
std::uint64_t Sam3Predictor::parameter_bytes() const { return impl_->parameter_bytes; }
int Sam3Predictor::model_image_size() const { return impl_->model->config().trunk.image_size; }

std::shared_ptr<const ImageEmbedding> Sam3Predictor::encode(const ImageRgb8& image) const {
    c10::InferenceMode guard;
    const torch::Tensor pixels = sam3::preprocess_image(image, impl_->model->config().processor).to(impl_->device);
    sam3::EncodedImage features = impl_->model->encode(pixels);
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

    const TrackerConfig& c = impl_->model->config();
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
    sam3::EncodedImage features{tensors[0], tensors[1], tensors[2], {}};
    impl_->model->project_for_clicks(features);
    return std::make_shared<Sam3ImageEmbedding>(std::move(features), width, height);
}

SegmentResult Sam3Predictor::segment(const ImageEmbedding& embedding, const ClickPrompt& prompt) const {
    const auto start = std::chrono::steady_clock::now();
    const auto* image = dynamic_cast<const Sam3ImageEmbedding*>(&embedding);
    if (!image) throw std::invalid_argument("segment: the embedding was not made by a SAM3 predictor");
    const TrackerConfig& config = impl_->model->config();
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

    const sam3::DecoderOutput out = impl_->model->decode(image->features(), mp);
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
