#include "core/annotation/edit_operations.h"

#include <algorithm>
#include <utility>

namespace samlabel::annotation {
namespace {

ImageAnnotations& require_image(Project& project, const std::string& path) {
    ImageAnnotations* image = project.find_image(path);
    if (!image) throw ProjectError("image '" + path + "' is not in the project");
    return *image;
}

Instance& require_instance(Project& project, const std::string& path, std::uint64_t id) {
    Instance* inst = project.find_instance(path, id);
    if (!inst) throw ProjectError("instance " + std::to_string(id) + " is not in image '" + path + "'");
    return *inst;
}

const LabelClass& require_class(const Project& project, ClassId id) {
    const LabelClass* c = project.find_class(id);
    if (!c) throw ProjectError("class id " + std::to_string(id) + " is not a known class");
    return *c;
}

void require_applied(bool applied, const char* what) {
    if (!applied) throw ProjectError(std::string(what) + ": revert() before apply()");
}

}  // namespace

// ---- AddInstance --------------------------------------------------------------

AddInstance::AddInstance(std::string image_path, Instance instance)
    : image_path_(std::move(image_path)), instance_(std::move(instance)) {}

void AddInstance::apply(Project& project) {
    if (project.find_instance(image_path_, instance_.id))
        throw ProjectError("instance " + std::to_string(instance_.id) + " already exists in '" + image_path_ + "'");
    if (instance_.class_id != kNoClass) require_class(project, instance_.class_id);
    if (instance_.id >= project.next_instance_id()) project.set_next_instance_id(instance_.id + 1);
    ImageAnnotations& image = project.ensure_image(image_path_);
    previous_status_ = image.status;
    image.instances.push_back(instance_);
    if (image.status == ImageStatus::New) image.status = ImageStatus::InProgress;
}

void AddInstance::revert(Project& project) {
    require_applied(previous_status_.has_value(), "AddInstance");
    ImageAnnotations& image = require_image(project, image_path_);
    const auto index = project.instance_index(image_path_, instance_.id);
    if (!index) throw ProjectError("instance " + std::to_string(instance_.id) + " is not in image '" + image_path_ + "'");
    image.instances.erase(image.instances.begin() + static_cast<std::ptrdiff_t>(*index));
    image.status = *previous_status_;
}

std::string AddInstance::description() const {
    switch (instance_.source) {
        case InstanceSource::GrabCut: return "Add GrabCut instance";
        case InstanceSource::Sam3: return "Add SAM3 instance";
        case InstanceSource::Sam3Detect: return "Add SAM3 detection";
        case InstanceSource::Manual: break;
    }
    return "Add instance";
}

// ---- RemoveInstance -----------------------------------------------------------

RemoveInstance::RemoveInstance(std::string image_path, std::uint64_t instance_id)
    : image_path_(std::move(image_path)), instance_id_(instance_id) {}

void RemoveInstance::apply(Project& project) {
    ImageAnnotations& image = require_image(project, image_path_);
    const auto index = project.instance_index(image_path_, instance_id_);
    if (!index) throw ProjectError("instance " + std::to_string(instance_id_) + " is not in image '" + image_path_ + "'");
    index_ = *index;
    removed_ = std::move(image.instances[index_]);
    image.instances.erase(image.instances.begin() + static_cast<std::ptrdiff_t>(index_));
}

void RemoveInstance::revert(Project& project) {
    require_applied(removed_.has_value(), "RemoveInstance");
    ImageAnnotations& image = require_image(project, image_path_);
    if (project.find_instance(image_path_, instance_id_))
        throw ProjectError("instance " + std::to_string(instance_id_) + " already exists in '" + image_path_ + "'");
    const std::size_t at = std::min(index_, image.instances.size());
    image.instances.insert(image.instances.begin() + static_cast<std::ptrdiff_t>(at), *removed_);
}

std::string RemoveInstance::description() const { return "Delete instance"; }

// ---- ReplaceInstanceGeometry -----------------------------------------------------

ReplaceInstanceGeometry::ReplaceInstanceGeometry(std::string image_path, std::uint64_t instance_id,
                                                 std::vector<PolygonWithHoles> polygons, std::optional<RleMask> mask,
                                                 std::string description)
    : image_path_(std::move(image_path)),
      instance_id_(instance_id),
      polygons_(std::move(polygons)),
      mask_(std::move(mask)),
      description_(std::move(description)),
      modified_ms_(unix_now_ms()) {}

void ReplaceInstanceGeometry::apply(Project& project) {
    Instance& inst = require_instance(project, image_path_, instance_id_);
    if (!captured_) {
        old_polygons_ = inst.polygons;
        old_mask_ = inst.mask;
        old_modified_ms_ = inst.modified_ms;
        captured_ = true;
    }
    inst.polygons = polygons_;
    inst.mask = mask_;
    inst.modified_ms = modified_ms_;
}

void ReplaceInstanceGeometry::revert(Project& project) {
    require_applied(captured_, "ReplaceInstanceGeometry");
    Instance& inst = require_instance(project, image_path_, instance_id_);
    inst.polygons = old_polygons_;
    inst.mask = old_mask_;
    inst.modified_ms = old_modified_ms_;
}

// ---- ChangeInstanceClass ----------------------------------------------------------

ChangeInstanceClass::ChangeInstanceClass(std::string image_path, std::uint64_t instance_id, ClassId new_class)
    : image_path_(std::move(image_path)), instance_id_(instance_id), new_class_(new_class), modified_ms_(unix_now_ms()) {}

void ChangeInstanceClass::apply(Project& project) {
    if (new_class_ != kNoClass) require_class(project, new_class_);
    Instance& inst = require_instance(project, image_path_, instance_id_);
    old_class_ = inst.class_id;
    old_modified_ms_ = inst.modified_ms;
    inst.class_id = new_class_;
    inst.modified_ms = modified_ms_;
}

void ChangeInstanceClass::revert(Project& project) {
    Instance& inst = require_instance(project, image_path_, instance_id_);
    inst.class_id = old_class_;
    inst.modified_ms = old_modified_ms_;
}

std::string ChangeInstanceClass::description() const { return "Change class"; }

// ---- SetImageStatus ----------------------------------------------------------------

SetImageStatus::SetImageStatus(std::string image_path, ImageStatus status)
    : image_path_(std::move(image_path)), status_(status) {}

void SetImageStatus::apply(Project& project) {
    created_image_ = project.find_image(image_path_) == nullptr;
    ImageAnnotations& image = project.ensure_image(image_path_);
    old_status_ = image.status;
    image.status = status_;
}

void SetImageStatus::revert(Project& project) {
    ImageAnnotations& image = require_image(project, image_path_);
    if (created_image_ && image.instances.empty()) {
        project.remove_image(image_path_);
        return;
    }
    image.status = old_status_;
}

std::string SetImageStatus::description() const {
    switch (status_) {
        case ImageStatus::New: return "Mark image new";
        case ImageStatus::InProgress: return "Mark image in progress";
        case ImageStatus::Done: return "Mark image done";
    }
    return "Set image status";
}

// ---- AddClass -------------------------------------------------------------------

AddClass::AddClass(std::string name, std::uint32_t rgb) : name_(std::move(name)), rgb_(rgb) {}

void AddClass::apply(Project& project) {
    if (!id_) {
        id_ = project.add_class(name_, rgb_);
        return;
    }
    // Redo: same id as the first time, even though next_class_id moved on.
    project.insert_class(project.classes().size(), LabelClass{*id_, name_, rgb_ & 0xffffffu});
}

void AddClass::revert(Project& project) {
    require_applied(id_.has_value(), "AddClass");
    if (project.instance_count(*id_) > 0)
        throw ProjectError("class id " + std::to_string(*id_) + " is still used by instances");
    project.remove_class(*id_);
}

std::string AddClass::description() const { return "Add class '" + name_ + "'"; }

// ---- SetClassProperty: RenameClass / RecolourClass / MoveClass ------------------

template <typename Property>
SetClassProperty<Property>::SetClassProperty(ClassId id, Value new_value) : id_(id), new_value_(std::move(new_value)) {}

template <typename Property>
void SetClassProperty<Property>::apply(Project& project) {
    Value old = Property::read(project, id_);
    Property::write(project, id_, new_value_);
    old_value_ = std::move(old);
}

template <typename Property>
void SetClassProperty<Property>::revert(Project& project) {
    Property::write(project, id_, old_value_);
}

template <typename Property>
std::string SetClassProperty<Property>::description() const {
    return Property::describe(new_value_);
}

std::string ClassName::read(const Project& project, ClassId id) { return require_class(project, id).name; }
void ClassName::write(Project& project, ClassId id, const std::string& name) { project.rename_class(id, name); }
std::string ClassName::describe(const std::string& new_name) { return "Rename class to '" + new_name + "'"; }

std::uint32_t ClassColour::read(const Project& project, ClassId id) { return require_class(project, id).rgb; }
void ClassColour::write(Project& project, ClassId id, const std::uint32_t& rgb) { project.recolour_class(id, rgb); }
std::string ClassColour::describe(const std::uint32_t&) { return "Change class colour"; }

std::size_t ClassPosition::read(const Project& project, ClassId id) {
    const auto index = project.class_index(id);
    if (!index) throw ProjectError("class id " + std::to_string(id) + " is not a known class");
    return *index;
}
void ClassPosition::write(Project& project, ClassId id, const std::size_t& index) { project.move_class(id, index); }
std::string ClassPosition::describe(const std::size_t&) { return "Reorder classes"; }

template class SetClassProperty<ClassName>;
template class SetClassProperty<ClassColour>;
template class SetClassProperty<ClassPosition>;

// ---- RemoveClass -----------------------------------------------------------------

RemoveClass::RemoveClass(ClassId id, std::optional<ClassId> reassign_to) : id_(id), reassign_to_(reassign_to) {}

void RemoveClass::apply(Project& project) {
    const auto index = project.class_index(id_);
    if (!index) throw ProjectError("class id " + std::to_string(id_) + " is not a known class");
    if (reassign_to_) {
        if (*reassign_to_ == id_) throw ProjectError("class id " + std::to_string(id_) + " cannot be reassigned to itself");
        if (*reassign_to_ != kNoClass) require_class(project, *reassign_to_);
    }
    const ClassId target = reassign_to_.value_or(kNoClass);
    affected_.clear();
    // Images are not accessible mutably as a whole; walk the paths.
    std::vector<std::string> paths;
    for (const auto& [path, image] : project.images()) paths.push_back(path);
    for (const std::string& path : paths) {
        ImageAnnotations* image = project.find_image(path);
        for (Instance& inst : image->instances) {
            if (inst.class_id != id_) continue;
            inst.class_id = target;
            affected_.push_back({path, inst.id});
        }
    }
    index_ = *index;
    removed_ = project.remove_class(id_);
}

void RemoveClass::revert(Project& project) {
    require_applied(removed_.has_value(), "RemoveClass");
    project.insert_class(index_, *removed_);
    for (const Affected& a : affected_) {
        Instance* inst = project.find_instance(a.image_path, a.instance_id);
        if (inst) inst->class_id = id_;
    }
}

std::string RemoveClass::description() const { return removed_ ? "Remove class '" + removed_->name + "'" : "Remove class"; }

// ---- CompositeOperation -------------------------------------------------------------

CompositeOperation::CompositeOperation(std::string description, std::vector<std::unique_ptr<EditOperation>> ops)
    : description_(std::move(description)), ops_(std::move(ops)) {}

void CompositeOperation::apply(Project& project) {
    std::size_t done = 0;
    try {
        for (; done < ops_.size(); ++done) ops_[done]->apply(project);
    } catch (...) {
        while (done > 0) ops_[--done]->revert(project);
        throw;
    }
}

void CompositeOperation::revert(Project& project) {
    std::size_t left = ops_.size();
    try {
        for (; left > 0; --left) ops_[left - 1]->revert(project);
    } catch (...) {
        for (; left < ops_.size(); ++left) ops_[left]->apply(project);
        throw;
    }
}

std::string CompositeOperation::image_path() const {
    for (const auto& op : ops_)
        if (!op->image_path().empty()) return op->image_path();
    return {};
}

}  // namespace samlabel::annotation
