#pragma once
// Adding a freshly drawn shape as an instance of the current class: one
// undoable AddInstance, then the new instance is selected.
#include "core/annotation/annotation_types.h"

#include <opencv2/core.hpp>

#include <optional>
#include <vector>

namespace samlabel::ui {

class AnnotationDocument;

// Polygon-only instance (polygon, box tools).
bool addPolygonInstance(AnnotationDocument& document, std::vector<annotation::PolygonWithHoles> polygons,
                        annotation::InstanceSource source = annotation::InstanceSource::Manual);
// Mask instance (brush, GrabCut): stores the lossless mask and its outline.
// False when the mask is empty.
bool addMaskInstance(AnnotationDocument& document, const cv::Mat& mask, annotation::InstanceSource source,
                     std::optional<float> score = std::nullopt);

}  // namespace samlabel::ui
