// The one BGR <-> packed RGB conversion (core/io/rgb_pixels): channel order
// both ways, an ROI with a row step wider than its width, the round trip, and
// a clear error for an image that is not 8-bit BGR.
#include "core/io/rgb_pixels.h"

#include <QtTest>

#include <opencv2/core.hpp>

#include <stdexcept>

using namespace samlabel::io;

class TestRgbPixels : public QObject {
    Q_OBJECT

private slots:
    void swapsTheChannelsOfEveryPixel() {
        cv::Mat3b bgr(2, 3);
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 3; ++x) bgr(y, x) = cv::Vec3b(uchar(10 * x), uchar(100 + y), uchar(200 + x + y));  // B, G, R
        const std::vector<std::uint8_t> rgb = packed_rgb_from_bgr(bgr);
        QCOMPARE(rgb.size(), std::size_t(2 * 3 * 3));
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 3; ++x) {
                const std::size_t at = (std::size_t(y) * 3 + x) * 3;
                QCOMPARE(int(rgb[at + 0]), 200 + x + y);  // R first
                QCOMPARE(int(rgb[at + 1]), 100 + y);
                QCOMPARE(int(rgb[at + 2]), 10 * x);
            }
        const cv::Mat back = bgr_from_packed_rgb(rgb.data(), 3, 2);
        QCOMPARE(back.type(), CV_8UC3);
        QCOMPARE(cv::norm(back, bgr, cv::NORM_INF), 0.0);
    }

    void packsTheRowsOfAnRoi() {
        cv::Mat3b big(4, 5, cv::Vec3b(1, 2, 3));
        big(1, 2) = cv::Vec3b(7, 8, 9);
        const cv::Mat roi = big(cv::Rect(1, 1, 2, 2));  // row step 5 pixels, width 2
        const std::vector<std::uint8_t> rgb = packed_rgb_from_bgr(roi);
        QCOMPARE(rgb, (std::vector<std::uint8_t>{3, 2, 1, 9, 8, 7, 3, 2, 1, 3, 2, 1}));
    }

    void refusesWhatIsNotBgr8() {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, packed_rgb_from_bgr(cv::Mat1b(2, 2, uchar(0))));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, packed_rgb_from_bgr(cv::Mat(2, 2, CV_16UC3)));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, bgr_from_packed_rgb(nullptr, -1, 2));
        QVERIFY(packed_rgb_from_bgr(cv::Mat3b()).empty());
    }
};

QTEST_GUILESS_MAIN(TestRgbPixels)
#include "test_rgb_pixels.moc"
