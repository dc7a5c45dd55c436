#include "core/autolabel/overlap.h"

#include "core/annotation/mask_geometry.h"
#include "core/annotation/rle.h"

#include <opencv2/core.hpp>

#include <cmath>

namespace samlabel::autolabel {

double mask_iou(const annotation::RleMask& candidate, const annotation::Instance& existing) {
    const cv::Rect a = annotation::rle_bbox(candidate);
    const auto b_box = annotation::instance_bbox(existing);
    if (a.area() == 0 || !b_box) return 0.0;
    if (existing.mask && (existing.mask->width != candidate.width || existing.mask->height != candidate.height)) return 0.0;
    const cv::Rect image(0, 0, candidate.width, candidate.height);
    const cv::Rect b = cv::Rect(cv::Point(int(std::floor(b_box->x)), int(std::floor(b_box->y))),
                                cv::Point(int(std::ceil(b_box->x + b_box->width)), int(std::ceil(b_box->y + b_box->height)))) &
                       image;
    if ((a & b).area() == 0) return 0.0;
    const cv::Rect roi = a | b;
    const cv::Mat ca = annotation::decode_rle(candidate)(roi);
    const cv::Mat cb = annotation::instance_mask(existing, image.size())(roi);
    cv::Mat both, either;
    cv::bitwise_and(ca, cb, both);
    cv::bitwise_or(ca, cb, either);
    const int uni = cv::countNonZero(either);
    return uni == 0 ? 0.0 : double(cv::countNonZero(both)) / double(uni);
}

std::vector<std::uint64_t> overlapping_instances(const annotation::ImageAnnotations& image, annotation::ClassId class_id,
                                                 const annotation::RleMask& candidate, double min_iou) {
    std::vector<std::uint64_t> out;
    for (const annotation::Instance& inst : image.instances)
        if (inst.class_id == class_id && mask_iou(candidate, inst) > min_iou) out.push_back(inst.id);
    return out;
}

}  // namespace samlabel::autolabel
