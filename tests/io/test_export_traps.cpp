// Exports that cannot train or that lie (issue 13, item 2): every split that
// data.yaml names has images, never-annotated images stay out unless asked
// for (and are counted), unreadable images never enter a dataset, and an
// export never replaces another project's dataset (or other files) silently.
// Expectations are worked out here from the documented rules, never taken
// from the exporter.
#include "core/annotation/project.h"
#include "core/io/dataset_export.h"
#include "core/io/dataset_split.h"
#include "core/io/export_directory.h"
#include "core/io/image_reader.h"
#include "core/io/yolo_data_yaml.h"

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

using namespace samlabel;
namespace fs = std::filesystem;

namespace {

const fs::path kSamples = fs::path(SAMLABEL_SOURCE_DIR) / "resources" / "samples";

fs::path temp_path(const QTemporaryDir& d) { return io::path_from_utf8(d.path().toStdString()); }

std::string read_all(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

std::vector<std::string> sample_names() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(kSamples))
        if (e.path().extension() == ".jpg") names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// The first `n` samples copied to `root`, each with one square of class
// "thing" (marked done) unless listed in `unannotated` (left new, no instance).
annotation::Project samples_project(const fs::path& root, std::size_t n, const std::set<std::string>& unannotated = {}) {
    annotation::Project p;
    const annotation::ClassId thing = p.add_class("thing", 0xff0000);
    fs::create_directories(root);
    const std::vector<std::string> names = sample_names();
    for (std::size_t i = 0; i < n && i < names.size(); ++i) {
        fs::copy_file(kSamples / names[i], root / names[i]);
        const auto header = io::read_image_header(root / names[i]);
        annotation::ImageAnnotations& img = p.ensure_image(names[i], header->width, header->height);
        if (unannotated.count(names[i])) continue;
        img.status = annotation::ImageStatus::Done;
        annotation::Instance inst;
        inst.id = p.allocate_instance_id();
        inst.class_id = thing;
        inst.polygons.push_back({{{10, 10}, {60, 10}, {60, 50}, {10, 50}}, {}});
        img.instances.push_back(inst);
    }
    return p;
}

// Image files under <dataset>/<folder>, recursively.
int image_files(const fs::path& folder) {
    int n = 0;
    if (!fs::is_directory(folder)) return 0;
    for (const auto& e : fs::recursive_directory_iterator(folder)) n += e.is_regular_file() && io::is_supported_image_extension(e.path());
    return n;
}

io::YoloDataYaml data_yaml(const fs::path& dataset) {
    return io::parse_data_yaml(read_all(dataset / "data.yaml"), "data.yaml");
}

// Every split data.yaml names must hold images, or Ultralytics cannot train / validate.
void verify_named_splits_have_images(const fs::path& dataset) {
    const io::YoloDataYaml yaml = data_yaml(dataset);
    QVERIFY(yaml.splits.count("train") && yaml.splits.count("val"));
    for (const auto& [split, folder] : yaml.splits)
        QVERIFY2(image_files(dataset / io::path_from_utf8(folder)) > 0,
                 qPrintable(QString::fromStdString("data.yaml names " + split + ": " + folder + ", which has no images")));
}

bool any_warning_contains(const io::ExportReport& r, const std::string& text) {
    return std::any_of(r.warnings.begin(), r.warnings.end(), [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

}  // namespace

class TestExportTraps : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // The bundled samples that the default split (0.8 / 0.2, seed 0) puts in
    // train, annotated and nothing else (a user who labelled those first): the
    // hash alone gives val no image. The documented rule then moves the image
    // whose hash lies nearest val's range, [0.8, 1), into val.
    void defaultSplitNeverLeavesValEmpty() {
        QTemporaryDir tmp;
        const io::SplitFractions defaults;
        std::set<std::string> other;
        for (const std::string& name : sample_names())
            if (io::assign_dataset_split(name, defaults, 0) != io::DatasetSplit::Train) other.insert(name);
        annotation::Project p = samples_project(temp_path(tmp) / "images", 5, other);
        for (const std::string& name : other) p.remove_image(name);
        QVERIFY2(p.images().size() >= 2, "the trap needs two samples the hash puts in train");
        std::string nearest;
        double nearest_u = -1;
        for (const auto& [rel, img] : p.images()) {
            const double u = io::split_hash_unit(rel, 0);
            if (u > nearest_u) nearest_u = u, nearest = rel;
        }
        io::ExportOptions o;
        o.format = io::ExportFormat::YoloSegment;
        o.output_dir = temp_path(tmp) / "dataset";
        const io::ExportReport r = io::export_dataset(p, temp_path(tmp) / "images", o);
        verify_named_splits_have_images(o.output_dir);
        QCOMPARE(image_files(o.output_dir / "images" / "val"), 1);
        QVERIFY(fs::exists(o.output_dir / "images" / "val" / nearest));
        QVERIFY(fs::exists(o.output_dir / "labels" / "val" / fs::path(nearest).replace_extension(".txt")));
        QCOMPARE(image_files(o.output_dir / "images" / "train"), int(p.images().size()) - 1);
        QCOMPARE(r.images_per_split.at("val"), std::size_t(1));
        QVERIFY2(any_warning_contains(r, nearest), "the move is reported");
    }

    // 1 to 4 images, with and without a test share: no split that data.yaml
    // names is ever empty; too few images for a split is said in the report,
    // without advice that only the command line understands.
    void tinyProjectsNeverNameAnEmptySplit() {
        for (std::size_t n = 1; n <= 4; ++n) {
            for (const io::SplitFractions f : {io::SplitFractions{0.8, 0.2, 0.0}, io::SplitFractions{0.6, 0.2, 0.2}}) {
                QTemporaryDir tmp;
                const annotation::Project p = samples_project(temp_path(tmp) / "images", n);
                io::ExportOptions o;
                o.format = io::ExportFormat::YoloDetect;
                o.output_dir = temp_path(tmp) / "dataset";
                o.split = f;
                const io::ExportReport r = io::export_dataset(p, temp_path(tmp) / "images", o);
                verify_named_splits_have_images(o.output_dir);
                if (QTest::currentTestFailed()) {
                    qWarning() << "with" << n << "images, test share" << f.test;
                    return;
                }
                const io::YoloDataYaml yaml = data_yaml(o.output_dir);
                const std::size_t wanted = f.test > 0 ? 3 : 2;
                if (n >= wanted) {
                    // Enough images: each split has its own.
                    QCOMPARE(yaml.splits.at("val"), std::string("images/val"));
                    QCOMPARE(yaml.splits.count("test"), std::size_t(f.test > 0 ? 1 : 0));
                } else {
                    QVERIFY2(!r.warnings.empty(), "too few images is reported");
                }
                if (n == 1) {
                    // One image cannot be split: val reuses train, and the report says so.
                    QCOMPARE(yaml.splits.at("val"), std::string("images/train"));
                    QVERIFY(any_warning_contains(r, "val"));
                }
                if (f.test > 0 && n < 3) QVERIFY2(!yaml.splits.count("test"), "an empty test split is left out");
                for (const std::string& w : r.warnings) QVERIFY2(w.find("--") == std::string::npos, w.c_str());
            }
        }
    }

    // A folder with some images annotated: the never-annotated ones are left
    // out by default and counted; asked for, they go in as background images.
    // An image marked done without instances is a deliberate background image.
    void neverAnnotatedImagesStayOutUnlessAskedFor() {
        QTemporaryDir tmp;
        const std::vector<std::string> names = sample_names();
        annotation::Project p = samples_project(temp_path(tmp) / "images", 5, {names[1], names[2], names[3]});
        p.find_image(names[3])->status = annotation::ImageStatus::Done;  // checked: nothing to label
        io::ExportOptions o;
        o.format = io::ExportFormat::YoloSegment;
        o.output_dir = temp_path(tmp) / "default";
        const io::ExportReport r = io::export_dataset(p, temp_path(tmp) / "images", o);
        QCOMPARE(r.images, std::size_t(3));  // names[0], names[3] (done), names[4]
        QCOMPARE(r.images_unannotated, std::size_t(2));
        QVERIFY(!r.unannotated_included);
        QCOMPARE(image_files(o.output_dir / "images"), 3);
        for (const std::string& left_out : {names[1], names[2]}) {
            QVERIFY(!fs::exists(o.output_dir / "images" / "train" / left_out));
            QVERIFY(!fs::exists(o.output_dir / "images" / "val" / left_out));
        }
        const std::string text = read_all(o.output_dir / "report.txt");
        QVERIFY2(text.find("2 never annotated") != std::string::npos, text.c_str());
        const auto json = nlohmann::json::parse(read_all(o.output_dir / "report.json"));
        QCOMPARE(json.at("images_unannotated").get<int>(), 2);
        QCOMPARE(json.at("unannotated_included").get<bool>(), false);

        o.include_unannotated = true;
        o.output_dir = temp_path(tmp) / "with background";
        const io::ExportReport all = io::export_dataset(p, temp_path(tmp) / "images", o);
        QCOMPARE(all.images, std::size_t(5));
        QCOMPARE(all.images_unannotated, std::size_t(2));
        QVERIFY(all.unannotated_included);
        QCOMPARE(image_files(o.output_dir / "images"), 5);
    }

    // Nothing annotated at all: no dataset of background images, a clear error instead.
    void aFolderWithNothingAnnotatedIsNotExported() {
        QTemporaryDir tmp;
        const std::vector<std::string> names = sample_names();
        const annotation::Project p = samples_project(temp_path(tmp) / "images", 5, {names.begin(), names.end()});
        io::ExportOptions o;
        o.format = io::ExportFormat::YoloDetect;
        o.output_dir = temp_path(tmp) / "dataset";
        try {
            io::export_dataset(p, temp_path(tmp) / "images", o);
            QFAIL("exported a dataset without a single annotated image");
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            QVERIFY2(what.find("5") != std::string::npos && what.find("annotated") != std::string::npos, e.what());
        }
        QVERIFY(!fs::exists(o.output_dir / "data.yaml"));
    }

    // An annotated image that the app cannot show (a truncated JPEG) is never
    // copied into a dataset; the report names the file and the reason.
    void unreadableImagesNeverEnterADataset() {
        QTemporaryDir tmp;
        const fs::path root = temp_path(tmp) / "images";
        const std::vector<std::string> names = sample_names();
        const annotation::Project p = samples_project(root, 5);
        const std::string bytes = read_all(root / names[0]);
        std::ofstream(root / names[0], std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
        QVERIFY(io::read_image_header(root / names[0]));  // the header alone still reads
        QVERIFY(!io::read_image(root / names[0]).ok());   // the app shows it as unreadable
        io::ExportOptions o;
        o.format = io::ExportFormat::YoloSegment;
        o.output_dir = temp_path(tmp) / "dataset";
        const io::ExportReport r = io::export_dataset(p, root, o);
        QCOMPARE(r.images, std::size_t(4));
        QCOMPARE(r.images_unreadable, std::size_t(1));
        QCOMPARE(image_files(o.output_dir / "images"), 4);
        QVERIFY(!fs::exists(o.output_dir / "images" / "train" / names[0]) && !fs::exists(o.output_dir / "images" / "val" / names[0]));
        QVERIFY2(any_warning_contains(r, names[0]) && any_warning_contains(r, "truncated JPEG"), "file and reason reported");
        QCOMPARE(r.skipped.size(), std::size_t(1));
        QCOMPARE(r.skipped.front().reason, io::SkipReason::ImageUnusable);
    }

    // The export records the project it was made from; exporting another
    // project into that folder is refused until the user confirms, and so is
    // a non-empty folder that is not a samlabel export. The same project
    // re-exports freely. Confirmed, only export entries are replaced.
    void anotherProjectsDatasetIsNeverReplacedSilently() {
        QTemporaryDir tmp;
        const fs::path root = temp_path(tmp) / "images";
        const annotation::Project p = samples_project(root, 3);
        io::ExportOptions a;
        a.format = io::ExportFormat::YoloSegment;
        a.output_dir = temp_path(tmp) / "dataset";
        a.project_file = temp_path(tmp) / "first" / "samlabel-project.json";
        io::export_dataset(p, root, a);
        const auto marker = nlohmann::json::parse(read_all(a.output_dir / "report.json"));
        QCOMPARE(marker.value("project_file", std::string()), io::path_to_utf8(a.project_file));
        io::export_dataset(p, root, a);  // the same project: no question

        io::ExportOptions b = a;
        b.project_file = temp_path(tmp) / "second" / "samlabel-project.json";
        const std::string before = read_all(a.output_dir / "report.json");
        try {
            io::export_dataset(p, root, b);
            QFAIL("replaced another project's export without asking");
        } catch (const io::ExportFolderInUse& e) {
            QVERIFY2(std::string(e.what()).find(io::path_to_utf8(a.project_file)) != std::string::npos, e.what());
            QCOMPARE(e.inspection().state, io::ExportFolderState::OtherProjectExport);
        }
        QCOMPARE(read_all(a.output_dir / "report.json"), before);  // untouched
        b.replace_foreign_output = true;
        io::export_dataset(p, root, b);
        QCOMPARE(nlohmann::json::parse(read_all(a.output_dir / "report.json")).value("project_file", std::string()),
                 io::path_to_utf8(b.project_file));

        // Not a samlabel export: refused; confirmed, the other files stay.
        io::ExportOptions c = a;
        c.output_dir = temp_path(tmp) / "busy";
        fs::create_directories(c.output_dir);
        std::ofstream(c.output_dir / "precious.txt") << "x";
        QVERIFY_THROWS_EXCEPTION(io::ExportFolderInUse, io::export_dataset(p, root, c));
        QVERIFY(!fs::exists(c.output_dir / "data.yaml"));
        c.replace_foreign_output = true;
        io::export_dataset(p, root, c);
        QCOMPARE(read_all(c.output_dir / "precious.txt"), std::string("x"));
        QVERIFY(fs::exists(c.output_dir / "data.yaml"));
    }
};

QTEST_GUILESS_MAIN(TestExportTraps)
#include "test_export_traps.moc"
