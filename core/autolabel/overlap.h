#pragma once
// Existing work is never overwritten: a candidate that covers an instance of
// its own class (mask IoU above a threshold) is not proposed, or, only when
// the user asks for "replace", replaces it.
#include "core/annotation/annotation_types.h"

#include <cstdint>
#include <vector>

namespace samlabel::autolabel {

// Intersection over union of two masks of the image's size; the existing
// instance is rasterised when it has polygons only. Only the union of the two
// boxes is decoded. 0 when either is empty.
double mask_iou(const annotation::RleMask& candidate, const annotation::Instance& existing);

// The image's instances of `class_id` whose IoU with `candidate` is above `min_iou`.
std::vector<std::uint64_t> overlapping_instances(const annotation::ImageAnnotations& image, annotation::ClassId class_id,
                                                 const annotation::RleMask& candidate, double min_iou);

}  // namespace samlabel::autolabel
