#pragma once
// Intention-level edits of a Project as value objects with apply() and
// revert(). Each operation records, on its first apply(), everything it needs
// to restore the previous state exactly, so apply/revert/apply/... cycles
// (undo/redo) are bit-exact. The GUI wraps each one in a thin QUndoCommand:
//
//     struct UndoAdapter : QUndoCommand {
//         std::unique_ptr<annotation::EditOperation> op;  Project* project;
//         void redo() override { op->apply(*project); }
//         void undo() override { op->revert(*project); }
//     };
//
// apply() must be called before revert(); each must be called on the state the
// other produced. A mismatch (e.g. the instance vanished) throws ProjectError
// and leaves the project unchanged.
#include "core/annotation/annotation_types.h"
#include "core/annotation/project.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace samlabel::annotation {

class EditOperation {
public:
    virtual ~EditOperation() = default;
    virtual void apply(Project& project) = 0;
    virtual void revert(Project& project) = 0;
    // Short user-facing text for the undo history ("Add instance", ...).
    virtual std::string description() const = 0;
    // The image the edit touches (empty for class edits), so the GUI can
    // switch to it when undoing across image switches.
    virtual std::string image_path() const { return {}; }
};

// ---- instance edits ---------------------------------------------------------

// Adds `instance` (its id already taken from Project::allocate_instance_id())
// to an image, creating the image entry if needed. An image with status New
// becomes InProgress; revert restores the previous status.
class AddInstance : public EditOperation {
public:
    AddInstance(std::string image_path, Instance instance);
    void apply(Project& project) override;
    void revert(Project& project) override;
    std::string description() const override;
    std::string image_path() const override { return image_path_; }
    std::uint64_t instance_id() const { return instance_.id; }

private:
    std::string image_path_;
    Instance instance_;
    std::optional<ImageStatus> previous_status_;
};

// Removes an instance; revert puts it back at its old position (draw order).
class RemoveInstance : public EditOperation {
public:
    RemoveInstance(std::string image_path, std::uint64_t instance_id);
    void apply(Project& project) override;
    void revert(Project& project) override;
    std::string description() const override;
    std::string image_path() const override { return image_path_; }

private:
    std::string image_path_;
    std::uint64_t instance_id_;
    std::optional<Instance> removed_;
    std::size_t index_ = 0;
};

// New outline and/or mask for an instance: moved vertices, brush or eraser
// strokes, a model refinement. Sets modified_ms (stamped at construction so
// redo reproduces the same value); source and score are optional changes.
class ReplaceInstanceGeometry : public EditOperation {
public:
    ReplaceInstanceGeometry(std::string image_path, std::uint64_t instance_id,
                            std::vector<PolygonWithHoles> polygons, std::optional<RleMask> mask,
                            std::string description = "Edit shape");
    void apply(Project& project) override;
    void revert(Project& project) override;
    std::string description() const override { return description_; }
    std::string image_path() const override { return image_path_; }

private:
    std::string image_path_;
    std::uint64_t instance_id_;
    std::vector<PolygonWithHoles> polygons_;
    std::optional<RleMask> mask_;
    std::string description_;
    std::int64_t modified_ms_;
    // Old geometry, captured on first apply.
    bool captured_ = false;
    std::vector<PolygonWithHoles> old_polygons_;
    std::optional<RleMask> old_mask_;
    std::int64_t old_modified_ms_ = 0;
};

class ChangeInstanceClass : public EditOperation {
public:
    // new_class must be a known class or kNoClass.
    ChangeInstanceClass(std::string image_path, std::uint64_t instance_id, ClassId new_class);
    void apply(Project& project) override;
    void revert(Project& project) override;
    std::string description() const override;
    std::string image_path() const override { return image_path_; }

private:
    std::string image_path_;
    std::uint64_t instance_id_;
    ClassId new_class_;
    ClassId old_class_ = kNoClass;
    std::int64_t modified_ms_;
    std::int64_t old_modified_ms_ = 0;
};

