#include "core/annotation/mask_geometry.h"

#include "core/annotation/rle.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace samlabel::annotation {
namespace {

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
    fill_polygons(inside, {PolygonWithHoles{ring_points(hole, -box.tl()), {}}}, 255);
    cv::Mat background;
    cv::compare(mask(box), 0, background, cv::CMP_EQ);
    return cv::countNonZero(inside & background);
}

// Exact pixel count of one part: its outer ring and holes rasterised by
// fill_polygons, intersected with the mask. Only called for parts that may be
// below the minimum area, so the box stays small.
std::uint64_t part_pixel_count(const cv::Mat& binary, const std::vector<cv::Point>& outer,
                               const std::vector<const std::vector<cv::Point>*>& holes) {
    const cv::Rect box = cv::boundingRect(outer);
    PolygonWithHoles part{ring_points(outer, -box.tl()), {}};
    for (const auto* hole : holes) part.holes.push_back(ring_points(*hole, -box.tl()));
    cv::Mat raster(box.size(), CV_8UC1, cv::Scalar(0));
    fill_polygons(raster, {part}, 255);
    return static_cast<std::uint64_t>(cv::countNonZero(raster & binary(box)));
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

// --- Exact scanline rasteriser (the pixel-centre rule of the header) ---

// Centres within this distance of a ring, measured along the scanline, count
// as on it: vertices from mask_to_polygons sit exactly on pixel centres, and
// the crossing of a slanted edge through a centre may round by an ulp.
constexpr double kOnRingEps = 1e-9;
// Keeps far-away coordinates inside int range; the image clips them anyway.
constexpr double kCoordLimit = 1 << 29;

// Smallest index i whose centre i + 0.5 is >= v (rows: y, columns: x).
int first_centre_at_or_after(double v) {
    v = std::clamp(v, -kCoordLimit, kCoordLimit);
    double i = std::ceil(v - 0.5);
    if (i + 0.5 < v) i += 1.0;  // v - 0.5 may have rounded
    else if (i - 0.5 >= v) i -= 1.0;
    return static_cast<int>(i);
}

// Smallest index i whose centre i + 0.5 is > v.
int first_centre_after(double v) {
    v = std::clamp(v, -kCoordLimit, kCoordLimit);
    double i = std::floor(v - 0.5) + 1.0;
    if (i + 0.5 <= v) i += 1.0;
    else if (i - 0.5 > v) i -= 1.0;
    return static_cast<int>(i);
}

bool finite_ring(const std::vector<Point>& ring) {
    return std::all_of(ring.begin(), ring.end(), [](const Point& p) { return std::isfinite(p.x) && std::isfinite(p.y); });
}

// Rasterises polygons one at a time. A polygon without holes is written
// straight into the target, one memset per run of pixels; one with holes goes
// through a code buffer the size of its box (bits below), so that its holes
// never clear another polygon's pixels. Buffers are reused across polygons.
class PolygonRasteriser {
public:
    void fill(cv::Mat& target, const PolygonWithHoles& poly, std::uint8_t value) {
        if (poly.outer.size() < 3 || !finite_ring(poly.outer)) return;
        const cv::Rect box = centre_box(poly.outer) & cv::Rect(0, 0, target.cols, target.rows);
        if (box.empty()) return;
        const bool has_holes = std::any_of(poly.holes.begin(), poly.holes.end(),
                                           [](const auto& h) { return h.size() >= 3 && finite_ring(h); });
        if (!has_holes) {
            scan_ring(poly.outer, box, true, [&](int r, int c_first, int c_end, bool) {
                std::memset(target.ptr<std::uint8_t>(box.y + r) + c_first, value, static_cast<std::size_t>(c_end - c_first));
            });
            return;
        }
        code_.create(box.size(), CV_8UC1);
        code_.setTo(0);
        scan_ring(poly.outer, box, true, [&](int r, int c_first, int c_end, bool) {
            std::memset(code_.ptr<std::uint8_t>(r) + (c_first - box.x), kOuter, static_cast<std::size_t>(c_end - c_first));
        });
        for (const auto& hole : poly.holes) {
            if (hole.size() < 3 || !finite_ring(hole)) continue;
            const cv::Rect hole_box = (centre_box(hole) & box) - box.tl();
            if (hole_box.empty()) continue;
            scan_ring(hole, box, false, [&](int r, int c_first, int c_end, bool on_ring) {
                mark(r, c_first - box.x, c_end - box.x, on_ring ? kHoleRing : kHoleInside);
            });
            // Commit this hole alone: a centre on one hole's ring is still
            // cleared when it lies strictly inside another hole.
            for (int r = hole_box.y; r < hole_box.y + hole_box.height; ++r) {
                std::uint8_t* row = code_.ptr<std::uint8_t>(r);
                for (int c = hole_box.x; c < hole_box.x + hole_box.width; ++c) {
                    const std::uint8_t v = row[c];
                    const std::uint8_t cleared = (v & (kHoleInside | kHoleRing)) == kHoleInside ? kCleared : 0;
                    row[c] = static_cast<std::uint8_t>((v | cleared) & ~(kHoleInside | kHoleRing));
                }
            }
        }
        cv::compare(code_, kOuter, selected_, cv::CMP_EQ);  // outer, not cleared
        target(box).setTo(value, selected_);
    }

private:
    enum : std::uint8_t { kOuter = 1, kHoleInside = 2, kHoleRing = 4, kCleared = 8 };

    // The pixels whose centres lie within the ring's bounds (image frame).
    static cv::Rect centre_box(const std::vector<Point>& ring) {
        const cv::Rect2d b = ring_bounds(ring);
        const int c0 = first_centre_at_or_after(b.x - kOnRingEps), c1 = first_centre_after(b.x + b.width + kOnRingEps);
        const int r0 = first_centre_at_or_after(b.y - kOnRingEps), r1 = first_centre_after(b.y + b.height + kOnRingEps);
        return {c0, r0, std::max(0, c1 - c0), std::max(0, r1 - r0)};
    }

    // Reports the ring's pixels within `box` as runs mark(r, c_first, c_end,
    // on_ring): r relative to box.y, image columns [c_first, c_end) clipped
    // to the box, non-empty. Runs with on_ring false are the centres between
    // the scanline crossings (even-odd; `inclusive`: the crossings themselves
    // too, for outer rings; exclusive for holes). Runs with on_ring true are
    // the centres on a horizontal edge or a vertex, which crossings miss.
    template <typename Mark>
    void scan_ring(const std::vector<Point>& ring, const cv::Rect& box, bool inclusive, Mark&& mark) {
        const int rows = box.height;
        const std::size_t n = ring.size();
        auto emit = [&](int r, int c_first, int c_end, bool on_ring) {
            c_first = std::max(c_first, box.x);
            c_end = std::min(c_end, box.x + box.width);
            if (r >= 0 && r < rows && c_first < c_end) mark(r, c_first, c_end, on_ring);
        };
        // Bucket the crossings per row (counting sort). An edge crosses the
        // scanline y = r + 0.5 when min(y) <= r + 0.5 < max(y) (half-open): a
        // vertex on the scanline then counts once where the ring passes
        // through it and 0 or 2 times at a local extreme, so every scanline
        // has an even number of crossings and the parity is right.
        row_start_.assign(static_cast<std::size_t>(rows) + 1, 0);
        auto edge_rows = [&](const Point& a, const Point& b) {
            const double ylo = std::min(a.y, b.y), yhi = std::max(a.y, b.y);
            return std::pair<int, int>{std::max(0, first_centre_at_or_after(ylo) - box.y),
                                       std::min(rows, first_centre_at_or_after(yhi) - box.y)};
        };
        for (std::size_t i = 0; i < n; ++i) {
            const Point& a = ring[i];
            const Point& b = ring[(i + 1) % n];
            if (a.y == b.y) continue;
            const auto [first, end] = edge_rows(a, b);
            for (int r = first; r < end; ++r) ++row_start_[static_cast<std::size_t>(r) + 1];
        }
        for (int r = 0; r < rows; ++r) row_start_[r + 1] += row_start_[r];
        crossings_.resize(static_cast<std::size_t>(row_start_[rows]));
        cursor_.assign(row_start_.begin(), row_start_.end() - 1);
        for (std::size_t i = 0; i < n; ++i) {
            // From the lower end, so that the crossing does not depend on the
            // ring's orientation (shared edges give identical values).
            Point lo = ring[i], hi = ring[(i + 1) % n];
            if (lo.y == hi.y) continue;
            if (lo.y > hi.y) std::swap(lo, hi);
            const double dx = hi.x - lo.x, dy = hi.y - lo.y;
            const auto [first, end] = edge_rows(lo, hi);
            for (int r = first; r < end; ++r) {
                // Multiply before dividing: exact for lattice rings through centres.
                const double y = box.y + r + 0.5;
                crossings_[static_cast<std::size_t>(cursor_[r]++)] = lo.x + (y - lo.y) * dx / dy;
            }
        }
        for (int r = 0; r < rows; ++r) {
            double* begin = crossings_.data() + row_start_[r];
            double* end = crossings_.data() + row_start_[r + 1];
            std::sort(begin, end);
            // end - x, not x + 1 < end: with no crossings at all both are null, and
            // null + 1 is undefined (UBSan in the sanitizer build).
            for (double* x = begin; end - x >= 2; x += 2) {
                if (inclusive) emit(r, first_centre_at_or_after(x[0] - kOnRingEps), first_centre_after(x[1] + kOnRingEps), false);
                else emit(r, first_centre_after(x[0] + kOnRingEps), first_centre_at_or_after(x[1] - kOnRingEps), false);
            }
        }
        // Vertices and horizontal edges on a scanline.
        for (std::size_t i = 0; i < n; ++i) {
            const Point& a = ring[i];
            const Point& b = ring[(i + 1) % n];
            const int r = static_cast<int>(std::lround(std::clamp(a.y - 0.5, -kCoordLimit, kCoordLimit)));
            const double y = r + 0.5;
            if (std::abs(a.y - y) > kOnRingEps) continue;
            const bool flat = std::abs(b.y - y) <= kOnRingEps;
            const double x0 = flat ? std::min(a.x, b.x) : a.x, x1 = flat ? std::max(a.x, b.x) : a.x;
            emit(r - box.y, first_centre_at_or_after(x0 - kOnRingEps), first_centre_after(x1 + kOnRingEps), true);
        }
    }

    // ORs `bit` into code_ row r, columns [first, end) of the box.
    void mark(int r, int first, int end, std::uint8_t bit) {
        std::uint8_t* row = code_.ptr<std::uint8_t>(r);
        for (int c = first; c < end; ++c) row[c] |= bit;
    }

    cv::Mat code_;  // CV_8UC1 over the polygon's box, bits above
    cv::Mat selected_;
    std::vector<int> row_start_, cursor_;
    std::vector<double> crossings_;
};

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
    PolygonRasteriser rasteriser;
    for (const PolygonWithHoles& poly : polygons) rasteriser.fill(mask, poly, value);
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
