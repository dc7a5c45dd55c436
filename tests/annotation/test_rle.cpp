// RLE: hand-computed small cases, and the compressed COCO strings, areas and
// boxes compared with pycocotools itself (the reference) on many masks.
#include "core/annotation/rle.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace samlabel::annotation;

namespace {

// Runs pycocotools on masks written as raw row-major bytes. For each mask it
// returns pycocotools' counts string, area and bbox, and whether decoding OUR
// string gives back the same mask.
const char* kPyScript = R"(
import json, sys, numpy as np
from pycocotools import mask as M
cases = json.load(open(sys.argv[1]))
out = []
for c in cases:
    m = np.fromfile(c["file"], dtype=np.uint8).reshape(c["h"], c["w"])
    m = np.asfortranarray((m != 0).astype(np.uint8))
    rle = M.encode(m)
    ours = {"size": [c["h"], c["w"]], "counts": c["ours"].encode()}
    out.append({"counts": rle["counts"].decode(), "area": int(M.area(rle)),
                "bbox": [float(v) for v in M.toBbox(rle)],
                "decoded_ours_equal": bool((M.decode(ours) == m).all())})
json.dump(out, open(sys.argv[2], "w"))
)";

}  // namespace

class TestRle : public QObject {
    Q_OBJECT
private slots:
    void hand_computed() {
        // 3 rows x 2 cols; column-major: col0 = (0,1,1), col1 = (1,0,0).
        cv::Mat m = (cv::Mat_<std::uint8_t>(3, 2) << 0, 1, 1, 0, 1, 0);
        RleMask r = encode_rle(m);
        QCOMPARE(r.width, 2);
        QCOMPARE(r.height, 3);
        QCOMPARE(r.counts, (std::vector<std::uint32_t>{1, 3, 2}));
        QCOMPARE(rle_area(r), std::uint64_t(3));
        QCOMPARE(rle_bbox(r), cv::Rect(0, 0, 2, 3));
        QVERIFY(rle_contains(r, 1, 0));
        QVERIFY(!rle_contains(r, 0, 0));
        QVERIFY(!rle_contains(r, 5, 0));
        cv::Mat back = decode_rle(r, 1);
        QCOMPARE(cv::countNonZero(back != m), 0);
        // Starting with foreground: a zero-length first run.
        cv::Mat full(2, 2, CV_8UC1, cv::Scalar(9));
        QCOMPARE(encode_rle(full).counts, (std::vector<std::uint32_t>{0, 4}));
        QCOMPARE(encode_rle(cv::Mat::zeros(2, 3, CV_8UC1)).counts, (std::vector<std::uint32_t>{6}));
        QCOMPARE(rle_bbox(encode_rle(cv::Mat::zeros(2, 3, CV_8UC1))), cv::Rect());
        // A run crossing a column end widens the box to all rows.
        cv::Mat wrap = cv::Mat::zeros(4, 3, CV_8UC1);
        wrap.at<std::uint8_t>(3, 0) = 1;
        wrap.at<std::uint8_t>(0, 1) = 1;
        QCOMPARE(rle_bbox(encode_rle(wrap)), cv::Rect(0, 0, 2, 4));
    }

    void coco_string_hand_computed() {
        // counts {1,3,2}: '1'+48='1', 3 -> '3', 2 -> '2' (no delta before index 3).
        RleMask r{2, 3, {1, 3, 2}};
        QCOMPARE(rle_to_coco_string(r), std::string("132"));
        QCOMPARE(rle_from_coco_string("132", 2, 3).counts, r.counts);
        QVERIFY_THROWS_EXCEPTION(RleError, rle_from_coco_string("13", 2, 3));   // sums to 4, not 6
        QVERIFY_THROWS_EXCEPTION(RleError, rle_from_coco_string("1\x01", 2, 3));
        QVERIFY_THROWS_EXCEPTION(RleError, rle_from_coco_string("o", 2, 3));    // continuation without end
        QVERIFY_THROWS_EXCEPTION(RleError, decode_rle(RleMask{2, 2, {1, 1}}));
        QVERIFY_THROWS_EXCEPTION(RleError, encode_rle(cv::Mat(2, 2, CV_32F)));
    }

