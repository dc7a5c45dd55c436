#pragma once
// Geometry of instances: masks <-> polygons with holes, areas, boxes, hit tests.
//
// Coordinate convention (shared with annotation_types.h): polygon vertices are
// in the EXIF-corrected image frame with (0,0) at the top-left CORNER of the
// top-left pixel; pixel (c, r) covers [c, c+1) x [r, r+1), centre (c+0.5, r+0.5).
// mask_to_polygons puts every vertex on the centre of a boundary pixel of the
// region (outer rings through the outermost pixels, hole rings through the
// region's pixels that border the hole: cv::findContours' rings, +0.5).
// polygons_to_mask is an exact scanline fill at pixel centres: a pixel is set
// when its centre is inside or on the outer ring (even-odd), and cleared when
// its centre is strictly inside a hole (hole rings themselves stay set);
// "on" allows 1e-9 px for rounding. A ring along pixel corners (0,0)-(10,10)
// therefore sets exactly 10x10 pixels, and through centres (0.5,0.5)-(9.5,9.5)
// also 10x10. With these two rules polygons_to_mask(mask_to_polygons(m))
// reproduces m exactly at tolerance 0 (tested on random shapes with holes).
// pycocotools applies the same centre rule after rounding vertices to 1/5 px,
// so the two differ only within ~0.2 px of the outline.
#include "core/annotation/annotation_types.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace samlabel::annotation {

struct PolygonizeOptions {
    // approxPolyDP epsilon in pixels; 0 keeps every contour vertex.
    double tolerance_px = 1.0;
    // Connected parts (and holes) with fewer pixels than this are dropped and
    // counted, never silently.
    double min_area_px = 4.0;
};

struct PolygonizeResult {
    std::vector<PolygonWithHoles> polygons;  // one per connected part (8-connectivity)
    // Foreground parts dropped: below min_area_px, or a line/dot one pixel
    // wide whose outline has fewer than 3 distinct points.
    int dropped_parts = 0;
    int dropped_holes = 0;        // holes below min_area_px (filled in)
    std::uint64_t dropped_pixels = 0;  // foreground pixels lost with dropped parts
};

// mask: CV_8UC1, non-zero = foreground. Uses cv::findContours (RETR_CCOMP,
// outer rings with their holes) and cv::approxPolyDP. A ring that
// simplification would shrink below 3 points keeps its unsimplified points.
// Works on the bounding box of the foreground only.
PolygonizeResult mask_to_polygons(const cv::Mat& mask, const PolygonizeOptions& options = {});
// Same from an RLE mask, decoding only its bounding box (fast for exporters).
PolygonizeResult rle_to_polygons(const RleMask& rle, const PolygonizeOptions& options = {});

// CV_8UC1 of `size`, 255 on the pixels the rule above selects (separate
// polygons are OR-ed; a polygon's holes never clear another polygon's pixels).
// Cost: the rows and columns of each polygon's box only.
cv::Mat polygons_to_mask(const std::vector<PolygonWithHoles>& polygons, cv::Size size);
// Paints the polygons into an existing CV_8UC1 mask with `value`.
void fill_polygons(cv::Mat& mask, const std::vector<PolygonWithHoles>& polygons, std::uint8_t value = 255);

// Shoelace area of a ring (absolute value, any orientation).
double ring_area(const std::vector<Point>& ring);
// Outer ring area minus the holes' areas.
double polygon_area(const PolygonWithHoles& polygon);
double polygons_area(const std::vector<PolygonWithHoles>& polygons);

// Area in pixels: the mask's pixel count when there is a mask, else the
// polygons' area.
double instance_area(const Instance& instance);

// Box in the corner frame (x, y, width, height): from the mask's pixels when
// there is a mask (pixel (c,r) spans c..c+1), else from the polygon vertices.
// nullopt for an instance without geometry.
std::optional<cv::Rect2d> instance_bbox(const Instance& instance);

// The instance as a CV_8UC1 0/255 mask of `size`: its mask if it has one,
// else its rasterised polygons.
cv::Mat instance_mask(const Instance& instance, cv::Size size);

// Even-odd point-in-polygon (inside the outer ring and not inside a hole).
bool polygon_contains(const PolygonWithHoles& polygon, Point p);
// Hit test: the pixel under p for masks, the polygons otherwise.
bool instance_contains(const Instance& instance, Point p);
// The topmost (last drawn) instance under p, for hover and selection.
std::optional<std::uint64_t> topmost_instance_at(const ImageAnnotations& image, Point p);

}  // namespace samlabel::annotation
