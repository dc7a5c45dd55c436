#include "core/annotation/mask_geometry.h"

#include "core/annotation/rle.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace samlabel::annotation {
namespace {

// cv::fillPoly fixed-point precision: 8 fractional bits.
constexpr int kShift = 8;
constexpr double kScale = 1 << kShift;

// Corner-frame vertex -> fixed-point pixel-centre frame (pixel c has centre c).
cv::Point to_fixed(const Point& p, cv::Point2d offset) {
    return {static_cast<int>(std::lround((p.x - 0.5 - offset.x) * kScale)),
            static_cast<int>(std::lround((p.y - 0.5 - offset.y) * kScale))};
}

std::vector<cv::Point> ring_fixed(const std::vector<Point>& ring, cv::Point2d offset) {
    std::vector<cv::Point> out;
    out.reserve(ring.size());
    for (const Point& p : ring) out.push_back(to_fixed(p, offset));
    return out;
}

std::vector<Point> ring_points(const std::vector<cv::Point>& contour, cv::Point offset) {
    std::vector<Point> out;
    out.reserve(contour.size());
    for (const cv::Point& c : contour) out.push_back({c.x + offset.x + 0.5, c.y + offset.y + 0.5});
    return out;
}

std::size_t distinct_points(const std::vector<cv::Point>& contour) {
    std::vector<cv::Point> sorted = contour;
    std::sort(sorted.begin(), sorted.end(), [](const cv::Point& a, const cv::Point& b) { return a.x != b.x ? a.x < b.x : a.y < b.y; });
    return static_cast<std::size_t>(std::unique(sorted.begin(), sorted.end()) - sorted.begin());
}

// approxPolyDP, unless it would leave fewer than 3 points.
std::vector<cv::Point> simplify(const std::vector<cv::Point>& contour, double tolerance_px) {
    if (tolerance_px <= 0.0) return contour;
    std::vector<cv::Point> out;
    cv::approxPolyDP(contour, out, tolerance_px, true);
    return out.size() >= 3 ? out : contour;
}

// Pixels of the hole ring `hole` (contour coordinates of `mask`) that are
// background, i.e. the hole's own pixels.
int hole_pixel_count(const cv::Mat& mask, const std::vector<cv::Point>& hole) {
    const cv::Rect box = cv::boundingRect(hole);
    cv::Mat inside(box.size(), CV_8UC1, cv::Scalar(0));
    cv::fillPoly(inside, std::vector<std::vector<cv::Point>>{hole}, 255, cv::LINE_8, 0, -box.tl());
    cv::Mat background;
    cv::compare(mask(box), 0, background, cv::CMP_EQ);
    return cv::countNonZero(inside & background);
}

// Exact pixel count of one part: its outer ring rasterised, its holes cleared
// (the same rules as fill_polygons), intersected with the mask. Only called
// for parts that may be below the minimum area, so the box stays small.
std::uint64_t part_pixel_count(const cv::Mat& binary, const std::vector<cv::Point>& outer,
                               const std::vector<const std::vector<cv::Point>*>& holes) {
    const cv::Rect box = cv::boundingRect(outer);
    cv::Mat part(box.size(), CV_8UC1, cv::Scalar(0));
    cv::fillPoly(part, std::vector<std::vector<cv::Point>>{outer}, 255, cv::LINE_8, 0, -box.tl());
    for (const auto* hole : holes) {
        std::vector<std::vector<cv::Point>> ring{*hole};
        for (cv::Point& p : ring[0]) p -= box.tl();
        cv::fillPoly(part, ring, 0);
        cv::polylines(part, ring, true, 255, 1, cv::LINE_8);
    }
    return static_cast<std::uint64_t>(cv::countNonZero(part & binary(box)));
}

PolygonizeResult polygonize_cropped(const cv::Mat& crop, cv::Point offset, const PolygonizeOptions& options) {
    PolygonizeResult result;
    if (crop.empty()) return result;
    cv::Mat binary;
    cv::compare(crop, 0, binary, cv::CMP_NE);  // 0/255

    // CHAIN_APPROX_NONE: every boundary pixel is a contour point, which gives
    // a free lower bound on a part's pixel count (exact counting, e.g. with
    // connectedComponentsWithStats, costs ~15x more than the tracing).
    std::vector<std::vector<cv::Point>> contours;
    std::vector<cv::Vec4i> hierarchy;
    cv::findContours(binary, contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_NONE);

    // RETR_CCOMP: the top level (parent -1) are outer rings; their children are holes.
    for (std::size_t i = 0; i < contours.size(); ++i) {
        if (hierarchy[i][3] >= 0) continue;
        const std::vector<cv::Point>& outer = contours[i];
        std::vector<const std::vector<cv::Point>*> holes;
        for (int h = hierarchy[i][2]; h >= 0; h = hierarchy[h][0]) holes.push_back(&contours[static_cast<std::size_t>(h)]);
        const std::size_t boundary = distinct_points(outer);
        if (boundary < 3) {  // a dot or a 2-pixel dash: no polygon can describe it
            ++result.dropped_parts;
            result.dropped_pixels += boundary;
            continue;
        }
        if (double(boundary) < options.min_area_px) {
            const std::uint64_t pixels = part_pixel_count(binary, outer, holes);
            if (double(pixels) < options.min_area_px) {
                ++result.dropped_parts;
                result.dropped_pixels += pixels;
                continue;
            }
        }
        PolygonWithHoles poly;
        poly.outer = ring_points(simplify(outer, options.tolerance_px), offset);
        for (const auto* hole : holes) {
            // Pixels strictly inside a simple lattice ring: area - boundary/2 + 1
            // (Pick); count exactly only when that estimate is near the limit.
            const double estimate = cv::contourArea(*hole) - double(hole->size()) / 2.0 + 1.0;
            const bool small = distinct_points(*hole) < 3 ||
                               (estimate < options.min_area_px + 2.0 && hole_pixel_count(binary, *hole) < options.min_area_px);
            if (small) {
                ++result.dropped_holes;
                continue;
            }
            poly.holes.push_back(ring_points(simplify(*hole, options.tolerance_px), offset));
        }
        result.polygons.push_back(std::move(poly));
    }
    return result;
}

cv::Rect2d ring_bounds(const std::vector<Point>& ring) {
    double x0 = ring.front().x, x1 = x0, y0 = ring.front().y, y1 = y0;
    for (const Point& p : ring) {
        x0 = std::min(x0, p.x);
        x1 = std::max(x1, p.x);
        y0 = std::min(y0, p.y);
        y1 = std::max(y1, p.y);
    }
    return {x0, y0, x1 - x0, y1 - y0};
}

bool ring_contains(const std::vector<Point>& ring, Point p) {
    bool inside = false;
    for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
        const Point& a = ring[i];
        const Point& b = ring[j];
        if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) inside = !inside;
    }
    return inside;
}

}  // namespace