// Status of an image (new / in progress / done); creates the entry if needed.
class SetImageStatus : public EditOperation {
public:
    SetImageStatus(std::string image_path, ImageStatus status);
    void apply(Project& project) override;
    void revert(Project& project) override;
    std::string description() const override;
    std::string image_path() const override { return image_path_; }

private:
    std::string image_path_;
    ImageStatus status_;
    ImageStatus old_status_ = ImageStatus::New;
    bool created_image_ = false;
};

// ---- class edits --------------------------------------------------------------

// Appends a class. The id is taken from the project on the first apply and
// kept for redo; revert removes the class but does not lower next_class_id,
// so ids are never reused.
class AddClass : public EditOperation {
public:
    AddClass(std::string name, std::uint32_t rgb);
    void apply(Project& project) override;
    void revert(Project& project) override;
    std::string description() const override;
    std::optional<ClassId> class_id() const { return id_; }  // set after the first apply

private:
    std::string name_;
    std::uint32_t rgb_;
    std::optional<ClassId> id_;
};

// Sets one property of a class; revert sets the value it had before apply.
// `Property` says how to read and write it (the Class* structs below).
template <typename Property>
class SetClassProperty : public EditOperation {
public:
    using Value = typename Property::Value;
    SetClassProperty(ClassId id, Value new_value);
    void apply(Project& project) override;
    void revert(Project& project) override;
    std::string description() const override;

private:
    ClassId id_;
    Value new_value_;
    Value old_value_{};
};

// Each: read() throws ProjectError for an unknown class; write() validates like
// the Project method it calls.
struct ClassName {
    using Value = std::string;
    static Value read(const Project& project, ClassId id);
    static void write(Project& project, ClassId id, const Value& name);
    static std::string describe(const Value& new_name);
};
struct ClassColour {
    using Value = std::uint32_t;  // 0xRRGGBB
    static Value read(const Project& project, ClassId id);
    static void write(Project& project, ClassId id, const Value& rgb);
    static std::string describe(const Value& new_rgb);
};
// The display position; instances are untouched.
struct ClassPosition {
    using Value = std::size_t;
    static Value read(const Project& project, ClassId id);
    static void write(Project& project, ClassId id, const Value& index);
    static std::string describe(const Value& new_index);
};

// Instantiated once, in edit_operations.cpp.
extern template class SetClassProperty<ClassName>;
extern template class SetClassProperty<ClassColour>;
extern template class SetClassProperty<ClassPosition>;

using RenameClass = SetClassProperty<ClassName>;
using RecolourClass = SetClassProperty<ClassColour>;
using MoveClass = SetClassProperty<ClassPosition>;

// Removes a class. Its instances are never deleted: they move to
// `reassign_to` (another existing class) or, by default, become unassigned
// (class_id = kNoClass), shown as such and reported by exporters. Revert
// restores the class at its old position with its id, and every instance's
// old class.
class RemoveClass : public EditOperation {
public:
    explicit RemoveClass(ClassId id, std::optional<ClassId> reassign_to = std::nullopt);
    void apply(Project& project) override;
    void revert(Project& project) override;
    std::string description() const override;
    std::size_t affected_instances() const { return affected_.size(); }

private:
    struct Affected {
        std::string image_path;
        std::uint64_t instance_id;
    };
    ClassId id_;
    std::optional<ClassId> reassign_to_;
    std::optional<LabelClass> removed_;
    std::size_t index_ = 0;
    std::vector<Affected> affected_;
};

// Several operations as one undo step (e.g. "remove 3 instances"); applied in
// order, reverted in reverse order. If one throws, those already applied are
// reverted before the exception propagates.
class CompositeOperation : public EditOperation {
public:
    CompositeOperation(std::string description, std::vector<std::unique_ptr<EditOperation>> ops);
    void apply(Project& project) override;
    void revert(Project& project) override;
    std::string description() const override { return description_; }
    std::string image_path() const override;

private:
    std::string description_;
    std::vector<std::unique_ptr<EditOperation>> ops_;
};

}  // namespace samlabel::annotation
