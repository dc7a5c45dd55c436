#pragma once
// One image's proposals as one undoable edit: adds the new instances, removes
// the ones they replace (only when "replace" was asked for), and records the
// auto-label stamp. The find bar's accept and every image an auto-label run
// merges go through it, so each is exactly one undo step.
#include "core/annotation/edit_operations.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace samlabel::autolabel {

class ApplyProposals : public annotation::EditOperation {
public:
    // `add` carries ids from Project::allocate_instance_id(). `stamp`: set on
    // the image (nullopt leaves the image's stamp as it is). `width`/`height`
    // (when > 0) record the image size the masks have.
    ApplyProposals(std::string image_path, std::vector<annotation::Instance> add, std::vector<std::uint64_t> remove,
                   std::optional<annotation::AutolabelStamp> stamp, std::string description, int width = 0, int height = 0);
    void apply(annotation::Project& project) override;
    void revert(annotation::Project& project) override;
    std::string description() const override { return description_; }
    std::string image_path() const override { return image_path_; }
    const std::vector<annotation::Instance>& added() const { return add_; }

private:
    struct Removed {
        annotation::Instance instance;
        std::size_t index = 0;
    };
    std::string image_path_;
    std::vector<annotation::Instance> add_;
    std::vector<std::uint64_t> remove_;
    std::optional<annotation::AutolabelStamp> stamp_;
    std::string description_;
    int width_ = 0, height_ = 0;
    // Captured on apply.
    bool applied_ = false;
    bool created_image_ = false;
    std::vector<Removed> removed_;
    std::optional<annotation::AutolabelStamp> old_stamp_;
    annotation::ImageStatus old_status_ = annotation::ImageStatus::New;
    int old_width_ = 0, old_height_ = 0;
};

// Sets a class's concept prompt and threshold (class panel, find bar).
class SetClassPrompt : public annotation::EditOperation {
public:
    SetClassPrompt(annotation::ClassId id, std::string prompt, std::optional<float> threshold);
    void apply(annotation::Project& project) override;
    void revert(annotation::Project& project) override;
    std::string description() const override;

private:
    annotation::ClassId id_;
    std::string prompt_;
    std::optional<float> threshold_;
    std::string old_prompt_;
    std::optional<float> old_threshold_;
};

// Marks instances of an image reviewed (an annotator looked at the proposals
// and kept them). Instances not pending are left as they are.
class MarkReviewed : public annotation::EditOperation {
public:
    MarkReviewed(std::string image_path, std::vector<std::uint64_t> instance_ids);
    void apply(annotation::Project& project) override;
    void revert(annotation::Project& project) override;
    std::string description() const override;
    std::string image_path() const override { return image_path_; }

private:
    std::string image_path_;
    std::vector<std::uint64_t> ids_;
    std::vector<std::uint64_t> changed_;
};

// Colours for classes an auto-label run creates: the first of a fixed palette
// no class uses yet.
std::uint32_t unused_class_colour(const annotation::Project& project);

// Builds an instance from a detection mask: lossless RLE + its outline,
// source sam3-detect, the score, the review state.
annotation::Instance proposal_instance(const annotation::RleMask& mask, annotation::ClassId class_id, float score,
                                       annotation::ReviewState review, std::int64_t now_ms);

}  // namespace samlabel::autolabel
