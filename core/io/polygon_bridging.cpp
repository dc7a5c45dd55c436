#include "core/io/polygon_bridging.h"

#include <cstddef>
#include <limits>

namespace samlabel::io {

Ring bridge_rings(const std::vector<Ring>& rings) {
    if (rings.empty()) return {};
    Ring merged = rings.front();
    for (std::size_t r = 1; r < rings.size(); ++r) {
        const Ring& next = rings[r];
        if (next.empty()) continue;
        // Nearest vertex pair. O(n*m) is fine: rings come from approxPolyDP
        // or from hand-drawn polygons, i.e. tens to hundreds of vertices.
        std::size_t best_i = 0, best_j = 0;
        double best_d2 = std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < merged.size(); ++i) {
            for (std::size_t j = 0; j < next.size(); ++j) {
                const double dx = merged[i].x - next[j].x, dy = merged[i].y - next[j].y;
                const double d2 = dx * dx + dy * dy;
                if (d2 < best_d2) {
                    best_d2 = d2;
                    best_i = i;
                    best_j = j;
                }
            }
        }
        Ring out;
        out.reserve(merged.size() + next.size() + 2);
        out.insert(out.end(), merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(best_i) + 1);
        for (std::size_t k = 0; k <= next.size(); ++k) out.push_back(next[(best_j + k) % next.size()]);
        out.push_back(merged[best_i]);
        out.insert(out.end(), merged.begin() + static_cast<std::ptrdiff_t>(best_i) + 1, merged.end());
        merged = std::move(out);
    }
    return merged;
}

Ring bridge_polygons(const std::vector<annotation::PolygonWithHoles>& parts) {
    std::vector<Ring> rings;
    for (const annotation::PolygonWithHoles& p : parts) {
        rings.push_back(p.outer);
        for (const Ring& h : p.holes) rings.push_back(h);
    }
    return bridge_rings(rings);
}

}  // namespace samlabel::io
