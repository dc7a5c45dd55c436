// Masks <-> polygons with holes, areas, boxes and hit tests. Expectations are
// hand-computed on small shapes; random shapes check the exact round trip.
#include "core/annotation/mask_geometry.h"
#include "core/annotation/rle.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace samlabel::annotation;

namespace {

PolygonWithHoles rect_ring(double x0, double y0, double x1, double y1) { return {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}, {}}; }
std::vector<Point> rect_points(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x0, y1}, {x1, y1}, {x1, y0}}; }

double iou(const cv::Mat& a, const cv::Mat& b) {
    const double inter = cv::countNonZero(a & b), uni = cv::countNonZero(a | b);
    return uni == 0 ? 1.0 : inter / uni;
}

// --- The documented pixel rule, evaluated independently of fill_polygons ---
// (per pixel centre, not per scanline; parity from a VERTICAL ray, where
// fill_polygons intersects horizontal scanlines).

bool centre_on_segment(Point a, Point b, Point p) {
    const double cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
    if (std::abs(cross) > 1e-9 * std::max(1.0, std::hypot(b.x - a.x, b.y - a.y))) return false;
    return p.x >= std::min(a.x, b.x) - 1e-9 && p.x <= std::max(a.x, b.x) + 1e-9 &&
           p.y >= std::min(a.y, b.y) - 1e-9 && p.y <= std::max(a.y, b.y) + 1e-9;
}

bool centre_on_ring(const std::vector<Point>& ring, Point p) {
    for (std::size_t i = 0; i < ring.size(); ++i)
        if (centre_on_segment(ring[i], ring[(i + 1) % ring.size()], p)) return true;
    return false;
}

// Even-odd parity of the crossings of the ray from p towards -y. Only
// meaningful for points off the ring.
bool odd_crossings_upwards(const std::vector<Point>& ring, Point p) {
    bool odd = false;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        const Point a = ring[i], b = ring[(i + 1) % ring.size()];
        if ((a.x > p.x) == (b.x > p.x)) continue;
        const double y = a.y + (p.x - a.x) * (b.y - a.y) / (b.x - a.x);
        if (y < p.y) odd = !odd;
    }
    return odd;
}

double distance_to_segment(Point a, Point b, Point p) {
    const double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
    const double t = len2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0) : 0.0;
    return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

// Pixel (c, r) is set when its centre is inside or on an outer ring and not
// strictly inside one of that polygon's holes; polygons are OR-ed.
cv::Mat brute_force_raster(const std::vector<PolygonWithHoles>& polygons, cv::Size size) {
    cv::Mat m(size, CV_8UC1, cv::Scalar(0));
    for (int r = 0; r < size.height; ++r)
        for (int c = 0; c < size.width; ++c) {
            const Point centre{c + 0.5, r + 0.5};
            for (const PolygonWithHoles& poly : polygons) {
                if (!centre_on_ring(poly.outer, centre) && !odd_crossings_upwards(poly.outer, centre)) continue;
                bool in_hole = false;
                for (const auto& hole : poly.holes)
                    in_hole = in_hole || (!centre_on_ring(hole, centre) && odd_crossings_upwards(hole, centre));
                if (!in_hole) m.at<std::uint8_t>(r, c) = 255;
            }
        }
    return m;
}

// A random ring around `centre`: star-shaped (often concave), or with
// probability `tangle` a random vertex order (self-intersecting). With `snap`,
// vertices lie on the half-pixel grid, so many pixel centres fall exactly on
// edges and vertices.
std::vector<Point> random_ring(cv::RNG& rng, Point centre, double radius, bool snap, double tangle = 0.0) {
    const int n = rng.uniform(3, 13);
    std::vector<double> angles(static_cast<std::size_t>(n));
    for (double& a : angles) a = rng.uniform(0.0, 2.0 * CV_PI);
    if (rng.uniform(0.0, 1.0) >= tangle) std::sort(angles.begin(), angles.end());
    std::vector<Point> ring;
    for (double a : angles) {
        const double rad = radius * rng.uniform(0.3, 1.0);
        Point p{centre.x + rad * std::cos(a), centre.y + rad * std::sin(a)};
        if (snap) p = {std::round(p.x * 2.0) / 2.0, std::round(p.y * 2.0) / 2.0};
        ring.push_back(p);
    }
    return ring;
}

