#include "ui/canvas/instance_overlay.h"

#include "core/annotation/mask_geometry.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

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

namespace {

std::uint64_t geometryHash(const annotation::Instance& instance) {
    // FNV-1a over the vertices and the RLE runs: cheap next to rasterising.
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&h](const void* data, std::size_t bytes) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ull;
    };
    for (const auto& polygon : instance.polygons) {
        mix(polygon.outer.data(), polygon.outer.size() * sizeof(annotation::Point));
        for (const auto& hole : polygon.holes) mix(hole.data(), hole.size() * sizeof(annotation::Point));
        const std::size_t rings = polygon.holes.size();
        mix(&rings, sizeof rings);
    }
    if (instance.mask) {
        mix(&instance.mask->width, sizeof(int));
        mix(&instance.mask->height, sizeof(int));
        mix(instance.mask->counts.data(), instance.mask->counts.size() * sizeof(std::uint32_t));
    }
    return h;
}

}  // namespace

void InstanceOverlay::clear() {
    fill_ = QImage();
    outlines_.clear();
}

const InstanceOverlay::Raster& InstanceOverlay::rasterOf(const annotation::Instance& instance, QSize image_size) {
    const std::uint64_t hash = geometryHash(instance);
    Raster& raster = rasters_[instance.id];
    if (raster.geometry_hash == hash && !raster.mask.empty()) return raster;
    raster = Raster{};
    raster.geometry_hash = hash;
    const cv::Size size(image_size.width(), image_size.height());
    const cv::Rect image_rect({0, 0}, size);
    if (instance.mask) {
        const cv::Mat full = annotation::instance_mask(instance, size);
        raster.roi = cv::boundingRect(full) & image_rect;
        if (raster.roi.area() > 0) raster.mask = full(raster.roi).clone();
    } else if (auto box = annotation::instance_bbox(instance)) {
        // Rasterise only inside the polygon's box: shift the rings to it.
        const cv::Rect roi = cv::Rect(int(std::floor(box->x)) - 1, int(std::floor(box->y)) - 1, int(std::ceil(box->width)) + 3,
                                      int(std::ceil(box->height)) + 3) & image_rect;
        if (roi.area() > 0) {
            auto shifted = instance.polygons;
            for (auto& polygon : shifted) {
                for (auto& p : polygon.outer) p = {p.x - roi.x, p.y - roi.y};
                for (auto& hole : polygon.holes)
                    for (auto& p : hole) p = {p.x - roi.x, p.y - roi.y};
            }
            raster.roi = roi;
            raster.mask = cv::Mat1b(roi.size(), uchar(0));
            annotation::fill_polygons(raster.mask, shifted, 255);
        }
    }
    if (!instance.polygons.empty()) {
        raster.outline = pathOf(instance.polygons);
    } else if (!raster.mask.empty()) {
        auto polygons = annotation::mask_to_polygons(raster.mask, {.tolerance_px = 0.5, .min_area_px = 1}).polygons;
        for (auto& polygon : polygons) {
            for (auto& p : polygon.outer) p = {p.x + raster.roi.x, p.y + raster.roi.y};
            for (auto& hole : polygon.holes)
                for (auto& p : hole) p = {p.x + raster.roi.x, p.y + raster.roi.y};
        }
        raster.outline = pathOf(polygons);
    }
    return raster;
}

void InstanceOverlay::rebuild(const annotation::ImageAnnotations& image, QSize image_size, const ColourOf& colour_of) {
    clear();
    if (image_size.isEmpty()) return;
    if (image_size != rasters_size_) {
        rasters_.clear();
        rasters_size_ = image_size;
    }
    // ARGB32 is B,G,R,A in memory on little-endian machines: a CV_8UC4 view
    // over the QImage's buffer lets OpenCV paint straight into it.
    fill_ = QImage(image_size, QImage::Format_ARGB32);
    fill_.fill(Qt::transparent);
    cv::Mat bgra(image_size.height(), image_size.width(), CV_8UC4, fill_.bits(), std::size_t(fill_.bytesPerLine()));
    std::map<std::uint64_t, Raster> kept;
    for (const auto& instance : image.instances) {
        const Raster& raster = rasterOf(instance, image_size);
        const std::uint32_t rgb = colour_of(instance.class_id);
        if (!raster.mask.empty())
            bgra(raster.roi).setTo(cv::Scalar(rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff, 255), raster.mask);
        outlines_[instance.id] = raster.outline;
        kept[instance.id] = raster;
    }
    rasters_.swap(kept);  // forget deleted instances (and other images')
}

QPainterPath InstanceOverlay::outline(std::uint64_t instance_id) const {
    const auto it = outlines_.find(instance_id);
    return it != outlines_.end() ? it->second : QPainterPath();
}

}  // namespace samlabel::ui