    void matches_pycocotools() {
        const QString python = QStringLiteral(SAMLABEL_PYTHON);
        if (python.isEmpty()) QSKIP("SAMLABEL_PYTHON not configured");
        QTemporaryDir dir;
        cv::RNG rng(7);
        std::vector<cv::Mat> masks;
        masks.push_back(cv::Mat::zeros(5, 7, CV_8UC1));
        masks.push_back(cv::Mat(5, 7, CV_8UC1, cv::Scalar(1)));
        for (int t = 0; t < 40; ++t) {
            const int h = rng.uniform(1, 300), w = rng.uniform(1, 300);
            cv::Mat m = cv::Mat::zeros(h, w, CV_8UC1);
            for (int k = 0; k < 4; ++k) cv::circle(m, {rng.uniform(0, w), rng.uniform(0, h)}, rng.uniform(1, 80), 255, -1);
            for (int k = 0; k < 3; ++k) cv::circle(m, {rng.uniform(0, w), rng.uniform(0, h)}, rng.uniform(1, 20), 0, -1);
            for (int k = 0; k < t * 3; ++k) m.at<std::uint8_t>(rng.uniform(0, h), rng.uniform(0, w)) ^= 255;
            masks.push_back(m);
        }
        cv::Mat big = cv::Mat::zeros(1080, 1920, CV_8UC1);  // long runs: multi-char numbers, negative deltas
        big(cv::Rect(100, 50, 1700, 900)).setTo(1);
        big(cv::Rect(500, 500, 3, 3)).setTo(0);
        masks.push_back(big);

        nlohmann::json cases = nlohmann::json::array();
        std::vector<RleMask> ours;
        for (std::size_t i = 0; i < masks.size(); ++i) {
            const std::string file = dir.filePath(QString("m%1.raw").arg(i)).toStdString();
            cv::Mat cont = masks[i].clone();
            std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(cont.data), std::streamsize(cont.total()));
            ours.push_back(encode_rle(masks[i]));
            cases.push_back({{"file", file}, {"h", cont.rows}, {"w", cont.cols}, {"ours", rle_to_coco_string(ours.back())}});
        }
        const QString in = dir.filePath("cases.json"), out = dir.filePath("out.json");
        std::ofstream(in.toStdString()) << cases.dump();
        QProcess py;
        py.start(python, {"-c", kPyScript, in, out});
        QVERIFY(py.waitForFinished(60000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        std::ifstream result_file(out.toStdString());
        const nlohmann::json results = nlohmann::json::parse(result_file);
        QCOMPARE(results.size(), masks.size());
        for (std::size_t i = 0; i < masks.size(); ++i) {
            const auto& r = results[i];
            QCOMPARE(rle_to_coco_string(ours[i]), r["counts"].get<std::string>());
            QVERIFY(r["decoded_ours_equal"].get<bool>());
            QCOMPARE(rle_area(ours[i]), r["area"].get<std::uint64_t>());
            const cv::Rect b = rle_bbox(ours[i]);
            QCOMPARE(double(b.x), r["bbox"][0].get<double>());
            QCOMPARE(double(b.y), r["bbox"][1].get<double>());
            QCOMPARE(double(b.width), r["bbox"][2].get<double>());
            QCOMPARE(double(b.height), r["bbox"][3].get<double>());
            // And their string decodes to our counts.
            const RleMask parsed = rle_from_coco_string(r["counts"].get<std::string>(), masks[i].cols, masks[i].rows);
            QCOMPARE(parsed.counts, ours[i].counts);
            QCOMPARE(cv::countNonZero(decode_rle(parsed) != (masks[i] != 0)), 0);
        }
    }
};

QTEST_APPLESS_MAIN(TestRle)
#include "test_rle.moc"
