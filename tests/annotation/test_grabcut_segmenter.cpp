// The model-free GrabCut segmenter (core/annotation/grabcut_segmenter) on a
// synthetic image against the shape the test drew: seeded by a box, by a
// click, by a box that covers only part of the object plus a click; and the
// seeds it cannot work from give a clear error instead of a mask.
#include "core/annotation/grabcut_segmenter.h"

#include <QtTest>

#include <opencv2/imgproc.hpp>

#include <random>

using namespace samlabel::annotation;

class TestGrabcutSegmenter : public QObject {
    Q_OBJECT

private slots:
    void recoversAKnownShape() {
        // A textured orange disk on a textured blue background: GrabCut seeded
        // with a box (or a single click) must find the disk the test drew.
        cv::Mat3b image(240, 320);
        std::mt19937 rng(7);
        std::normal_distribution<double> noise(0.0, 12.0);
        cv::Mat1b truth(image.size(), uchar(0));
        cv::circle(truth, {170, 120}, 60, 255, cv::FILLED);
        for (int y = 0; y < image.rows; ++y)
            for (int x = 0; x < image.cols; ++x) {
                const bool in = truth(y, x) != 0;
                const cv::Vec3d base = in ? cv::Vec3d(40, 140, 230) : cv::Vec3d(150, 90, 40);  // BGR
                for (int c = 0; c < 3; ++c) image(y, x)[c] = cv::saturate_cast<uchar>(base[c] + noise(rng));
            }
        auto iou = [&](const cv::Mat1b& mask) {
            const double inter = cv::countNonZero(mask & truth);
            const double uni = cv::countNonZero(mask | truth);
            return inter / uni;
        };
        GrabCutSeeds box_seed;
        box_seed.box = cv::Rect(95, 45, 150, 150);
        const GrabCutResult by_box = run_grabcut(image, box_seed);
        QVERIFY2(by_box.error.empty(), by_box.error.c_str());
        QCOMPARE(by_box.mask.size(), image.size());
        QVERIFY2(iou(by_box.mask) > 0.95, qPrintable(QString::number(iou(by_box.mask))));

        GrabCutSeeds point_seed;
        point_seed.positive_points = {{170, 120}};
        point_seed.negative_points = {{20, 20}};
        const GrabCutResult by_point = run_grabcut(image, point_seed);
        QVERIFY2(by_point.error.empty(), by_point.error.c_str());
        QVERIFY2(iou(by_point.mask) > 0.85, qPrintable(QString::number(iou(by_point.mask))));

        // A box over the left half only, plus a positive point on the right
        // half: the object extends beyond the box.
        GrabCutSeeds partial_box;
        partial_box.box = cv::Rect(95, 45, 80, 150);
        partial_box.positive_points = {{205, 120}};
        const GrabCutResult by_partial = run_grabcut(image, partial_box);
        QVERIFY2(by_partial.error.empty(), by_partial.error.c_str());
        QVERIFY2(iou(by_partial.mask) > 0.85, qPrintable(QString::number(iou(by_partial.mask))));

        GrabCutSeeds whole;
        whole.box = cv::Rect(0, 0, 320, 240);
        QVERIFY(!run_grabcut(image, whole).error.empty());  // no background to learn from: a clear error
        QVERIFY(!run_grabcut(image, GrabCutSeeds{}).error.empty());
    }
};

QTEST_GUILESS_MAIN(TestGrabcutSegmenter)
#include "test_grabcut_segmenter.moc"
