// Masks <-> polygons with holes, areas, boxes and hit tests. Expectations are
// hand-computed on small shapes; random shapes check the exact round trip.
#include "core/annotation/mask_geometry.h"
#include "core/annotation/rle.h"

#include <opencv2/imgproc.hpp>

#include <QtTest>

using namespace samlabel::annotation;

namespace {

PolygonWithHoles rect_ring(double x0, double y0, double x1, double y1) { return {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}, {}}; }
std::vector<Point> rect_points(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x0, y1}, {x1, y1}, {x1, y0}}; }

double iou(const cv::Mat& a, const cv::Mat& b) {
    const double inter = cv::countNonZero(a & b), uni = cv::countNonZero(a | b);
    return uni == 0 ? 1.0 : inter / uni;
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

    void hand_drawn_polygon_rasterises_around_its_area() {
        // Corner-frame square 2..12: pixel centres 2.5..11.5 inside (10x10 = 100);
        // cv::fillPoly also takes the boundary row/column at 12 -> 11x11.
        const cv::Mat m = polygons_to_mask({rect_ring(2, 2, 12, 12)}, {20, 20});
        const cv::Rect b = cv::boundingRect(m);
        QVERIFY(b.x == 2 && b.y == 2);
        QVERIFY(cv::countNonZero(m) >= 100 && cv::countNonZero(m) <= 121);
        // Clipped at the image border, no crash for polygons outside.
        const cv::Mat c = polygons_to_mask({rect_ring(-50, -50, 5, 5), rect_ring(100, 100, 120, 120)}, {20, 20});
        QVERIFY(cv::countNonZero(c) >= 25 && cv::countNonZero(c) <= 36);
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
