#pragma once
// YOLO segment labels hold exactly one ring per instance (one line), yet an
// instance may have holes and several disjoint parts. We join every ring into
// one with zero-width "bridges", the same idea as Ultralytics'
// converter.merge_multi_segment: walk the ring built so far to the vertex
// nearest the next ring, go once around that ring, come back along the same
// segment, continue. A bridge is traversed twice in opposite directions, so it
// changes nothing under even-odd filling (cv2.fillPoly, which Ultralytics uses
// to rasterise training masks): holes stay empty, islands inside holes stay
// filled, parts stay separate.
#include "core/annotation/annotation_types.h"

#include <vector>

namespace samlabel::io {

using Ring = std::vector<annotation::Point>;

// Rings in this order: part 0 outer, its holes, part 1 outer, its holes, ...
// Rings with fewer than 3 points must have been removed by the caller.
// The result starts with the first ring's first point; a lone ring is returned
// unchanged (so imported labels re-export byte for byte).
Ring bridge_rings(const std::vector<Ring>& rings);

// Convenience over bridge_rings for polygons with holes.
Ring bridge_polygons(const std::vector<annotation::PolygonWithHoles>& parts);

}  // namespace samlabel::io
