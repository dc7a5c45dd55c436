#include "core/io/export_geometry.h"

#include "core/annotation/mask_geometry.h"
#include "core/annotation/rle.h"
#include "core/io/mask_roi.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace samlabel::io {
namespace {

using annotation::Instance;
using annotation::Point;
using annotation::PolygonWithHoles;

std::string size_text(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

// "4", "2.5": as a person writes an option's value (std::to_string gives "4.000000").
std::string number_text(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

// Checks shared by both resolutions; false (with reason) if the mask is unusable.
bool check_mask(const Instance& instance, int width, int height, ExportGeometry& g) {
    const annotation::RleMask& m = *instance.mask;
    if (m.width != width || m.height != height) {
        g.reason = SkipReason::SizeMismatch;
        g.detail = "mask is " + size_text(m.width, m.height) + ", image is " + size_text(width, height);
        return false;
    }
    if (const std::string why = annotation::rle_validation_error(m); !why.empty()) {
        g.reason = SkipReason::Degenerate;
        g.detail = "invalid mask: " + why;
        return false;
    }
    return true;
}

struct VertexExtent {
    double x0 = std::numeric_limits<double>::infinity(), y0 = x0;
    double x1 = -std::numeric_limits<double>::infinity(), y1 = x1;
    bool finite = true;
    void add(const Point& p) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) finite = false;
        x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
    }
    bool empty() const { return !(x1 >= x0 && y1 >= y0); }
};

// Extent of the parts that have an area (>= 3 points, non-zero shoelace area).
VertexExtent outer_extent(const std::vector<PolygonWithHoles>& polygons) {
    VertexExtent e;
    for (const PolygonWithHoles& p : polygons) {
        if (p.outer.size() < 3 || !(annotation::ring_area(p.outer) > 0.0)) continue;
        for (const Point& v : p.outer) e.add(v);
    }
    return e;
}

// Outside when the extent does not overlap the image with positive area.
bool outside_image(const VertexExtent& e, int width, int height) {
    return e.x1 <= 0.0 || e.y1 <= 0.0 || e.x0 >= width || e.y0 >= height;
}

std::vector<Point> clamp_ring(const std::vector<Point>& ring, int width, int height, bool& clamped) {
    std::vector<Point> out(ring);
    for (Point& p : out) {
        const Point q{std::clamp(p.x, 0.0, double(width)), std::clamp(p.y, 0.0, double(height))};
        if (q.x != p.x || q.y != p.y) clamped = true;
        p = q;
    }
    return out;
}

}  // namespace

std::optional<int> export_class_index(const Instance& instance, const std::string& image_relative_path,
                                      const DenseClassMap& classes, ExportReport& report) {
    const std::optional<int> cls = classes.dense_index(instance.class_id);
    if (!cls)
        report.skip(image_relative_path, instance.id, SkipReason::NoClass,
                    instance.class_id == annotation::kNoClass
                        ? "unassigned"
                        : "class id " + std::to_string(instance.class_id) + " not in the project");
    return cls;
}

ExportGeometry export_box(const Instance& instance, int width, int height) {
    ExportGeometry g;
    if (instance.mask) {
        if (!check_mask(instance, width, height, g)) return g;
        const cv::Rect b = annotation::rle_bbox(*instance.mask);
        if (b.width <= 0 || b.height <= 0) {
            g.reason = SkipReason::Degenerate;
            g.detail = "empty mask";
            return g;
        }
        g.box = cv::Rect2d(b.x, b.y, b.width, b.height);
        g.ok = true;
        return g;
    }
    const VertexExtent e = outer_extent(instance.polygons);
    if (e.empty()) {
        g.detail = instance.polygons.empty() ? "no polygon and no mask" : "no polygon with 3 or more points and an area";
        return g;
    }
    if (!e.finite) {
        g.detail = "non-finite coordinates";
        return g;
    }
    if (outside_image(e, width, height)) {
        g.reason = SkipReason::OutsideImage;
        g.detail = "box " + std::to_string(e.x0) + "," + std::to_string(e.y0) + " .. " + std::to_string(e.x1) + "," +
                   std::to_string(e.y1) + " is outside the " + size_text(width, height) + " image";
        return g;
    }
    const double x0 = std::max(e.x0, 0.0), y0 = std::max(e.y0, 0.0);
    const double x1 = std::min(e.x1, double(width)), y1 = std::min(e.y1, double(height));
    if (!(x1 > x0 && y1 > y0)) {
        g.detail = "zero-size box";
        return g;
    }
    if (x0 != e.x0 || y0 != e.y0 || x1 != e.x1 || y1 != e.y1) g.notes.push_back("box clamped to the image");
    g.box = cv::Rect2d(x0, y0, x1 - x0, y1 - y0);
    g.ok = true;
    return g;
}