// 10x10 pixel square at (5,5) with a 4x4 pixel hole at (8,8): 84 pixels.
cv::Mat square_with_hole() {
    cv::Mat m(30, 30, CV_8UC1, cv::Scalar(0));
    m(cv::Rect(5, 5, 10, 10)).setTo(255);
    m(cv::Rect(8, 8, 4, 4)).setTo(0);
    return m;
}

}  // namespace

class TestMaskGeometry : public QObject {
    Q_OBJECT
private slots:
    void shoelace_areas() {
        PolygonWithHoles p = rect_ring(0, 0, 10, 10);
        QCOMPARE(polygon_area(p), 100.0);
        p.holes.push_back(rect_points(3, 3, 7, 7));  // clockwise hole: orientation does not matter
        QCOMPARE(polygon_area(p), 84.0);
        QCOMPARE(ring_area({{0, 0}, {4, 0}, {0, 3}}), 6.0);
        QCOMPARE(polygons_area({p, rect_ring(20, 20, 22, 25)}), 94.0);
        QCOMPARE(ring_area({{0, 0}, {1, 1}}), 0.0);
    }

    void square_with_hole_to_polygon_and_back() {
        const cv::Mat m = square_with_hole();
        QCOMPARE(cv::countNonZero(m), 84);
        const PolygonizeResult r = mask_to_polygons(m, {0.0, 1.0});
        QCOMPARE(r.polygons.size(), std::size_t(1));
        QCOMPARE(r.polygons[0].holes.size(), std::size_t(1));
        QCOMPARE(r.dropped_parts, 0);
        // Outer ring through the centres of the corner pixels: x 5.5..14.5.
        const cv::Rect2d box = *instance_bbox(Instance{1, 0, r.polygons, std::nullopt});
        QCOMPARE(box.x, 5.5);
        QCOMPARE(box.y, 5.5);
        QCOMPARE(box.width, 9.0);
        QCOMPARE(box.height, 9.0);
        const cv::Mat back = polygons_to_mask(r.polygons, m.size());
        QCOMPARE(cv::countNonZero(back != m), 0);  // exact at tolerance 0
        // Hole ring through the region's pixels bordering the hole: 7.5..12.5.
        double hx0 = 1e9, hx1 = -1e9;
        for (const Point& p : r.polygons[0].holes[0]) hx0 = std::min(hx0, p.x), hx1 = std::max(hx1, p.x);
        QCOMPARE(hx0, 7.5);
        QCOMPARE(hx1, 12.5);
    }

    void random_shapes_round_trip_exactly() {
        cv::RNG rng(12345);
        int parts = 0, holes = 0;
        for (int t = 0; t < 150; ++t) {
            cv::Mat m(70, 90, CV_8UC1, cv::Scalar(0));
            for (int k = 0; k < 5; ++k) cv::circle(m, {rng.uniform(0, 90), rng.uniform(0, 70)}, rng.uniform(3, 18), 255, -1);
            for (int k = 0; k < 5; ++k) cv::circle(m, {rng.uniform(0, 90), rng.uniform(0, 70)}, rng.uniform(1, 6), 0, -1);
            for (int k = 0; k < 40; ++k) m.at<std::uint8_t>(rng.uniform(0, 70), rng.uniform(0, 90)) ^= 255;
            const PolygonizeResult r = mask_to_polygons(m, {0.0, 0.0});
            cv::Mat back = polygons_to_mask(r.polygons, m.size());
            // Parts too thin for a 3-point ring are the only loss, and they are counted.
            cv::Mat lost = m & ~back;
            QCOMPARE(std::uint64_t(cv::countNonZero(lost)), r.dropped_pixels);
            QCOMPARE(cv::countNonZero(back & ~m), 0);
            parts += int(r.polygons.size());
            for (const auto& p : r.polygons) holes += int(p.holes.size());
        }
        QVERIFY(holes > 50);  // the shapes really had holes
        QVERIFY(parts > 300);
    }

    void simplification_stays_close() {
        // A disc of radius 40 with a hole of radius 15: at 1 px tolerance the
        // outline has far fewer vertices and still covers the same pixels.
        cv::Mat m(100, 100, CV_8UC1, cv::Scalar(0));
        cv::circle(m, {50, 50}, 40, 255, -1);
        cv::circle(m, {50, 50}, 15, 0, -1);
        const PolygonizeResult exact = mask_to_polygons(m, {0.0, 1.0});
        const PolygonizeResult simple = mask_to_polygons(m, {1.0, 1.0});
        QCOMPARE(simple.polygons.size(), std::size_t(1));
        QCOMPARE(simple.polygons[0].holes.size(), std::size_t(1));
        QVERIFY(simple.polygons[0].outer.size() * 2 < exact.polygons[0].outer.size());
        const double score = iou(polygons_to_mask(simple.polygons, m.size()), m);
        QVERIFY2(score > 0.97, std::to_string(score).c_str());
        // Area of the polygon vs pi*(40^2-15^2) = 4319.7, within the half-pixel outline.
        QVERIFY(std::abs(polygons_area(exact.polygons) - 4319.7) < 0.5 * 2 * 3.1416 * 55 + 20);
    }

