// Import a YOLO dataset, edit, export: a clean round trip (issue 13, item 3).
// A dataset with train and val splits and a subfolder, in both layouts
// Ultralytics knows (images/<split>/... and <split>/images/...), goes through
// the importer, the project file (saved and read back) and one edit; the
// export keeps every image in its split under its own relative name, with the
// same label lines, and only the edited image's labels change.
#include "core/annotation/edit_operations.h"
#include "core/annotation/project_file.h"
#include "core/io/dataset_export.h"
#include "core/io/image_reader.h"
#include "core/io/yolo_data_yaml.h"
#include "core/io/yolo_import.h"

#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace samlabel;
namespace fs = std::filesystem;

namespace {

fs::path temp_path(const QTemporaryDir& d) { return io::path_from_utf8(d.path().toStdString()); }

std::string read_all(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
}

// One image of the source dataset: its split, its path inside the split's
// images folder, and its label file's text (segment rows, 6 decimals).
struct SourceImage {
    std::string split;
    std::string path;
    std::string labels;
};

const std::vector<SourceImage> kImages = {
    {"train", "a.jpg", "0 0.100000 0.200000 0.500000 0.250000 0.433333 0.900000\n"},
    {"train", "sub/b.png", "1 0.300000 0.300000 0.600000 0.300000 0.450000 0.700000\n"
                           "0 0.050000 0.050000 0.200000 0.050000 0.200000 0.150000 0.050000 0.150000\n"},
    {"val", "c.jpg", "1 0.250000 0.250000 0.750000 0.250000 0.500000 0.750000\n"},
    {"val", "sub/d.png", ""},  // a background image: an empty label file
};

std::string stem_txt(const std::string& path) { return path.substr(0, path.rfind('.')) + ".txt"; }

// layout "images-first": images/<split>/<path>; "split-first": <split>/images/<path>.
fs::path image_file(const fs::path& ds, bool split_first, const SourceImage& s) {
    return split_first ? ds / s.split / "images" / io::path_from_utf8(s.path) : ds / "images" / s.split / io::path_from_utf8(s.path);
}
fs::path label_file(const fs::path& ds, bool split_first, const SourceImage& s) {
    return split_first ? ds / s.split / "labels" / io::path_from_utf8(stem_txt(s.path))
                       : ds / "labels" / s.split / io::path_from_utf8(stem_txt(s.path));
}

void write_dataset(const fs::path& ds, bool split_first) {
    int k = 0;
    for (const SourceImage& s : kImages) {
        cv::Mat img(60 + 10 * k, 80 + 10 * k, CV_8UC3, cv::Scalar(30 * k, 100, 200 - 30 * k));
        ++k;
        std::vector<unsigned char> bytes;
        cv::imencode(s.path.substr(s.path.rfind('.')), img, bytes);
        write_file(image_file(ds, split_first, s), std::string(bytes.begin(), bytes.end()));
        write_file(label_file(ds, split_first, s), s.labels);
    }
    write_file(ds / "data.yaml", split_first ? "train: train/images\nval: val/images\nnames: [cat, dog]\n"
                                             : "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: cat\n  1: dog\n");
}

int files_under(const fs::path& dir) {
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file();
    return n;
}

}  // namespace

