#include "ui/tools/new_instance.h"

#include "core/annotation/edit_operations.h"
#include "core/annotation/mask_geometry.h"
#include "core/annotation/rle.h"
#include "ui/document/annotation_document.h"

namespace samlabel::ui {
namespace {

bool addInstance(AnnotationDocument& document, annotation::Instance instance) {
    if (document.currentIndex() < 0) return false;
    instance.id = document.allocateInstanceId();
    instance.class_id = document.currentClass();
    instance.created_ms = instance.modified_ms = annotation::unix_now_ms();
    const auto id = instance.id;
    if (!document.apply(std::make_unique<annotation::AddInstance>(document.currentPath(), std::move(instance)))) return false;
    document.setSelectedInstance(id);
    return true;
}

}  // namespace

bool addPolygonInstance(AnnotationDocument& document, std::vector<annotation::PolygonWithHoles> polygons,
                        annotation::InstanceSource source) {
    if (polygons.empty()) return false;
    annotation::Instance instance;
    instance.polygons = std::move(polygons);
    instance.source = source;
    return addInstance(document, std::move(instance));
}

bool addMaskInstance(AnnotationDocument& document, const cv::Mat& mask, annotation::InstanceSource source,
                     std::optional<float> score) {
    if (mask.empty() || cv::countNonZero(mask) == 0) return false;
    annotation::Instance instance;
    instance.mask = annotation::encode_rle(mask);
    instance.polygons = annotation::mask_to_polygons(mask).polygons;
    instance.source = source;
    instance.score = score;
    return addInstance(document, std::move(instance));
}

}  // namespace samlabel::ui