    void specks_are_dropped_and_counted() {
        cv::Mat m(40, 40, CV_8UC1, cv::Scalar(0));
        m(cv::Rect(2, 2, 20, 20)).setTo(255);
        m(cv::Rect(10, 10, 1, 1)).setTo(0);  // 1-pixel hole
        m(cv::Rect(30, 30, 2, 1)).setTo(255);  // 2-pixel speck
        m(cv::Rect(35, 2, 1, 1)).setTo(255);   // 1-pixel speck
        const PolygonizeResult r = mask_to_polygons(m, {1.0, 4.0});
        QCOMPARE(r.polygons.size(), std::size_t(1));
        QCOMPARE(r.dropped_parts, 2);
        QCOMPARE(r.dropped_pixels, std::uint64_t(3));
        QCOMPARE(r.dropped_holes, 1);
        QVERIFY(r.polygons[0].holes.empty());
        // With min area 1 the 1-pixel hole is kept and round-trips.
        const PolygonizeResult keep = mask_to_polygons(m(cv::Rect(0, 0, 25, 25)), {0.0, 1.0});
        QCOMPARE(keep.polygons[0].holes.size(), std::size_t(1));
        QCOMPARE(cv::countNonZero(polygons_to_mask(keep.polygons, {25, 25}) != m(cv::Rect(0, 0, 25, 25))), 0);
    }

    void island_inside_a_hole_survives() {
        cv::Mat m(40, 40, CV_8UC1, cv::Scalar(0));
        m(cv::Rect(0, 0, 30, 30)).setTo(255);
        m(cv::Rect(5, 5, 20, 20)).setTo(0);
        m(cv::Rect(12, 12, 6, 6)).setTo(255);
        const PolygonizeResult r = mask_to_polygons(m, {0.0, 1.0});
        QCOMPARE(r.polygons.size(), std::size_t(2));
        QCOMPARE(cv::countNonZero(polygons_to_mask(r.polygons, m.size()) != m), 0);
        QCOMPARE(cv::countNonZero(m), 900 - 400 + 36);
    }

    void rle_to_polygons_matches_mask_path() {
        const cv::Mat m = square_with_hole();
        const PolygonizeResult a = mask_to_polygons(m, {0.0, 1.0});
        const PolygonizeResult b = rle_to_polygons(encode_rle(m), {0.0, 1.0});
        QCOMPARE(cv::countNonZero(polygons_to_mask(b.polygons, m.size()) != m), 0);
        QCOMPARE(b.polygons.size(), a.polygons.size());
        QCOMPARE(b.polygons[0].outer.size(), a.polygons[0].outer.size());
        QVERIFY(rle_to_polygons(encode_rle(cv::Mat::zeros(5, 5, CV_8UC1))).polygons.empty());
    }

    void corner_aligned_squares_cover_exactly_their_pixels() {
        // Corner-frame square 0..20: pixel centres 0.5..19.5 are inside, the
        // ring passes through no centre -> exactly 20x20 pixels, rows/cols 0..19.
        const cv::Mat m = polygons_to_mask({rect_ring(0, 0, 20, 20)}, {30, 30});
        QCOMPARE(cv::countNonZero(m), 400);
        QCOMPARE(cv::boundingRect(m), cv::Rect(0, 0, 20, 20));
        // Same for 2..12: 10x10 at rows/cols 2..11.
        const cv::Mat n = polygons_to_mask({rect_ring(2, 2, 12, 12)}, {20, 20});
        QCOMPARE(cv::countNonZero(n), 100);
        QCOMPARE(cv::boundingRect(n), cv::Rect(2, 2, 10, 10));
        // Clipped at the image border (centres 0.5..4.5 of -50..5), nothing for
        // a polygon entirely outside.
        const cv::Mat c = polygons_to_mask({rect_ring(-50, -50, 5, 5), rect_ring(100, 100, 120, 120)}, {20, 20});
        QCOMPARE(cv::countNonZero(c), 25);
        QCOMPARE(cv::boundingRect(c), cv::Rect(0, 0, 5, 5));
        // A sliver between two centres' rows (y 3.6..4.4) covers no centre.
        QCOMPARE(cv::countNonZero(polygons_to_mask({rect_ring(1, 3.6, 9, 4.4)}, {20, 20})), 0);
    }