class TestYoloRoundTrip : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void importEditExportKeepsSplitsNamesAndLabels_data() {
        QTest::addColumn<bool>("split_first");
        QTest::newRow("images/<split>/") << false;
        QTest::newRow("<split>/images/") << true;
    }

    void importEditExportKeepsSplitsNamesAndLabels() {
        QFETCH(bool, split_first);
        QTemporaryDir tmp;
        const fs::path ds = temp_path(tmp) / "source";
        write_dataset(ds, split_first);

        io::ImportReport import_report;
        annotation::Project imported = io::import_yolo_dataset(ds, {}, import_report);
        QVERIFY2(import_report.problems.empty(), import_report.problems.empty() ? "" : import_report.problems.front().c_str());
        QCOMPARE(import_report.images, kImages.size());

        // Through the project file, as the GUI and the CLI keep it.
        const fs::path project_file = temp_path(tmp) / "project.json";
        annotation::save_project_file(project_file, imported);
        annotation::ProjectLoadResult loaded = annotation::load_project_file(project_file);
        QVERIFY2(loaded.ok(), loaded.problem.c_str());
        annotation::Project project = std::move(loaded.project);

        // One edit: a box on c.jpg (val), class "dog".
        const SourceImage& edited = kImages[2];
        const fs::path edited_file = image_file(ds, split_first, edited);
        const std::string edited_rel = io::path_to_utf8(edited_file.lexically_relative(ds).generic_u8string());
        QVERIFY2(project.find_image(edited_rel), edited_rel.c_str());
        annotation::Instance box;
        box.id = project.allocate_instance_id();
        box.class_id = project.find_class_by_name("dog")->id;
        const auto header = io::read_image_header(edited_file);
        const double w = header->width, h = header->height;
        box.polygons.push_back({{{0.1 * w, 0.1 * h}, {0.2 * w, 0.1 * h}, {0.2 * w, 0.2 * h}}, {}});
        annotation::AddInstance(edited_rel, box).apply(project);
        std::ostringstream added_line;
        added_line << "1 0.100000 0.100000 0.200000 0.100000 0.200000 0.200000\n";

        io::ExportOptions o;
        o.format = io::ExportFormat::YoloSegment;
        o.output_dir = temp_path(tmp) / "export";
        o.project_file = project_file;
        const io::ExportReport r = io::export_dataset(project, ds, o);
        QCOMPARE(r.images, kImages.size());
        QVERIFY(r.skipped.empty());

        for (const SourceImage& s : kImages) {
            const fs::path image_out = o.output_dir / "images" / s.split / io::path_from_utf8(s.path);
            const fs::path label_out = o.output_dir / "labels" / s.split / io::path_from_utf8(stem_txt(s.path));
            QVERIFY2(fs::exists(image_out), io::path_to_utf8(image_out).c_str());
            QCOMPARE(read_all(image_out), read_all(image_file(ds, split_first, s)));
            QVERIFY2(fs::exists(label_out), io::path_to_utf8(label_out).c_str());
            const std::string expected = &s == &edited ? s.labels + added_line.str() : s.labels;
            QCOMPARE(read_all(label_out), expected);
        }
        // Nothing else: no image twice, no nested images_/ folders.
        QCOMPARE(files_under(o.output_dir / "images"), int(kImages.size()));
        QCOMPARE(files_under(o.output_dir / "labels"), int(kImages.size()));
        const io::YoloDataYaml yaml = io::parse_data_yaml(read_all(o.output_dir / "data.yaml"), "data.yaml");
        QCOMPARE(yaml.names, (std::vector<std::string>{"cat", "dog"}));
        QCOMPARE(yaml.splits.at("train"), std::string("images/train"));
        QCOMPARE(yaml.splits.at("val"), std::string("images/val"));
    }

    // Asked to, the export re-splits imported images by the hash: splits then
    // follow the hash of each image's path (names stay as they were).
    void resplitFollowsTheHash() {
        QTemporaryDir tmp;
        const fs::path ds = temp_path(tmp) / "source";
        write_dataset(ds, false);
        io::ImportReport import_report;
        const annotation::Project project = io::import_yolo_dataset(ds, {}, import_report);
        io::ExportOptions o;
        o.format = io::ExportFormat::YoloSegment;
        o.output_dir = temp_path(tmp) / "export";
        o.resplit_imported = true;
        o.split = io::SplitFractions{0.5, 0.5, 0.0};
        // A seed for which the hash alone fills both splits (nothing to rebalance).
        for (o.seed = 0; o.seed < 100; ++o.seed) {
            std::set<io::DatasetSplit> used;
            for (const auto& [rel, img] : project.images()) used.insert(io::assign_dataset_split(rel, *o.split, o.seed));
            if (used.size() == 2) break;
        }
        io::export_dataset(project, ds, o);
        for (const SourceImage& s : kImages) {
            const std::string rel = "images/" + s.split + "/" + s.path;
            const char* split = io::dataset_split_name(io::assign_dataset_split(rel, *o.split, o.seed));
            QVERIFY2(fs::exists(o.output_dir / "images" / split / io::path_from_utf8(s.path)), rel.c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestYoloRoundTrip)
#include "test_yolo_round_trip.moc"
