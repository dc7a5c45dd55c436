// Exporters and importers (issue 3): hand-computed expectations here; the
// real consumers (Ultralytics, pycocotools) are exercised by test_export_consumers.
#include "core/annotation/mask_geometry.h"
#include "core/annotation/rle.h"
#include "core/io/coco_export.h"
#include "core/io/dataset_export.h"
#include "core/io/dataset_split.h"
#include "core/io/image_reader.h"
#include "core/io/png_mask_export.h"
#include "core/io/polygon_bridging.h"
#include "core/io/yolo_data_yaml.h"
#include "core/io/yolo_export.h"
#include "core/io/yolo_import.h"
#include "tests/io/export_fixture.h"

#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace samlabel;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

fs::path temp_path(const QTemporaryDir& d) { return io::path_from_utf8(d.path().toStdString()); }

annotation::Instance poly(annotation::ClassId cls, std::vector<annotation::Point> ring) {
    annotation::Instance i;
    i.class_id = cls;
    i.polygons.push_back({std::move(ring), {}});
    return i;
}

}  // namespace

class TestExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void splitIsDeterministicAndFollowsFractions() {
        const io::SplitFractions f{0.7, 0.2, 0.1};
        std::map<io::DatasetSplit, int> counts;
        for (int i = 0; i < 20000; ++i) {
            const std::string path = "folder/img_" + std::to_string(i) + ".jpg";
            const io::DatasetSplit s = io::assign_dataset_split(path, f, 42);
            QCOMPARE(io::assign_dataset_split(path, f, 42), s);  // same answer every time
            ++counts[s];
        }
        QVERIFY(std::abs(counts[io::DatasetSplit::Train] / 20000.0 - 0.7) < 0.02);
        QVERIFY(std::abs(counts[io::DatasetSplit::Val] / 20000.0 - 0.2) < 0.02);
        QVERIFY(std::abs(counts[io::DatasetSplit::Test] / 20000.0 - 0.1) < 0.02);
        // Another seed reshuffles.
        int moved = 0;
        for (int i = 0; i < 1000; ++i) {
            const std::string path = "img_" + std::to_string(i);
            moved += io::assign_dataset_split(path, f, 1) != io::assign_dataset_split(path, f, 2);
        }
        QVERIFY(moved > 200);
    }

    // The split hash is FNV-1a 64. Published test vectors (the FNV reference
    // page, Noll): "" is the offset basis, "a" and "foobar" below.
    void fnv1a64MatchesPublishedVectors() {
        QCOMPARE(io::fnv1a_64(""), 0xcbf29ce484222325ULL);
        QCOMPARE(io::fnv1a_64("a"), 0xaf63dc4c8601ec8cULL);
        QCOMPARE(io::fnv1a_64("foobar"), 0x85944171f73967e8ULL);
        // Fed in pieces, the same hash.
        QCOMPARE(io::fnv1a_64("bar", io::fnv1a_64("foo")), 0x85944171f73967e8ULL);
    }

    // split_hash_unit against a separate implementation, Python:
    //   def fnv1a64(data, h=0xcbf29ce484222325):
    //       for b in data: h = ((h ^ b) * 0x100000001b3) % 2**64
    //       return h
    //   unit = lambda path, seed: (fnv1a64(seed.to_bytes(8, "little") + path.encode()) >> 11) / 2**53
    // Splits made before this was fixed (offset basis missing its last digit)
    // differ: "a" with seed 0 gave 0.88676.
    void splitHashUnitMatchesIndependentFnv1a() {
        struct Case { const char* path; std::uint64_t seed; double expected; };
        const Case cases[] = {
            {"a", 0, 0.8985043303442237},
            {"images/cat.jpg", 0, 0.29561218625896934},
            {"images/cat.jpg", 1, 0.9235639981945554},
            {"sub/dir/Stra\xc3\x9f" "e 1.png", 42, 0.870884321045912},
            {"\xe6\x97\xa5\xe6\x9c\xac/\xe5\x86\x99\xe7\x9c\x9f.png", 7, 0.03626005788284725},
            {"x", 0xffffffffffffffffULL, 0.15631680895774214},
        };
        for (const Case& c : cases) {
            const double got = io::split_hash_unit(c.path, c.seed);
            if (got != c.expected) QFAIL(qPrintable(QString("split_hash_unit(%1, %2) = %3, expected %4")
                                                        .arg(QString::fromUtf8(c.path)).arg(c.seed).arg(got, 0, 'g', 17)
                                                        .arg(c.expected, 0, 'g', 17)));
        }
    }

    void splitFractionsParse() {
        const io::SplitFractions f = io::parse_split_fractions("8,2");
        QCOMPARE(f.train, 0.8);
        QCOMPARE(f.val, 0.2);
        QCOMPARE(f.test, 0.0);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, io::parse_split_fractions("0.8"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, io::parse_split_fractions("0.8,-0.2"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, io::parse_split_fractions("0.8,x"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, io::parse_split_fractions("0,0"));
    }

    void yoloLinesHandComputed() {
        std::string out;
        // Box (20,10)-(60,50) in a 200x100 image: cx 40/200, cy 30/100, w 40/200, h 40/100.
        io::append_yolo_box_line(out, 2, cv::Rect2d(20, 10, 40, 40), 200, 100);
        QCOMPARE(out, std::string("2 0.200000 0.300000 0.200000 0.400000\n"));
        out.clear();
        // Clamped: (-10,-10)-(10,10) in 100x100 -> (0,0)-(10,10).
        io::append_yolo_box_line(out, 0, cv::Rect2d(-10, -10, 20, 20), 100, 100);
        QCOMPARE(out, std::string("0 0.050000 0.050000 0.100000 0.100000\n"));
        out.clear();
        io::append_yolo_polygon_line(out, 1, {{0, 0}, {50, 0}, {25, 33.3333333}, {120, 10}}, 100, 100);
        QCOMPARE(out, std::string("1 0.000000 0.000000 0.500000 0.000000 0.250000 0.333333 1.000000 0.100000\n"));
    }

    void bridgedRingKeepsHolesAndParts() {
        // Outer 0..100 square with a 40..60 hole, plus a separate 120..140 square.
        std::vector<annotation::PolygonWithHoles> parts(2);
        parts[0].outer = {{0, 0}, {100, 0}, {100, 100}, {0, 100}};
        parts[0].holes.push_back({{40, 40}, {60, 40}, {60, 60}, {40, 60}});
        parts[1].outer = {{120, 0}, {140, 0}, {140, 20}, {120, 20}};
        const io::Ring ring = io::bridge_polygons(parts);
        QCOMPARE(ring.size(), std::size_t(4 + (4 + 2) + (4 + 2)));
        // Rasterise like Ultralytics' polygon2mask (cv2.fillPoly), at 4x to keep the
        // bridges' 1-px lines negligible: area must be 100^2 - 20^2 + 20^2 = 10000 px.
        cv::Mat m(160 * 4, 160 * 4, CV_8UC1, cv::Scalar(0));
        std::vector<cv::Point> pts;
        for (const auto& p : ring) pts.emplace_back(int(p.x * 4), int(p.y * 4));
        cv::fillPoly(m, std::vector<std::vector<cv::Point>>{pts}, 1);
        const double area = cv::countNonZero(m) / 16.0;
        QVERIFY2(std::abs(area - 10000.0) < 160.0, qPrintable(QString::number(area)));
        QCOMPARE(int(m.at<uchar>(50 * 4, 50 * 4)), 0);   // inside the hole
        QCOMPARE(int(m.at<uchar>(20 * 4, 20 * 4)), 1);   // inside the outer
        QCOMPARE(int(m.at<uchar>(10 * 4, 130 * 4)), 1);  // the second part
        QCOMPARE(int(m.at<uchar>(60 * 4, 110 * 4)), 0);  // between the parts
    }

    void dataYamlRoundTripsHostileNames() {
        io::YoloDataYaml y;
        y.path = "/tmp/da ta";
        y.splits = {{"train", "images/train"}, {"val", "images/val"}};
        y.names = {"cat: \"tabby\"", "dog ü", "# not a comment", "back\\slash"};
        std::ostringstream s;
        io::write_data_yaml(y, s);
        const io::YoloDataYaml back = io::parse_data_yaml(s.str(), "data.yaml");
        QCOMPARE(back.names, y.names);
        QCOMPARE(back.path, y.path);
        QCOMPARE(back.splits.at("val"), std::string("images/val"));
        QCOMPARE(io::parse_data_yaml("names: [a, 'b c', \"d\"]\n", "x").names, (std::vector<std::string>{"a", "b c", "d"}));
        QCOMPARE(io::parse_data_yaml("nc: 2\nnames:\n  - a # comment\n  - b\n", "x").names, (std::vector<std::string>{"a", "b"}));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, io::parse_data_yaml("names:\n  0: a\n  2: c\n", "x"));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, io::parse_data_yaml("nc: 3\nnames: [a, b]\n", "x"));
    }

    void everySkipHasAReason() {
        QTemporaryDir tmp;
        const ExportFixtureHolder fx(temp_path(tmp));
        for (io::ExportFormat format : {io::ExportFormat::YoloDetect, io::ExportFormat::YoloSegment, io::ExportFormat::Coco,
                                        io::ExportFormat::PngMasks}) {
            io::ExportOptions o;
            o.format = format;
            o.output_dir = temp_path(tmp) / "out" / io::export_format_name(format);
            const io::ExportReport r = io::export_dataset(fx.f.project, fx.f.image_root, o);
            QCOMPARE(r.images, fx.f.project.images().size());
            QCOMPARE(int(r.skipped.size()), fx.f.expected_skips);
            QCOMPARE(r.instances_written + r.skipped.size(), r.instances_total);
            std::map<io::SkipReason, int> reasons;
            for (const auto& s : r.skipped) ++reasons[s.reason];
            QCOMPARE(reasons[io::SkipReason::NoClass], 2);
            QCOMPARE(reasons[io::SkipReason::Degenerate], 1);
            QCOMPARE(reasons[io::SkipReason::OutsideImage], 1);
            QVERIFY(fs::exists(o.output_dir / "report.json"));
            QVERIFY(read_all(o.output_dir / "report.txt").find("outside image") != std::string::npos);
        }
    }

    void yoloImportExportRoundTripIsExact() {
        QTemporaryDir tmp;
        const fs::path ds = temp_path(tmp) / "ds";
        // Two layouts' worth of content, hand-written labels with 6 decimals.
        cv::Mat img(90, 120, CV_8UC3, cv::Scalar(1, 2, 3));
        std::vector<unsigned char> png;
        cv::imencode(".png", img, png);
        testing::write_bytes(ds / "train" / "images" / "a b.png", png);
        testing::write_bytes(ds / "valid" / "images" / "ç.png", png);
        const std::string seg = "1 0.100000 0.200000 0.512345 0.250000 0.433333 0.987654 0.050000 0.700001\n"
                                "0 0.300000 0.300000 0.600000 0.300000 0.450000 0.123457\n";
        const std::string det = "0 0.500000 0.500000 0.250000 0.123456\n1 0.333333 0.666667 0.200000 0.400000\n";
        fs::create_directories(ds / "train" / "labels");
        std::ofstream(ds / "train" / "labels" / "a b.txt") << seg;
        fs::create_directories(ds / "valid" / "labels");
        std::ofstream(ds / "valid" / "labels" / "ç.txt") << det;
        std::ofstream(ds / "classes.txt") << "first\nsecond\n";
        io::ImportReport rep;
        const annotation::Project p = io::import_yolo_dataset(ds, {}, rep);
        QVERIFY2(rep.problems.empty(), rep.problems.empty() ? "" : rep.problems.front().c_str());
        QCOMPARE(rep.instances, std::size_t(4));
        const io::DenseClassMap classes(p);
        io::ExportReport er;
        std::string out;
        io::write_yolo_labels(out, *p.find_image("train/images/a b.png"), 120, 90, classes, io::YoloTask::Segment, {}, er);
        QCOMPARE(out, seg);
        out.clear();
        io::write_yolo_labels(out, *p.find_image("valid/images/ç.png"), 120, 90, classes, io::YoloTask::Detect, {}, er);
        QCOMPARE(out, det);
        // The same through files: each image goes back into its own split (a
        // Roboflow "valid" folder is val) under its own name, even when the
        // fractions would put everything in train.
        io::ExportOptions o;
        o.format = io::ExportFormat::YoloSegment;
        o.output_dir = temp_path(tmp) / "again";
        o.split = io::SplitFractions{1.0, 0.0, 0.0};
        io::export_dataset(p, ds, o);
        QVERIFY(fs::exists(o.output_dir / "images" / "train" / "a b.png"));
        QCOMPARE(read_all(o.output_dir / "labels" / "train" / "a b.txt"), seg);
        QVERIFY(fs::exists(o.output_dir / "images" / "val" / io::path_from_utf8("ç.png")));
        const std::string val_labels = read_all(o.output_dir / "labels" / "val" / io::path_from_utf8("ç.txt"));
        QCOMPARE(std::count(val_labels.begin(), val_labels.end(), '\n'), std::ptrdiff_t(2));  // the two boxes, as polygons
    }

    void exifJpegIsCopiedByteForByteAndLabelledUpright() {
        QTemporaryDir tmp;
        const ExportFixtureHolder fx(temp_path(tmp));
        io::ExportOptions o;
        o.format = io::ExportFormat::YoloDetect;
        o.output_dir = temp_path(tmp) / "yolo";
        o.split = io::SplitFractions{1.0, 0.0, 0.0};
        io::export_dataset(fx.f.project, fx.f.image_root, o);
        const fs::path copied = o.output_dir / "images" / "train" / io::path_from_utf8("street scene ä.JPG");
        QCOMPARE(read_all(copied), read_all(fx.f.image_root / io::path_from_utf8("street scene ä.JPG")));
        // Triangle (20,20),(180,30),(100,300) in the upright 200x320 frame:
        // box 20..180 x 20..300 -> cx 100/200, cy 160/320, w 160/200, h 280/320.
        const std::string labels = read_all(o.output_dir / "labels" / "train" / io::path_from_utf8("street scene ä.txt"));
        QVERIFY2(labels.find("1 0.500000 0.500000 0.800000 0.875000\n") != std::string::npos, labels.c_str());
        // Same-stem images do not share a label file.
        QVERIFY(fs::exists(o.output_dir / "labels" / "train" / io::path_from_utf8("sub dir/naïve café.txt")));
        QVERIFY(fs::exists(o.output_dir / "labels" / "train" / io::path_from_utf8("sub dir/naïve café (2).txt")));
        // Image without instances: empty label file, still listed.
        QCOMPARE(read_all(o.output_dir / "labels" / "train" / "empty one.txt"), std::string());
        QVERIFY(fs::exists(o.output_dir / "images" / "train" / "empty one.jpg"));
    }

    void hardLinkModeLinks() {
        QTemporaryDir tmp;
        const ExportFixtureHolder fx(temp_path(tmp));
        io::ExportOptions o;
        o.format = io::ExportFormat::YoloSegment;
        o.output_dir = temp_path(tmp) / "yolo";
        o.image_transfer = io::ImageTransfer::HardLink;
        const io::ExportReport r = io::export_dataset(fx.f.project, fx.f.image_root, o);
        QCOMPARE(r.image_files_linked + r.image_files_copied, r.images);
        QCOMPARE(r.image_files_linked, r.images);  // same filesystem here
        const fs::path src = fx.f.image_root / "empty one.jpg";
        QCOMPARE(fs::hard_link_count(src), std::uintmax_t(2));
    }

    void cocoPolygonsBoxesAreasHandComputed() {
        annotation::Project p;
        p.insert_class(0, {5, "thing", 0});
        annotation::ImageAnnotations& img = p.ensure_image("x.png", 100, 80);
        img.instances.push_back(poly(5, {{10, 10}, {50, 10}, {50, 30}, {10, 30}}));  // 40x20 = 800
        img.instances.back().id = 1;
        annotation::PolygonWithHoles holed{{{0, 0}, {20, 0}, {20, 20}, {0, 20}}, {{{5, 5}, {15, 5}, {15, 15}, {5, 15}}}};
        annotation::Instance h;
        h.class_id = 5;
        h.id = 2;
        h.polygons = {holed};
        img.instances.push_back(h);
        cv::Mat ring(80, 100, CV_8UC1, cv::Scalar(0));
        ring(cv::Rect(30, 40, 20, 20)).setTo(255);
        ring(cv::Rect(35, 45, 10, 10)).setTo(0);
        annotation::Instance m;
        m.class_id = 5;
        m.id = 3;
        m.mask = annotation::encode_rle(ring);
        img.instances.push_back(m);
        std::vector<io::ExportImage> images(1);
        images[0].annotations = &img;
        images[0].width = 100;
        images[0].height = 80;
        images[0].output_relative = "x.png";
        io::ExportReport r;
        const auto doc = io::build_coco_json(images, io::DenseClassMap(p), {}, r);
        const auto& a0 = doc["annotations"][0];
        QCOMPARE(a0["bbox"].get<std::vector<double>>(), (std::vector<double>{10, 10, 40, 20}));
        QCOMPARE(a0["area"].get<double>(), 800.0);
        QCOMPARE(a0["category_id"].get<int>(), 1);
        QCOMPARE(a0["iscrowd"].get<int>(), 0);
        QVERIFY(a0["segmentation"].is_array());
        // Polygon with a hole: RLE (COCO polygons cannot hold holes), box of the outer ring.
        const auto& a1 = doc["annotations"][1];
        QVERIFY(a1["segmentation"].is_object());
        QVERIFY(a1["segmentation"]["counts"].is_string());
        // Pixel centres 0.5..19.5 inside the 0..20 square, minus the 5.5..14.5 ones
        // inside the 5..15 hole (no centre lies on either ring): 400 - 100 = 300.
        QCOMPARE(a1["area"].get<double>(), 300.0);
        QCOMPARE(a1["bbox"].get<std::vector<double>>(), (std::vector<double>{0, 0, 20, 20}));
        const annotation::RleMask holed_rle =
            annotation::rle_from_coco_string(a1["segmentation"]["counts"].get<std::string>(), 100, 80);
        const cv::Mat holed_mask = annotation::decode_rle(holed_rle, 255);
        QCOMPARE(cv::countNonZero(holed_mask(cv::Rect(0, 0, 20, 20))), 300);
        QCOMPARE(cv::countNonZero(holed_mask(cv::Rect(5, 5, 10, 10))), 0);
        // Mask with a hole: 20x20 block minus a 10x10 block = 300 pixels, RLE as given.
        const auto& a2 = doc["annotations"][2];
        QCOMPARE(a2["area"].get<double>(), 300.0);
        QCOMPARE(a2["bbox"].get<std::vector<double>>(), (std::vector<double>{30, 40, 20, 20}));
        const annotation::RleMask back = annotation::rle_from_coco_string(a2["segmentation"]["counts"].get<std::string>(), 100, 80);
        QCOMPARE(back.counts, img.instances[2].mask->counts);
        QCOMPARE(doc["images"][0]["width"].get<int>(), 100);
    }

    void pngMasksOrderAndHidden() {
        annotation::Project p;
        p.insert_class(0, {9, "a", 0});
        p.insert_class(1, {4, "b", 0});
        annotation::ImageAnnotations img;
        img.relative_path = "m.png";
        img.instances.push_back(poly(9, {{0, 0}, {10, 0}, {10, 10}, {0, 10}}));
        img.instances.push_back(poly(4, {{5, 0}, {10, 0}, {10, 10}, {5, 10}}));   // covers the right half of #1
        img.instances.push_back(poly(9, {{6, 2}, {8, 2}, {8, 4}, {6, 4}}));       // then hidden by #4
        img.instances.push_back(poly(4, {{5, 0}, {10, 0}, {10, 10}, {5, 10}}));
        for (std::size_t i = 0; i < img.instances.size(); ++i) img.instances[i].id = i + 1;
        io::ExportReport r;
        const io::PngMaskImages m = io::render_png_masks(img, 12, 10, io::DenseClassMap(p), r);
        QCOMPARE(m.instance_ids.type(), CV_8UC1);
        QCOMPARE(int(m.instance_ids.at<uchar>(5, 2)), 1);
        QCOMPARE(int(m.instance_ids.at<uchar>(5, 7)), 4);
        QCOMPARE(int(m.instance_ids.at<uchar>(5, 11)), 0);
        QCOMPARE(int(m.semantic.at<uchar>(5, 2)), 1);  // class "a" is index 0 -> value 1
        QCOMPARE(int(m.semantic.at<uchar>(5, 7)), 2);
        QCOMPARE(r.skipped.size(), std::size_t(2));  // #2 and #3 are fully covered by #4
        QCOMPARE(r.skipped[0].reason, io::SkipReason::Hidden);
        // More than 255 instances: 16-bit.
        annotation::ImageAnnotations many;
        many.relative_path = "many.png";
        for (int i = 0; i < 300; ++i) {
            many.instances.push_back(poly(9, {{double(i), 0}, {double(i + 1), 0}, {double(i + 1), 2}, {double(i), 2}}));
            many.instances.back().id = i + 1;
        }
        io::ExportReport r2;
        const io::PngMaskImages m2 = io::render_png_masks(many, 300, 2, io::DenseClassMap(p), r2);
        QCOMPARE(m2.instance_ids.type(), CV_16UC1);
        QCOMPARE(int(m2.instance_ids.at<std::uint16_t>(0, 299)), 300);
        QCOMPARE(r2.skipped.size(), std::size_t(0));
    }

    void refusesForeignFoldersAndClearsOldExports() {
        QTemporaryDir tmp;
        const ExportFixtureHolder fx(temp_path(tmp));
        io::ExportOptions o;
        o.format = io::ExportFormat::YoloSegment;
        o.output_dir = temp_path(tmp) / "busy";
        fs::create_directories(o.output_dir);
        std::ofstream(o.output_dir / "precious.txt") << "x";
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, io::export_dataset(fx.f.project, fx.f.image_root, o));
        o.output_dir = fx.f.image_root;
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, io::export_dataset(fx.f.project, fx.f.image_root, o));
        o.output_dir = temp_path(tmp) / "again";
        io::export_dataset(fx.f.project, fx.f.image_root, o);
        std::ofstream(o.output_dir / "labels" / "train" / "stale.txt") << "0 0.5 0.5 0.1 0.1\n";
        io::export_dataset(fx.f.project, fx.f.image_root, o);
        QVERIFY(!fs::exists(o.output_dir / "labels" / "train" / "stale.txt"));
    }

private:
    struct ExportFixtureHolder {
        explicit ExportFixtureHolder(const fs::path& root) : f(testing::make_export_fixture(root / "images")) {}
        testing::ExportFixture f;
    };
};

QTEST_GUILESS_MAIN(TestExport)
#include "test_export.moc"