    void centre_aligned_square_includes_its_ring() {
        // Corners on the centres of pixels (0,0) and (9,9): the 36 centres on
        // the ring count, with the 64 strictly inside -> 100 pixels 0..9.
        const cv::Mat m = polygons_to_mask({rect_ring(0.5, 0.5, 9.5, 9.5)}, {20, 20});
        QCOMPARE(cv::countNonZero(m), 100);
        QCOMPARE(cv::boundingRect(m), cv::Rect(0, 0, 10, 10));
        // A diamond through centres: |x-5.5| + |y-5.5| <= 3 holds for
        // 1 + 4 + 8 + 12 = 25 pixels (12 of them on its slanted edges).
        const PolygonWithHoles diamond{{{5.5, 2.5}, {8.5, 5.5}, {5.5, 8.5}, {2.5, 5.5}}, {}};
        const cv::Mat d = polygons_to_mask({diamond}, {12, 12});
        QCOMPARE(cv::countNonZero(d), 25);
        QCOMPARE(int(d.at<std::uint8_t>(2, 5)), 255);  // top vertex
        QCOMPARE(int(d.at<std::uint8_t>(3, 4)), 255);  // on an edge
        QCOMPARE(int(d.at<std::uint8_t>(3, 3)), 0);
    }

    void hole_ring_through_centres_stays_set() {
        // 10x10 square (corners 0..10: 100 pixels) with a 4x4 hole whose ring
        // runs through the centres 3.5..7.5: the 16 ring pixels stay, the 3x3
        // centres strictly inside (4.5..6.5) are cleared -> 91.
        PolygonWithHoles p = rect_ring(0, 0, 10, 10);
        p.holes.push_back(rect_points(3.5, 3.5, 7.5, 7.5));
        const cv::Mat m = polygons_to_mask({p}, {12, 12});
        QCOMPARE(cv::countNonZero(m), 91);
        QCOMPARE(cv::countNonZero(m(cv::Rect(4, 4, 3, 3))), 0);
        QCOMPARE(cv::countNonZero(m(cv::Rect(3, 3, 5, 5))), 16);
        QCOMPARE(cv::boundingRect(m), cv::Rect(0, 0, 10, 10));
        // A diamond hole through centres clears only the 13 centres strictly
        // inside |dx| + |dy| < 3; its 12 slanted-edge pixels stay -> 87.
        PolygonWithHoles q = rect_ring(0, 0, 10, 10);
        q.holes.push_back({{5.5, 2.5}, {8.5, 5.5}, {5.5, 8.5}, {2.5, 5.5}});
        const cv::Mat n = polygons_to_mask({q}, {12, 12});
        QCOMPARE(cv::countNonZero(n), 87);
        QCOMPARE(int(n.at<std::uint8_t>(4, 4)), 0);    // |dx|+|dy| = 2: inside
        QCOMPARE(int(n.at<std::uint8_t>(3, 4)), 255);  // on the hole's edge
        QCOMPARE(int(n.at<std::uint8_t>(2, 5)), 255);  // the hole's top vertex
        // A hole with corners between centres (3..7) clears exactly its 4x4 pixels.
        PolygonWithHoles k = rect_ring(0, 0, 10, 10);
        k.holes.push_back(rect_points(3, 3, 7, 7));
        QCOMPARE(cv::countNonZero(polygons_to_mask({k}, {12, 12})), 84);
    }

    void triangle_matches_brute_force() {
        // Right triangle (0,0),(10,0),(0,10): centres with x + y <= 10, i.e.
        // c + r <= 9 -> 10+9+...+1 = 55 pixels; the hypotenuse passes through
        // the centres with c + r = 9.
        const std::vector<PolygonWithHoles> t{{{{0, 0}, {10, 0}, {0, 10}}, {}}};
        const cv::Mat m = polygons_to_mask(t, {12, 12});
        QCOMPARE(cv::countNonZero(m), 55);
        QCOMPARE(cv::countNonZero(m != brute_force_raster(t, {12, 12})), 0);
        // A thin slanted triangle with real-valued vertices.
        const std::vector<PolygonWithHoles> s{{{{1.3, 0.2}, {27.9, 13.7}, {4.1, 17.05}}, {}}};
        QCOMPARE(cv::countNonZero(polygons_to_mask(s, {30, 20}) != brute_force_raster(s, {30, 20})), 0);
    }

