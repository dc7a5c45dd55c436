#pragma once
// What the canvas draws over the image for one image's instances: a filled
// colour layer (one pixel per image pixel, so masks look exactly like what is
// saved) and an outline path per instance. Rebuilt when annotations change.
#include "core/annotation/annotation_types.h"

#include <QImage>
#include <QPainterPath>

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <map>

namespace samlabel::ui {

class InstanceOverlay {
public:
    using ColourOf = std::function<std::uint32_t(annotation::ClassId)>;

    void rebuild(const annotation::ImageAnnotations& image, QSize image_size, const ColourOf& colour_of);
    void clear();

    const QImage& fill() const { return fill_; }  // ARGB32, transparent where no instance
    // Outline (outer rings and holes, odd-even fill) in image coordinates.
    QPainterPath outline(std::uint64_t instance_id) const;
    const std::map<std::uint64_t, QPainterPath>& outlines() const { return outlines_; }

    static QPainterPath pathOf(const std::vector<annotation::PolygonWithHoles>& polygons);

private:
    // Each instance's raster, cropped to its box and keyed by a hash of its
    // geometry, so an edit re-rasterises only the instance that changed (a
    // vertex drag on a 24 MP photo stays interactive).
    struct Raster {
        std::uint64_t geometry_hash = 0;
        cv::Rect roi;
        cv::Mat1b mask;  // roi-sized
        QPainterPath outline;
    };
    const Raster& rasterOf(const annotation::Instance& instance, QSize image_size);

    QImage fill_;
    std::map<std::uint64_t, QPainterPath> outlines_;
    std::map<std::uint64_t, Raster> rasters_;
    QSize rasters_size_;
};

}  // namespace samlabel::ui
