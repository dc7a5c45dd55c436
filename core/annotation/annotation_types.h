#pragma once
// The annotation data model: classes, images, instances. Plain value types so
// the project file, the exporters, the GUI and the CLI all share one truth.
// Serialisation lives in project_file.{h,cpp}; edits in edit commands.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace samlabel::annotation {

// Stable class id: assigned once, never reused, never changed by reordering or
// renaming, so existing instances never silently change class.
using ClassId = std::int32_t;
inline constexpr ClassId kNoClass = -1;

struct LabelClass {
    ClassId id = kNoClass;
    std::string name;
    std::uint32_t rgb = 0xff0000;  // 0xRRGGBB
    // Concept detection (find all, auto-label): the text SAM3 is given for this
    // class ("pedestrian" for class "person"); empty means the class name.
    std::string prompt;
    // Detections scoring above this become proposals; unset: the default.
    std::optional<float> threshold;
};

struct Point {
    double x = 0.0;  // pixels, EXIF-corrected image frame, (0,0) = top-left corner
    double y = 0.0;
};

// One connected region: an outer ring and optional holes (rings not closed:
// the last point is not a copy of the first).
struct PolygonWithHoles {
    std::vector<Point> outer;
    std::vector<std::vector<Point>> holes;
};

// Lossless binary mask, COCO-compatible uncompressed RLE: counts of alternating
// 0/1 runs in column-major order, starting with zeros.
struct RleMask {
    int width = 0;
    int height = 0;
    std::vector<std::uint32_t> counts;
    bool operator==(const RleMask&) const = default;
};

// Sam3: a click (the SAM tool); Sam3Detect: concept detection (find all, auto-label).
enum class InstanceSource { Manual = 1, GrabCut, Sam3, Sam3Detect };

// Whether a person has looked at a model's proposal. Auto-label proposals are
// Pending until accepted; instances a person made or picked need no review.
enum class ReviewState { None = 0, Pending, Reviewed };

// An instance is described by polygons, a mask, or both (a mask is the truth
// when present; polygons are then its editable outline).
struct Instance {
    std::uint64_t id = 0;  // unique within the project
    ClassId class_id = kNoClass;
    std::vector<PolygonWithHoles> polygons;
    std::optional<RleMask> mask;
    InstanceSource source = InstanceSource::Manual;
    std::optional<float> score;       // model confidence, when a model made it
    ReviewState review = ReviewState::None;
    std::int64_t created_ms = 0;      // unix epoch milliseconds
    std::int64_t modified_ms = 0;
};

enum class ImageStatus { New = 1, InProgress, Done };

// Where an imported image sat in the dataset it came from, so that exporting
// puts it back there (same split, same file name) instead of re-splitting.
struct DatasetPlacement {
    std::string split;  // "train", "val" or "test"
    std::string path;   // UTF-8 '/' path inside that split's images folder, e.g. "sub/a.jpg"
    bool operator==(const DatasetPlacement&) const = default;
};

// The auto-label run that last proposed instances for an image, so a resumed
// or repeated run with the same model and prompts skips it.
struct AutolabelStamp {
    std::string recipe;      // recipe id: model identity + prompts + thresholds (core/autolabel)
    std::int64_t at_ms = 0;  // unix epoch milliseconds
    bool operator==(const AutolabelStamp&) const = default;
};

struct ImageAnnotations {
    std::string relative_path;  // UTF-8, '/' separators, relative to the image root
    int width = 0;              // EXIF-corrected size; 0 until the image was read
    int height = 0;
    ImageStatus status = ImageStatus::New;
    std::vector<Instance> instances;
    std::optional<DatasetPlacement> placement;  // set by dataset imports
    std::optional<AutolabelStamp> autolabel;    // set by auto-label merges
};

}  // namespace samlabel::annotation
