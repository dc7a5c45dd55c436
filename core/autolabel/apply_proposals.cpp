#include "core/autolabel/apply_proposals.h"

#include "core/annotation/mask_geometry.h"

#include <algorithm>

namespace samlabel::autolabel {

using annotation::ImageAnnotations;
using annotation::Instance;
using annotation::Project;
using annotation::ProjectError;

// ---- ApplyProposals -------------------------------------------------------------

ApplyProposals::ApplyProposals(std::string image_path, std::vector<Instance> add, std::vector<std::uint64_t> remove,
                               std::optional<annotation::AutolabelStamp> stamp, std::string description, int width, int height)
    : image_path_(std::move(image_path)),
      add_(std::move(add)),
      remove_(std::move(remove)),
      stamp_(std::move(stamp)),
      description_(std::move(description)),
      width_(width),
      height_(height) {}

void ApplyProposals::apply(Project& project) {
    // Validate everything before changing anything: a failed edit leaves the project as it was.
    for (const Instance& inst : add_) {
        if (project.find_instance(image_path_, inst.id)) throw ProjectError("instance " + std::to_string(inst.id) + " already exists in '" + image_path_ + "'");
        if (inst.class_id != annotation::kNoClass && !project.find_class(inst.class_id))
            throw ProjectError("class id " + std::to_string(inst.class_id) + " is not a known class");
    }
    for (std::uint64_t id : remove_)
        if (!project.find_instance(image_path_, id)) throw ProjectError("instance " + std::to_string(id) + " is not in image '" + image_path_ + "'");
    created_image_ = project.find_image(image_path_) == nullptr;
    ImageAnnotations& image = project.ensure_image(image_path_);
    old_width_ = image.width;
    old_height_ = image.height;
    if (width_ > 0 && height_ > 0) {
        image.width = width_;
        image.height = height_;
    }
    old_status_ = image.status;
    old_stamp_ = image.autolabel;
    removed_.clear();
    for (std::uint64_t id : remove_) {
        const auto index = project.instance_index(image_path_, id);
        removed_.push_back({image.instances[*index], *index});
        image.instances.erase(image.instances.begin() + static_cast<std::ptrdiff_t>(*index));
    }
    for (const Instance& inst : add_) {
        if (inst.id >= project.next_instance_id()) project.set_next_instance_id(inst.id + 1);
        image.instances.push_back(inst);
    }
    if (stamp_) image.autolabel = stamp_;
    if (!add_.empty() && image.status == annotation::ImageStatus::New) image.status = annotation::ImageStatus::InProgress;
    applied_ = true;
}

void ApplyProposals::revert(Project& project) {
    if (!applied_) throw ProjectError("ApplyProposals reverted before it was applied");
    ImageAnnotations* image = project.find_image(image_path_);
    if (!image) throw ProjectError("image '" + image_path_ + "' is not in the project");
    for (const Instance& inst : add_)
        if (!project.instance_index(image_path_, inst.id)) throw ProjectError("instance " + std::to_string(inst.id) + " is not in image '" + image_path_ + "'");
    for (auto it = add_.rbegin(); it != add_.rend(); ++it) {
        const auto index = project.instance_index(image_path_, it->id);
        image->instances.erase(image->instances.begin() + static_cast<std::ptrdiff_t>(*index));
    }
    for (auto it = removed_.rbegin(); it != removed_.rend(); ++it)
        image->instances.insert(image->instances.begin() + static_cast<std::ptrdiff_t>(std::min(it->index, image->instances.size())), it->instance);
    image->autolabel = old_stamp_;
    image->status = old_status_;
    image->width = old_width_;
    image->height = old_height_;
    if (created_image_ && image->instances.empty()) project.remove_image(image_path_);
}

// ---- SetClassPrompt -------------------------------------------------------------

SetClassPrompt::SetClassPrompt(annotation::ClassId id, std::string prompt, std::optional<float> threshold)
    : id_(id), prompt_(std::move(prompt)), threshold_(threshold) {}

void SetClassPrompt::apply(Project& project) {
    const annotation::LabelClass* cls = project.find_class(id_);
    if (!cls) throw ProjectError("class id " + std::to_string(id_) + " is not a known class");
    const std::string old_prompt = cls->prompt;
    const std::optional<float> old_threshold = cls->threshold;
    project.set_class_prompt(id_, prompt_, threshold_);  // validates
    old_prompt_ = old_prompt;
    old_threshold_ = old_threshold;
}

void SetClassPrompt::revert(Project& project) { project.set_class_prompt(id_, old_prompt_, old_threshold_); }

std::string SetClassPrompt::description() const { return prompt_.empty() ? "Clear class prompt" : "Set class prompt '" + prompt_ + "'"; }

// ---- MarkReviewed -----------------------------------------------------------------

MarkReviewed::MarkReviewed(std::string image_path, std::vector<std::uint64_t> instance_ids)
    : image_path_(std::move(image_path)), ids_(std::move(instance_ids)) {}

void MarkReviewed::apply(Project& project) {
    for (std::uint64_t id : ids_)
        if (!project.find_instance(image_path_, id)) throw ProjectError("instance " + std::to_string(id) + " is not in image '" + image_path_ + "'");
    changed_.clear();
    for (std::uint64_t id : ids_) {
        Instance* inst = project.find_instance(image_path_, id);
        if (inst->review != annotation::ReviewState::Pending) continue;
        inst->review = annotation::ReviewState::Reviewed;
        changed_.push_back(id);
    }
}

void MarkReviewed::revert(Project& project) {
    for (std::uint64_t id : changed_)
        if (Instance* inst = project.find_instance(image_path_, id)) inst->review = annotation::ReviewState::Pending;
}

std::string MarkReviewed::description() const { return "Mark " + std::to_string(ids_.size()) + " proposal(s) reviewed"; }

// ---- helpers ---------------------------------------------------------------------------

std::uint32_t unused_class_colour(const Project& project) {
    static const std::uint32_t palette[] = {0xe6194b, 0x3cb44b, 0xffe119, 0x4363d8, 0xf58231, 0x911eb4, 0x46f0f0, 0xf032e6,
                                            0xbcf60c, 0xfabebe, 0x008080, 0xe6beff, 0x9a6324, 0xfffac8, 0x800000, 0xaaffc3};
    for (std::uint32_t c : palette) {
        const bool used = std::any_of(project.classes().begin(), project.classes().end(), [&](const auto& cls) { return cls.rgb == c; });
        if (!used) return c;
    }
    return palette[project.classes().size() % std::size(palette)];
}

Instance proposal_instance(const annotation::RleMask& mask, annotation::ClassId class_id, float score, annotation::ReviewState review,
                           std::int64_t now_ms) {
    Instance inst;
    inst.class_id = class_id;
    inst.mask = mask;
    inst.polygons = annotation::rle_to_polygons(mask).polygons;
    inst.source = annotation::InstanceSource::Sam3Detect;
    inst.score = score;
    inst.review = review;
    inst.created_ms = inst.modified_ms = now_ms;
    return inst;
}

}  // namespace samlabel::autolabel