ExportGeometry export_polygons(const Instance& instance, int width, int height, const PolygonExportOptions& options) {
    ExportGeometry g;
    if (instance.mask) {
        if (!check_mask(instance, width, height, g)) return g;
        const MaskRoi roi = decode_rle_roi(*instance.mask, 1);
        if (roi.mask.empty()) {
            g.detail = "empty mask";
            return g;
        }
        annotation::PolygonizeOptions po;
        po.tolerance_px = options.tolerance_px;
        po.min_area_px = options.min_area_px;
        annotation::PolygonizeResult r = annotation::mask_to_polygons(roi.mask, po);
        if (r.dropped_parts > 0)
            g.notes.push_back(std::to_string(r.dropped_parts) + " mask speck(s) below " +
                              number_text(options.min_area_px) + " px dropped (" + std::to_string(r.dropped_pixels) +
                              " pixels)");
        if (r.dropped_holes > 0)
            g.notes.push_back(std::to_string(r.dropped_holes) + " hole(s) below " + number_text(options.min_area_px) +
                              " px filled");
        if (r.polygons.empty()) {
            g.detail = "mask has no part that survives polygonisation (" + std::to_string(annotation::rle_area(*instance.mask)) +
                       " pixels)";
            return g;
        }
        const double dx = roi.origin.x, dy = roi.origin.y;
        for (PolygonWithHoles& p : r.polygons) {
            for (Point& v : p.outer) v.x += dx, v.y += dy;
            for (auto& h : p.holes)
                for (Point& v : h) v.x += dx, v.y += dy;
            if (!p.holes.empty()) g.has_holes = true;
        }
        g.polygons = std::move(r.polygons);
        const cv::Rect b = annotation::rle_bbox(*instance.mask);
        g.box = cv::Rect2d(b.x, b.y, b.width, b.height);
        g.ok = true;
        return g;
    }

    const ExportGeometry box = export_box(instance, width, height);
    if (!box.ok) return box;
    bool clamped = false;
    int dropped_parts = 0, dropped_holes = 0;
    for (const PolygonWithHoles& p : instance.polygons) {
        PolygonWithHoles c;
        c.outer = clamp_ring(p.outer, width, height, clamped);
        if (c.outer.size() < 3 || annotation::ring_area(c.outer) <= 0.0) {
            ++dropped_parts;
            continue;
        }
        for (const auto& h : p.holes) {
            auto ch = clamp_ring(h, width, height, clamped);
            if (ch.size() < 3 || annotation::ring_area(ch) <= 0.0) {
                ++dropped_holes;
                continue;
            }
            c.holes.push_back(std::move(ch));
        }
        if (!c.holes.empty()) g.has_holes = true;
        g.polygons.push_back(std::move(c));
    }
    if (g.polygons.empty()) {
        g.reason = SkipReason::Degenerate;
        g.detail = "no polygon with 3 or more points and a positive area inside the image";
        g.has_holes = false;
        return g;
    }
    if (clamped) g.notes.push_back("vertices clamped to the image");
    if (dropped_parts) g.notes.push_back(std::to_string(dropped_parts) + " degenerate part(s) dropped (< 3 points or no area)");
    if (dropped_holes) g.notes.push_back(std::to_string(dropped_holes) + " degenerate hole(s) dropped");
    // Box of what is written (clamped parts without the dropped ones).
    VertexExtent e = outer_extent(g.polygons);
    g.box = cv::Rect2d(e.x0, e.y0, e.x1 - e.x0, e.y1 - e.y0);
    g.ok = true;
    return g;
}

}  // namespace samlabel::io
