#include "ui/canvas/instance_overlay.h"

#include "core/annotation/mask_geometry.h"

#include <opencv2/core.hpp>

namespace samlabel::ui {

QPainterPath InstanceOverlay::pathOf(const std::vector<annotation::PolygonWithHoles>& polygons) {
    QPainterPath path;
    path.setFillRule(Qt::OddEvenFill);
    auto addRing = [&path](const std::vector<annotation::Point>& ring) {
        if (ring.size() < 2) return;
        QPolygonF polygon;
        polygon.reserve(int(ring.size()) + 1);
        for (const auto& p : ring) polygon << QPointF(p.x, p.y);
        polygon << polygon.front();
        path.addPolygon(polygon);
    };
    for (const auto& polygon : polygons) {
        addRing(polygon.outer);
        for (const auto& hole : polygon.holes) addRing(hole);
    }
    return path;
}

void InstanceOverlay::clear() {
    fill_ = QImage();
    outlines_.clear();
}

void InstanceOverlay::rebuild(const annotation::ImageAnnotations& image, QSize image_size, const ColourOf& colour_of) {
    clear();
    if (image_size.isEmpty()) return;
    // ARGB32 is B,G,R,A in memory on little-endian machines: a CV_8UC4 view
    // over the QImage's buffer lets OpenCV paint straight into it.
    fill_ = QImage(image_size, QImage::Format_ARGB32);
    fill_.fill(Qt::transparent);
    cv::Mat bgra(image_size.height(), image_size.width(), CV_8UC4, fill_.bits(), std::size_t(fill_.bytesPerLine()));
    const cv::Size size(image_size.width(), image_size.height());
    for (const auto& instance : image.instances) {
        const std::uint32_t rgb = colour_of(instance.class_id);
        const cv::Mat mask = annotation::instance_mask(instance, size);
        bgra.setTo(cv::Scalar(rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff, 255), mask);
        if (!instance.polygons.empty()) {
            outlines_[instance.id] = pathOf(instance.polygons);
        } else if (instance.mask) {
            outlines_[instance.id] = pathOf(annotation::mask_to_polygons(mask, {.tolerance_px = 0.5, .min_area_px = 1}).polygons);
        }
    }
}

QPainterPath InstanceOverlay::outline(std::uint64_t instance_id) const {
    const auto it = outlines_.find(instance_id);
    return it != outlines_.end() ? it->second : QPainterPath();
}

}  // namespace samlabel::ui
