#pragma once
// Plain types shared by the engine's public API. No torch here: the GUI, the
// service and the CLI include these without paying for libtorch headers.
#include <cstdint>
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
enum class WeightDType { Auto = 1, F32, BF16, F16 };

// Which parts of the SAM3 checkpoint a session needs.
enum class PartSet {
    ClickToSegment = 1,  // vision trunk + tracker neck + tracker heads
    ClickAndText,        // + detector neck + text encoder + detector
};

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

}  // namespace samlabel::engine