    void random_polygons_match_brute_force_pixel_by_pixel() {
        cv::RNG rng(2024);
        const cv::Size size(64, 48);
        int on_edge_cases = 0;
        for (int t = 0; t < 400; ++t) {
            const bool snap = t % 2 == 0;
            std::vector<PolygonWithHoles> polys;
            const int n = rng.uniform(1, 4);
            for (int k = 0; k < n; ++k) {
                // Centres partly outside the image exercise the clipping.
                const Point c{rng.uniform(-10.0, 74.0), rng.uniform(-10.0, 58.0)};
                const double radius = rng.uniform(2.0, 30.0);
                PolygonWithHoles p;
                p.outer = random_ring(rng, c, radius, snap, 0.15);
                for (int h = rng.uniform(0, 3); h > 0; --h)
                    p.holes.push_back(random_ring(rng, {c.x + rng.uniform(-3.0, 3.0), c.y + rng.uniform(-3.0, 3.0)}, radius * 0.5,
                                                  snap, 0.15));
                polys.push_back(std::move(p));
            }
            const cv::Mat ours = polygons_to_mask(polys, size);
            const cv::Mat truth = brute_force_raster(polys, size);
            const int differ = cv::countNonZero(ours != truth);
            QVERIFY2(differ == 0, qPrintable(QString("case %1: %2 pixels differ").arg(t).arg(differ)));
            for (int r = 0; snap && r < size.height; ++r)
                for (int c = 0; c < size.width; ++c)
                    for (const auto& p : polys) on_edge_cases += centre_on_ring(p.outer, {c + 0.5, r + 0.5});
        }
        qInfo("%d pixel centres exactly on an outer ring", on_edge_cases);
        QVERIFY(on_edge_cases > 500);  // the snapped cases really put centres on the rings
    }

