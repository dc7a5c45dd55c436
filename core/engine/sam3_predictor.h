#pragma once
// SAM3, native libtorch: click-to-segment (vision trunk -> tracker neck ->
// prompt encoder + mask decoder) and concept detection (vision trunk ->
// detector neck; text encoder; geometry encoder, DETR encoder/decoder,
// scoring, mask head). One image encode serves both. Public API in std types
// only; the modules live in core/engine/sam3/.
//
// Not thread-safe: one worker thread owns a predictor (see ModelSession).
#include "core/engine/engine_types.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace samlabel::engine {

class Checkpoint;             // core/engine/checkpoint.h
class ConvertedWeightsCache;  // core/engine/converted_weights_cache.h

struct PredictorOptions {
    DeviceSpec device;
    WeightDType dtype = WeightDType::Auto;
    PartSet parts = PartSet::ClickToSegment;
    // CPU loads that convert (bf16 from an fp32 file) write the converted
    // weights here once and map them on later loads. Not owned; null: none.
    ConvertedWeightsCache* converted_weights = nullptr;
};

// The cached result of one image encode (the per-path features, on the
// model's device). Opaque; share it freely between threads read-only.
class ImageEmbedding {
public:
    virtual ~ImageEmbedding() = default;
    virtual int image_width() const = 0;
    virtual int image_height() const = 0;
    virtual std::uint64_t byte_size() const = 0;
    // The paths this embedding can serve (the model's parts when it was encoded).
    virtual bool serves_clicks() const = 0;
    virtual bool serves_detection() const = 0;
    // fp16 bytes of the click features for the on-disk embedding cache, and back.
    virtual std::vector<std::uint8_t> serialize() const = 0;
};

// Refused: the loaded model lacks the part a call needs, or the checkpoint
// folder lacks what a part needs (e.g. the tokenizer files). The message
// says what is missing and how to get it.
class PartUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Sam3Predictor {
public:
    using ProgressFn = std::function<bool(const LoadProgress&)>;  // false cancels

    // Builds the modules of options.parts only (parameters created directly in
    // the target dtype on the target device, no random init) and streams
    // exactly the tensors they need from the checkpoint. Detection also reads
    // the tokenizer files. Throws CheckpointError on a bad checkpoint,
    // PartUnavailable when detection is asked of a folder without tokenizer
    // files, LoadCancelled on cancel; in every case nothing stays allocated.
    static std::unique_ptr<Sam3Predictor> load(const Checkpoint& checkpoint, const PredictorOptions& options,
                                               const ProgressFn& progress = {});
    ~Sam3Predictor();

    // Why `checkpoint_folder` cannot serve concept detection (its tokenizer
    // files are missing), as a message for the user; nullopt when it can. The
    // preflight asks this before any load.
    static std::optional<std::string> detection_unavailable(const std::filesystem::path& checkpoint_folder);

    // Adds the modules of `parts` the model lacks and streams only their
    // tensors (same checkpoint, device and dtype). On a failure or cancel the
    // model keeps exactly what it had. Embeddings made before do not serve the
    // new path (ImageEmbedding::serves_*): encode those images again.
    void add_parts(const Checkpoint& checkpoint, PartSet parts, const ProgressFn& progress = {});
    PartSet parts() const;

    std::string device_name() const;  // "cpu", "cuda:0"
    std::string dtype_name() const;   // "float32", "bfloat16", "float16"
    std::uint64_t parameter_bytes() const;
    // Of parameter_bytes, the weights that are the checkpoint file's own mapped
    // bytes (CPU, stored dtype = loaded dtype): file-backed, evictable pages.
    std::uint64_t mapped_parameter_bytes() const;
    // Where each bound weight's data lives (for tests and diagnostics).
    struct WeightLocation {
        std::string name;
        std::uintptr_t address = 0;
        std::uint64_t bytes = 0;
    };
    std::vector<WeightLocation> weight_locations() const;
    // What the loads had to say: a converted-weights cache entry written, or
    // found damaged and rebuilt, or not written (no room).
    const std::vector<std::string>& load_notes() const;

    // Runs the vision trunk once, then the per-image work of every loaded path.
    std::shared_ptr<const ImageEmbedding> encode(const ImageRgb8& image, const EncodeStepFn& between_steps = {}) const;
    std::shared_ptr<const ImageEmbedding> deserialize_embedding(const std::vector<std::uint8_t>& bytes) const;

    // Prompt encoder + mask decoder; masks upsampled to the image and thresholded.
    // Throws std::invalid_argument for an embedding of another model or a
    // prompt that cannot be used (non-finite coordinates, inverted box,
    // previous mask of the wrong size); PartUnavailable without the click path.
    SegmentResult segment(const ImageEmbedding& embedding, const ClickPrompt& prompt) const;

    // Concept detection as transformers' Sam3Model + Sam3Processor +
    // post_process_instance_segmentation: every query's score and box, masks
    // for the queries above the threshold. The prompt's text is tokenized as
    // the reference processor does (empty text with boxes: "visual"); its
    // encoding is cached per text. Throws text::PromptTooLong for a prompt over
    // the text encoder's context, std::invalid_argument for unusable boxes,
    // PartUnavailable without the detection path or for an embedding encoded
    // before it was loaded.
    DetectResult detect(const ImageEmbedding& embedding, const DetectPrompt& prompt, const DetectOptions& options = {}) const;
    // The same with the prompt already tokenized (start .. end ids, no padding).
    DetectResult detect_tokens(const ImageEmbedding& embedding, const std::vector<std::int64_t>& token_ids,
                               const std::vector<ExemplarBox>& boxes, const DetectOptions& options = {}) const;
    // The ids the detector would see for `text` (start .. end, no padding).
    std::vector<std::int64_t> tokenize(const std::string& text) const;
    std::size_t cached_text_prompts() const;

    int model_image_size() const;  // the square input the trunk sees, e.g. 1008

    // The resize step of Sam3TrackerProcessor (bilinear, antialiased, on
    // uint8, aspect not kept), exposed so tests can check it on its own.
    static ImageRgb8 processor_resize(const ImageRgb8& image, int width, int height);

private:
    Sam3Predictor();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace samlabel::engine