PolygonizeResult mask_to_polygons(const cv::Mat& mask, const PolygonizeOptions& options) {
    if (mask.empty()) return {};
    if (mask.type() != CV_8UC1) throw std::invalid_argument("mask_to_polygons: the mask must be CV_8UC1");
    const cv::Rect box = cv::boundingRect(mask);  // of the non-zero pixels
    if (box.empty()) return {};
    return polygonize_cropped(mask(box), box.tl(), options);
}

PolygonizeResult rle_to_polygons(const RleMask& rle, const PolygonizeOptions& options) {
    if (const std::string why = rle_validation_error(rle); !why.empty()) throw RleError("rle_to_polygons: " + why);
    const cv::Rect box = rle_bbox(rle);
    if (box.empty()) return {};
    // Decode only the box. In column-major order a run is a contiguous span of
    // each column it touches, i.e. of a row of the transposed buffer: memset.
    cv::Mat columns(box.width, box.height, CV_8UC1, cv::Scalar(0));  // one row per image column
    const std::uint64_t h = static_cast<std::uint64_t>(rle.height);
    const std::uint64_t y0 = static_cast<std::uint64_t>(box.y), y1 = y0 + static_cast<std::uint64_t>(box.height);
    const std::uint64_t end = static_cast<std::uint64_t>(box.x + box.width) * h;
    std::uint64_t pos = 0;
    for (std::size_t i = 0; i < rle.counts.size() && pos < end; ++i) {
        const std::uint64_t run_end = pos + rle.counts[i];
        for (std::uint64_t k = pos; i % 2 == 1 && k < run_end;) {
            const std::uint64_t col = k / h, row = k % h;
            const std::uint64_t stop = std::min(run_end, (col + 1) * h);  // end of this column's part of the run
            const std::uint64_t r0 = std::max(row, y0), r1 = std::min(row + (stop - k), y1);
            if (r1 > r0 && col >= static_cast<std::uint64_t>(box.x))
                std::memset(columns.ptr<std::uint8_t>(static_cast<int>(col - static_cast<std::uint64_t>(box.x))) + (r0 - y0), 255, r1 - r0);
            k = stop;
        }
        pos = run_end;
    }
    cv::Mat crop;
    cv::transpose(columns, crop);
    return polygonize_cropped(crop, box.tl(), options);
}

