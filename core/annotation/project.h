#pragma once
// The whole annotation project in memory: label classes in display order and
// the annotations of every image, keyed by the image's relative path.
//
// Mutations are plain member functions; the GUI never calls them directly but
// goes through edit_operations.h so every change can be undone exactly.
#include "core/annotation/annotation_types.h"
#include "core/annotation/natural_order.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace samlabel::annotation {

// Thrown when an edit does not fit the project's state (unknown class id,
// duplicate class name, missing image or instance). The message says which.
class ProjectError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

struct StatusCounts {
    std::size_t new_images = 0;
    std::size_t in_progress = 0;
    std::size_t done = 0;
    std::size_t total() const { return new_images + in_progress + done; }
};

// Current wall-clock time as unix epoch milliseconds (for Instance timestamps).
std::int64_t unix_now_ms();

// Images sorted naturally by relative path (img2 before img10).
using ImageMap = std::map<std::string, ImageAnnotations, NaturalLess>;

class Project {
public:
    // ---- classes (display order; ids are stable and never reused) ----------
    const std::vector<LabelClass>& classes() const { return classes_; }
    const LabelClass* find_class(ClassId id) const;
    const LabelClass* find_class_by_name(std::string_view name) const;
    // Display position of a class, if present.
    std::optional<std::size_t> class_index(ClassId id) const;

    // Appends a class with a fresh id (next_class_id, then incremented).
    // Throws ProjectError on an empty name or a name already in use.
    ClassId add_class(std::string name, std::uint32_t rgb);
    // Re-inserts a class with its own id at a display position (undo of a
    // removal, or loading). Throws if the id or the name is already present
    // or id < 0. Raises next_class_id above the id if needed.
    void insert_class(std::size_t index, LabelClass cls);
    void rename_class(ClassId id, std::string name);       // throws on empty/duplicate
    void recolour_class(ClassId id, std::uint32_t rgb);
    // Concept-detection prompt and threshold (see LabelClass). Throws for an
    // unknown class or a threshold outside [0, 1].
    void set_class_prompt(ClassId id, std::string prompt, std::optional<float> threshold);
    // Moves a class to a new display position (clamped to the end). Instances
    // keep their class id, so reordering never relabels anything.
    void move_class(ClassId id, std::size_t new_index);
    // Removes only the class entry and returns it. Instances that still use
    // the id are left alone; RemoveClass (edit_operations.h) first reassigns
    // them (to another class or to kNoClass = "unassigned").
    LabelClass remove_class(ClassId id);

    ClassId next_class_id() const { return next_class_id_; }
    void set_next_class_id(ClassId id);  // throws if <= an existing id

    // ---- images -------------------------------------------------------------
    const ImageMap& images() const { return images_; }
    ImageAnnotations* find_image(std::string_view relative_path);
    const ImageAnnotations* find_image(std::string_view relative_path) const;
    // Returns the image's annotations, creating an empty entry (status New) if
    // absent. A non-zero width/height updates the stored size.
    ImageAnnotations& ensure_image(const std::string& relative_path, int width = 0, int height = 0);
    bool remove_image(std::string_view relative_path);

    // ---- instances ----------------------------------------------------------
    // Returns a fresh, never used instance id.
    std::uint64_t allocate_instance_id() { return next_instance_id_++; }
    std::uint64_t next_instance_id() const { return next_instance_id_; }
    void set_next_instance_id(std::uint64_t id);  // throws if <= an existing id

    Instance* find_instance(std::string_view relative_path, std::uint64_t instance_id);
    const Instance* find_instance(std::string_view relative_path, std::uint64_t instance_id) const;
    // Position of an instance in its image's list (draw order), if present.
    std::optional<std::size_t> instance_index(std::string_view relative_path, std::uint64_t instance_id) const;

    // ---- counts -------------------------------------------------------------
    std::size_t instance_count() const;
    std::size_t instance_count(ClassId class_id) const;  // kNoClass counts unassigned
    StatusCounts status_counts() const;  // over the images stored in the project

    // ---- settings stored with the project --------------------------------
    // Image folder as written in the file: relative to the project file's
    // folder ("." when the project sits beside the images) or absolute. UTF-8.
    std::string image_root = ".";

private:
    std::vector<LabelClass> classes_;
    ImageMap images_;
    ClassId next_class_id_ = 0;
    std::uint64_t next_instance_id_ = 1;
};

}  // namespace samlabel::annotation
