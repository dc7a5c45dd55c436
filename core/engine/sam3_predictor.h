#pragma once
// SAM3 click-to-segment (the "tracker" path: vision trunk -> tracker neck ->
// prompt encoder + mask decoder), native libtorch. Public API in std types
// only; the modules live in core/engine/sam3/.
//
// Not thread-safe: one worker thread owns a predictor (see ModelSession).
#include "core/engine/engine_types.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>

namespace samlabel::engine {

class Checkpoint;  // core/engine/checkpoint.h

struct PredictorOptions {
    DeviceSpec device;
    WeightDType dtype = WeightDType::Auto;
};

// The cached result of one image encode (trunk + neck features, on the
// model's device). Opaque; share it freely between threads read-only.
class ImageEmbedding {
public:
    virtual ~ImageEmbedding() = default;
    virtual int image_width() const = 0;
    virtual int image_height() const = 0;
    virtual std::uint64_t byte_size() const = 0;
    // fp16 bytes for the on-disk embedding cache, and back.
    virtual std::vector<std::uint8_t> serialize() const = 0;
};

class Sam3Predictor {
public:
    using ProgressFn = std::function<bool(const LoadProgress&)>;  // false cancels

    // Builds the modules for the click-to-segment parts only (parameters
    // created directly in the target dtype on the target device, no random
    // init) and streams exactly the tensors they need from the checkpoint.
    // Throws CheckpointError on a bad checkpoint, LoadCancelled on cancel;
    // in both cases nothing stays allocated.
    static std::unique_ptr<Sam3Predictor> load(const Checkpoint& checkpoint,
                                               const PredictorOptions& options,
                                               const ProgressFn& progress = {});
    ~Sam3Predictor();

    std::string device_name() const;  // "cpu", "cuda:0"
    std::string dtype_name() const;   // "float32", "bfloat16", "float16"
    std::uint64_t parameter_bytes() const;

    // Runs the vision trunk and neck on one RGB image (any size).
    std::shared_ptr<const ImageEmbedding> encode(const ImageRgb8& image) const;
    std::shared_ptr<const ImageEmbedding> deserialize_embedding(const std::vector<std::uint8_t>& bytes) const;

    // Prompt encoder + mask decoder; masks upsampled to the image and thresholded.
    // Throws std::invalid_argument for an embedding of another model or a
    // prompt that cannot be used (non-finite coordinates, inverted box,
    // previous mask of the wrong size).
    SegmentResult segment(const ImageEmbedding& embedding, const ClickPrompt& prompt) const;

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