void fill_polygons(cv::Mat& mask, const std::vector<PolygonWithHoles>& polygons, std::uint8_t value) {
    if (mask.type() != CV_8UC1) throw std::invalid_argument("fill_polygons: the mask must be CV_8UC1");
    const cv::Rect image(0, 0, mask.cols, mask.rows);
    for (const PolygonWithHoles& poly : polygons) {
        if (poly.outer.size() < 3) continue;
        // Work in a scratch buffer the size of the polygon's box so that the
        // holes of one polygon never cut into another (islands inside holes).
        const cv::Rect2d b = ring_bounds(poly.outer);
        const cv::Rect box = cv::Rect(cv::Point(static_cast<int>(std::floor(b.x)) - 1, static_cast<int>(std::floor(b.y)) - 1),
                                      cv::Point(static_cast<int>(std::ceil(b.x + b.width)) + 2,
                                                static_cast<int>(std::ceil(b.y + b.height)) + 2)) & image;
        if (box.empty()) continue;
        const cv::Point2d offset(box.x, box.y);
        cv::Mat scratch(box.size(), CV_8UC1, cv::Scalar(0));
        cv::fillPoly(scratch, std::vector<std::vector<cv::Point>>{ring_fixed(poly.outer, offset)}, 255, cv::LINE_8, kShift);
        for (const auto& hole : poly.holes) {
            if (hole.size() < 3) continue;
            const std::vector<std::vector<cv::Point>> ring{ring_fixed(hole, offset)};
            cv::fillPoly(scratch, ring, 0, cv::LINE_8, kShift);
            // The hole ring runs through the region's own border pixels: keep them.
            cv::polylines(scratch, ring, true, 255, 1, cv::LINE_8, kShift);
        }
        mask(box).setTo(value, scratch);
    }
}

cv::Mat polygons_to_mask(const std::vector<PolygonWithHoles>& polygons, cv::Size size) {
    cv::Mat mask(size, CV_8UC1, cv::Scalar(0));
    fill_polygons(mask, polygons, 255);
    return mask;
}

double ring_area(const std::vector<Point>& ring) {
    if (ring.size() < 3) return 0.0;
    double twice = 0.0;
    for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) twice += ring[j].x * ring[i].y - ring[i].x * ring[j].y;
    return std::abs(twice) * 0.5;
}

double polygon_area(const PolygonWithHoles& polygon) {
    double area = ring_area(polygon.outer);
    for (const auto& hole : polygon.holes) area -= ring_area(hole);
    return std::max(0.0, area);
}

double polygons_area(const std::vector<PolygonWithHoles>& polygons) {
    double area = 0.0;
    for (const PolygonWithHoles& p : polygons) area += polygon_area(p);
    return area;
}

double instance_area(const Instance& instance) {
    if (instance.mask) return static_cast<double>(rle_area(*instance.mask));
    return polygons_area(instance.polygons);
}

std::optional<cv::Rect2d> instance_bbox(const Instance& instance) {
    if (instance.mask) {
        const cv::Rect r = rle_bbox(*instance.mask);
        if (r.empty()) return std::nullopt;
        return cv::Rect2d(r.x, r.y, r.width, r.height);
    }
    std::optional<cv::Rect2d> box;
    for (const PolygonWithHoles& p : instance.polygons) {
        if (p.outer.empty()) continue;
        const cv::Rect2d b = ring_bounds(p.outer);
        box = box ? (*box | b) : b;
    }
    return box;
}

cv::Mat instance_mask(const Instance& instance, cv::Size size) {
    if (instance.mask && instance.mask->width == size.width && instance.mask->height == size.height)
        return decode_rle(*instance.mask, 255);
    if (instance.mask) {
        cv::Mat decoded = decode_rle(*instance.mask, 255);
        cv::Mat out(size, CV_8UC1, cv::Scalar(0));
        const cv::Rect common = cv::Rect(0, 0, decoded.cols, decoded.rows) & cv::Rect(0, 0, size.width, size.height);
        decoded(common).copyTo(out(common));
        return out;
    }
    return polygons_to_mask(instance.polygons, size);
}

bool polygon_contains(const PolygonWithHoles& polygon, Point p) {
    if (polygon.outer.size() < 3 || !ring_contains(polygon.outer, p)) return false;
    for (const auto& hole : polygon.holes)
        if (hole.size() >= 3 && ring_contains(hole, p)) return false;
    return true;
}

bool instance_contains(const Instance& instance, Point p) {
    if (instance.mask)
        return rle_contains(*instance.mask, static_cast<int>(std::floor(p.x)), static_cast<int>(std::floor(p.y)));
    for (const PolygonWithHoles& poly : instance.polygons)
        if (polygon_contains(poly, p)) return true;
    return false;
}

std::optional<std::uint64_t> topmost_instance_at(const ImageAnnotations& image, Point p) {
    for (auto it = image.instances.rbegin(); it != image.instances.rend(); ++it)
        if (instance_contains(*it, p)) return it->id;
    return std::nullopt;
}

}  // namespace samlabel::annotation
