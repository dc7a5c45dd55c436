#include "core/annotation/project.h"

#include <algorithm>
#include <chrono>

namespace samlabel::annotation {

std::int64_t unix_now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

std::string class_text(ClassId id) { return "class id " + std::to_string(id); }

}  // namespace

const LabelClass* Project::find_class(ClassId id) const {
    for (const LabelClass& c : classes_)
        if (c.id == id) return &c;
    return nullptr;
}

const LabelClass* Project::find_class_by_name(std::string_view name) const {
    for (const LabelClass& c : classes_)
        if (c.name == name) return &c;
    return nullptr;
}

std::optional<std::size_t> Project::class_index(ClassId id) const {
    for (std::size_t i = 0; i < classes_.size(); ++i)
        if (classes_[i].id == id) return i;
    return std::nullopt;
}

ClassId Project::add_class(std::string name, std::uint32_t rgb) {
    LabelClass c;
    c.id = next_class_id_;
    c.name = std::move(name);
    c.rgb = rgb & 0xffffffu;
    insert_class(classes_.size(), std::move(c));
    return classes_.back().id;
}

void Project::insert_class(std::size_t index, LabelClass cls) {
    if (cls.id < 0) throw ProjectError("class '" + cls.name + "': " + class_text(cls.id) + " is negative");
    if (find_class(cls.id)) throw ProjectError(class_text(cls.id) + " already exists");
    if (cls.name.empty()) throw ProjectError(class_text(cls.id) + ": the name is empty");
    if (find_class_by_name(cls.name)) throw ProjectError("a class named '" + cls.name + "' already exists");
    if (cls.rgb > 0xffffffu) throw ProjectError(class_text(cls.id) + ": colour is not 0xRRGGBB");
    index = std::min(index, classes_.size());
    if (cls.id >= next_class_id_) next_class_id_ = cls.id + 1;
    classes_.insert(classes_.begin() + static_cast<std::ptrdiff_t>(index), std::move(cls));
}

void Project::rename_class(ClassId id, std::string name) {
    const auto index = class_index(id);
    if (!index) throw ProjectError(class_text(id) + " is not a known class");
    if (name.empty()) throw ProjectError(class_text(id) + ": the new name is empty");
    const LabelClass* same = find_class_by_name(name);
    if (same && same->id != id) throw ProjectError("a class named '" + name + "' already exists");
    classes_[*index].name = std::move(name);
}

void Project::recolour_class(ClassId id, std::uint32_t rgb) {
    const auto index = class_index(id);
    if (!index) throw ProjectError(class_text(id) + " is not a known class");
    classes_[*index].rgb = rgb & 0xffffffu;
}

void Project::set_class_prompt(ClassId id, std::string prompt, std::optional<float> threshold) {
    const auto index = class_index(id);
    if (!index) throw ProjectError(class_text(id) + " is not a known class");
    if (threshold && !(*threshold >= 0.f && *threshold <= 1.f))
        throw ProjectError(class_text(id) + ": threshold " + std::to_string(*threshold) + " is outside [0, 1]");
    classes_[*index].prompt = std::move(prompt);
    classes_[*index].threshold = threshold;
}

void Project::move_class(ClassId id, std::size_t new_index) {
    const auto index = class_index(id);
    if (!index) throw ProjectError(class_text(id) + " is not a known class");
    LabelClass c = std::move(classes_[*index]);
    classes_.erase(classes_.begin() + static_cast<std::ptrdiff_t>(*index));
    new_index = std::min(new_index, classes_.size());
    classes_.insert(classes_.begin() + static_cast<std::ptrdiff_t>(new_index), std::move(c));
}

LabelClass Project::remove_class(ClassId id) {
    const auto index = class_index(id);
    if (!index) throw ProjectError(class_text(id) + " is not a known class");
    LabelClass c = std::move(classes_[*index]);
    classes_.erase(classes_.begin() + static_cast<std::ptrdiff_t>(*index));
    return c;
}

void Project::set_next_class_id(ClassId id) {
    for (const LabelClass& c : classes_)
        if (c.id >= id)
            throw ProjectError("next class id " + std::to_string(id) + " would reuse " + class_text(c.id));
    if (id < 0) throw ProjectError("next class id " + std::to_string(id) + " is negative");
    next_class_id_ = id;
}

ImageAnnotations* Project::find_image(std::string_view relative_path) {
    const auto it = images_.find(relative_path);
    return it == images_.end() ? nullptr : &it->second;
}

const ImageAnnotations* Project::find_image(std::string_view relative_path) const {
    const auto it = images_.find(relative_path);
    return it == images_.end() ? nullptr : &it->second;
}

ImageAnnotations& Project::ensure_image(const std::string& relative_path, int width, int height) {
    if (relative_path.empty()) throw ProjectError("an image path is empty");
    auto it = images_.find(relative_path);
    if (it == images_.end()) {
        ImageAnnotations image;
        image.relative_path = relative_path;
        it = images_.emplace(relative_path, std::move(image)).first;
    }
    if (width > 0 && height > 0) {
        it->second.width = width;
        it->second.height = height;
    }
    return it->second;
}

bool Project::remove_image(std::string_view relative_path) {
    const auto it = images_.find(relative_path);
    if (it == images_.end()) return false;
    images_.erase(it);
    return true;
}

void Project::set_next_instance_id(std::uint64_t id) {
    for (const auto& [path, image] : images_)
        for (const Instance& inst : image.instances)
            if (inst.id >= id)
                throw ProjectError("next instance id " + std::to_string(id) + " would reuse instance id " +
                                   std::to_string(inst.id) + " of " + path);
    next_instance_id_ = id;
}

Instance* Project::find_instance(std::string_view relative_path, std::uint64_t instance_id) {
    ImageAnnotations* image = find_image(relative_path);
    if (!image) return nullptr;
    for (Instance& inst : image->instances)
        if (inst.id == instance_id) return &inst;
    return nullptr;
}

const Instance* Project::find_instance(std::string_view relative_path, std::uint64_t instance_id) const {
    return const_cast<Project*>(this)->find_instance(relative_path, instance_id);
}

std::optional<std::size_t> Project::instance_index(std::string_view relative_path, std::uint64_t instance_id) const {
    const ImageAnnotations* image = find_image(relative_path);
    if (!image) return std::nullopt;
    for (std::size_t i = 0; i < image->instances.size(); ++i)
        if (image->instances[i].id == instance_id) return i;
    return std::nullopt;
}

std::size_t Project::instance_count() const {
    std::size_t n = 0;
    for (const auto& [path, image] : images_) n += image.instances.size();
    return n;
}

std::size_t Project::instance_count(ClassId class_id) const {
    std::size_t n = 0;
    for (const auto& [path, image] : images_)
        for (const Instance& inst : image.instances)
            if (inst.class_id == class_id) ++n;
    return n;
}

StatusCounts Project::status_counts() const {
    StatusCounts counts;
    for (const auto& [path, image] : images_) {
        switch (image.status) {
            case ImageStatus::New: ++counts.new_images; break;
            case ImageStatus::InProgress: ++counts.in_progress; break;
            case ImageStatus::Done: ++counts.done; break;
        }
    }
    return counts;
}

}  // namespace samlabel::annotation