    // pycocotools' polygon rasteriser (frPyObjects + decode) is the COCO
    // reference. It applies the same pixel-centre rule but first rounds the
    // vertices to 1/5 pixel and digitises the outline on that grid, so it
    // differs from the exact rule only for centres within ~0.1 + 0.1*sqrt(2)
    // px of the outline: every pixel where we disagree must lie that close
    // (cv::fillPoly's half-pixel generosity fails this), and the IoU is high.
    void random_polygons_agree_with_pycocotools() {
        const QString python = QStringLiteral(SAMLABEL_PYTHON);
        if (python.isEmpty()) QSKIP("SAMLABEL_PYTHON not configured");
        struct Case {
            cv::Size size;
            std::vector<PolygonWithHoles> parts;
            bool large;
        };
        cv::RNG rng(99);
        std::vector<Case> cases;
        for (int t = 0; t < 190; ++t) {
            Case c;
            c.large = t >= 150;  // object sizes of a 1280x1024 photo
            c.size = c.large ? cv::Size(1280, 1024) : cv::Size(300, 260);
            for (int k = t % 4 == 0 ? 2 : 1; k > 0; --k) {
                const Point centre = c.large ? Point{rng.uniform(300.0, 980.0), rng.uniform(300.0, 724.0)}
                                             : Point{rng.uniform(40.0, 260.0), rng.uniform(40.0, 220.0)};
                const double radius = c.large ? rng.uniform(150.0, 500.0) : rng.uniform(15.0, 120.0);
                c.parts.push_back({random_ring(rng, centre, radius, false), {}});
            }
            cases.push_back(std::move(c));
        }
        nlohmann::json spec = nlohmann::json::array();
        for (const Case& c : cases) {
            nlohmann::json polys = nlohmann::json::array();
            for (const auto& p : c.parts) {
                nlohmann::json flat = nlohmann::json::array();
                for (const Point& v : p.outer) flat.push_back(v.x), flat.push_back(v.y);
                polys.push_back(flat);
            }
            spec.push_back({{"h", c.size.height}, {"w", c.size.width}, {"polygons", polys}});
        }
        const char* script = R"(
import json, sys
from pycocotools import mask as M
out = [M.merge(M.frPyObjects(c["polygons"], c["h"], c["w"]))["counts"].decode() for c in json.load(open(sys.argv[1]))]
json.dump(out, open(sys.argv[2], "w"))
)";
        QTemporaryDir dir;
        const QString in = dir.filePath("cases.json"), out = dir.filePath("out.json");
        std::ofstream(in.toStdString()) << spec.dump();
        QProcess py;
        py.start(python, {"-c", script, in, out});
        QVERIFY(py.waitForFinished(60000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        std::ifstream result_file(out.toStdString());
        const nlohmann::json counts = nlohmann::json::parse(result_file);
        QCOMPARE(counts.size(), cases.size());

        double inter[2] = {0, 0}, uni[2] = {0, 0}, worst_distance = 0;
        long ours_only = 0, theirs_only = 0;
        for (std::size_t t = 0; t < cases.size(); ++t) {
            const Case& c = cases[t];
            const cv::Mat theirs = decode_rle(rle_from_coco_string(counts[t].get<std::string>(), c.size.width, c.size.height), 255);
            const cv::Mat ours = polygons_to_mask(c.parts, c.size);
            inter[c.large] += cv::countNonZero(ours & theirs);
            uni[c.large] += cv::countNonZero(ours | theirs);
            ours_only += cv::countNonZero(ours & ~theirs);
            theirs_only += cv::countNonZero(theirs & ~ours);
            std::vector<cv::Point> differ;
            cv::findNonZero(ours != theirs, differ);
            for (const cv::Point& px : differ) {
                const Point centre{px.x + 0.5, px.y + 0.5};
                double d = 1e9;
                for (const auto& part : c.parts)
                    for (std::size_t i = 0; i < part.outer.size(); ++i)
                        d = std::min(d, distance_to_segment(part.outer[i], part.outer[(i + 1) % part.outer.size()], centre));
                worst_distance = std::max(worst_distance, d);
            }
        }
        const double object_iou = inter[0] / uni[0], large_iou = inter[1] / uni[1];
        qInfo("pycocotools vs fill_polygons: pooled IoU %.5f (150 instances, radius 15-120 px), %.5f (40, radius 150-500 px); "
              "%ld pixels only ours, %ld only theirs, farthest %.3f px from the outline",
              object_iou, large_iou, ours_only, theirs_only, worst_distance);
        QVERIFY2(worst_distance <= 0.25, qPrintable(QString::number(worst_distance)));
        QVERIFY2(object_iou >= 0.995, qPrintable(QString::number(object_iou, 'f', 5)));
        QVERIFY2(large_iou >= 0.999, qPrintable(QString::number(large_iou, 'f', 5)));
    }

    void eraser_fill_value_zero() {
        cv::Mat m(20, 20, CV_8UC1, cv::Scalar(255));
        fill_polygons(m, {rect_ring(5.5, 5.5, 9.5, 9.5)}, 0);  // centre-aligned: exactly pixels 5..9
        QCOMPARE(cv::countNonZero(m), 400 - 25);
    }

    void hit_tests() {
        Instance inst{7, 0, {rect_ring(0, 0, 10, 10)}, std::nullopt};
        inst.polygons[0].holes.push_back(rect_points(3, 3, 7, 7));
        QVERIFY(instance_contains(inst, {1, 1}));
        QVERIFY(!instance_contains(inst, {5, 5}));  // in the hole
        QVERIFY(!instance_contains(inst, {11, 5}));
        Instance masked{8, 0, {}, encode_rle(square_with_hole())};
        QVERIFY(instance_contains(masked, {5.2, 5.9}));   // pixel (5,5)
        QVERIFY(!instance_contains(masked, {9.5, 9.5}));  // hole pixel (9,9)
        QVERIFY(!instance_contains(masked, {4.99, 5.5}));
        ImageAnnotations image;
        image.instances = {inst, masked};
        QCOMPARE(topmost_instance_at(image, {6, 6}), std::optional<std::uint64_t>(8));  // drawn last
        QCOMPARE(topmost_instance_at(image, {1, 1}), std::optional<std::uint64_t>(7));
        QCOMPARE(topmost_instance_at(image, {25, 25}), std::nullopt);
        QCOMPARE(instance_area(masked), 84.0);
        QCOMPARE(instance_area(inst), 84.0);
        const cv::Rect2d mb = *instance_bbox(masked);  // pixels 5..14 span 5..15
        QCOMPARE(mb, cv::Rect2d(5, 5, 10, 10));
        QCOMPARE(cv::countNonZero(instance_mask(masked, {30, 30})), 84);
    }
};

QTEST_APPLESS_MAIN(TestMaskGeometry)
#include "test_mask_geometry.moc"
