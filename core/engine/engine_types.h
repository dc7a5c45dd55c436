#pragma once
// Plain types shared by the engine's public API. No torch here: the GUI, the
// service and the CLI include these without paying for libtorch headers.
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace samlabel::engine {

// Where a model runs. Auto picks CUDA 0 when available, else CPU.
enum class DeviceKind { Auto = 1, Cpu, Cuda };
struct DeviceSpec {
    DeviceKind kind = DeviceKind::Auto;
    int index = 0;  // CUDA ordinal, ignored for CPU
};

// The dtype weights are cast to while streaming. Auto: bf16 on CUDA (fp16 if the
// card lacks bf16), fp32 on CPU unless the CPU has native bf16.
// Called on the encoding thread between the steps of one image encode (the
// trunk's layers, then the path features): step counts from 1 to steps. It
// may report progress, and a caller may run a click on another, already
// encoded image from it (ModelSession::encode); it must not encode.
using EncodeStepFn = std::function<void(int step, int steps)>;

enum class WeightDType { Auto = 1, F32, BF16, F16 };

// Which parts of the SAM3 checkpoint a session needs. The vision trunk is
// shared: one image encode serves clicks and detection.
enum class PartSet {
    ClickToSegment = 1,  // vision trunk + tracker neck + tracker heads
    ClickAndDetect,      // + detector neck + text encoder + detector
    DetectOnly,          // vision trunk + detector neck + text encoder + detector
};
constexpr bool part_set_has_click(PartSet set) { return set != PartSet::DetectOnly; }
constexpr bool part_set_has_detect(PartSet set) { return set != PartSet::ClickToSegment; }
// The smallest set holding both.
constexpr PartSet part_set_union(PartSet a, PartSet b) {
    const bool click = part_set_has_click(a) || part_set_has_click(b);
    const bool detect = part_set_has_detect(a) || part_set_has_detect(b);
    return click && detect ? PartSet::ClickAndDetect : detect ? PartSet::DetectOnly : PartSet::ClickToSegment;
}
constexpr bool part_set_contains(PartSet outer, PartSet inner) { return part_set_union(outer, inner) == outer; }

// Cancellable progress: return false to cancel. Distinct from failure.
struct LoadProgress {
    std::uint64_t bytes_done = 0;
    std::uint64_t bytes_total = 0;
    std::string current_tensor;
};

// Thrown by a load whose progress callback returned false. Distinct from a
// failure (CheckpointError): nothing is wrong, the user changed their mind.
class LoadCancelled : public std::runtime_error {
public:
    LoadCancelled() : std::runtime_error("load cancelled") {}
};

// An 8-bit RGB image, rows tightly packed (width * 3 bytes per row).
struct ImageRgb8 {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;
};

// Prompt coordinates are in pixels of the original (EXIF-corrected) image.
enum class PointLabel { Negative = 0, Positive = 1 };
struct PointPrompt {
    float x = 0.f;
    float y = 0.f;
    PointLabel label = PointLabel::Positive;
};
struct BoxPrompt {
    float x0 = 0.f, y0 = 0.f, x1 = 0.f, y1 = 0.f;
};

// Low-resolution mask logits as the decoder produces them (e.g. 256x256),
// fed back for a refinement round.
struct LowResMaskLogits {
    int width = 0;
    int height = 0;
    std::vector<float> logits;
    // A model in another process (behind the control API) keeps its answers'
    // logits and sends only this name for them, not 3 x 256 KB of floats per
    // click: its answer and the candidate. Set, `logits` is empty; fed back,
    // the server puts its logits in their place.
    struct KeptByServer {
        std::uint64_t answer_id = 0;
        int candidate = 0;
    };
    std::optional<KeptByServer> kept_by_server;
};

struct ClickPrompt {
    std::vector<PointPrompt> points;
    std::optional<BoxPrompt> box;
    std::optional<LowResMaskLogits> previous_mask;
    bool multimask = true;  // 3 candidates; false: 1 mask with the stability fallback
};

struct MaskCandidate {
    int width = 0;   // original image size
    int height = 0;
    std::vector<std::uint8_t> mask;   // width*height, 0 or 1, row-major
    float predicted_iou = 0.f;
    LowResMaskLogits low_res;          // for the next refinement round
};

struct SegmentResult {
    std::vector<MaskCandidate> candidates;  // sorted as the model returns them
    float object_score_logit = 0.f;
    double decode_ms = 0.0;
};

// --- Concept detection: a text and/or exemplar boxes find every instance ---

// An example box in original-image pixels: positive ("more like this") or negative.
struct ExemplarBox {
    float x0 = 0.f, y0 = 0.f, x1 = 0.f, y1 = 0.f;
    bool positive = true;
};

struct DetectPrompt {
    std::string text;                 // empty with boxes: the reference's "visual" prompt
    std::vector<ExemplarBox> boxes;
};

struct DetectOptions {
    float score_threshold = 0.3f;  // keep score > threshold (strict), as the reference
    float mask_threshold = 0.5f;   // mask pixel kept where the upsampled probability > this
    bool raw_outputs = false;      // also return the model's raw outputs (parity tests, debugging)
};

struct Detection {
    int query = 0;        // the decoder query that found it (results keep query order)
    float score = 0.f;    // sigmoid(logit) x sigmoid(presence)
    BoxPrompt box;        // original pixels, xyxy (not clipped, as the reference)
    int width = 0, height = 0;
    std::vector<std::uint8_t> mask;  // width*height, 0 or 1, row-major
};

// The model's outputs before post-processing (DetectOptions::raw_outputs).
struct RawDetectorOutputs {
    std::vector<float> logits;          // [Q] dot-product logits
    std::vector<float> boxes;           // [Q * 4] normalised xyxy
    float presence_logit = 0.f;
    int mask_size = 0;                  // low-res mask side (4 x the trunk's grid)
    std::vector<float> kept_mask_logits;  // [kept * mask_size^2], the detections' order
};

struct DetectResult {
    std::vector<Detection> detections;      // score > threshold, in query order
    std::vector<float> query_scores;        // every query's score, so a UI can re-filter without the model
    std::vector<BoxPrompt> query_boxes;     // every query's box, original pixels
    float presence_score = 0.f;             // sigmoid(presence logit): "is the concept in the image at all"
    std::vector<std::int64_t> token_ids;    // the prompt as the model saw it (start .. end)
    bool text_from_cache = false;
    double text_ms = 0.0, detect_ms = 0.0, masks_ms = 0.0;
    std::optional<RawDetectorOutputs> raw;
};

}  // namespace samlabel::engine
