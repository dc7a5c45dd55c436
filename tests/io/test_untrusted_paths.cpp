// Paths from files are not trusted (issue 15): COCO file_name and data.yaml's
// folders that leave the dataset ('..', absolute, Windows drives, UNC) refuse
// the import with a clear error; links in a YOLO dataset that lead outside the
// image folder are not followed; an export writes nothing outside its folder,
// whatever the image paths and class names say.
#include "core/annotation/project.h"
#include "core/io/coco_import.h"
#include "core/io/dataset_export.h"
#include "core/io/dataset_relative_path.h"
#include "core/io/utf8_path.h"
#include "core/io/yolo_import.h"

#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <set>

using namespace samlabel;
namespace fs = std::filesystem;

namespace {

fs::path temp_path(const QTemporaryDir& d) { return io::path_from_utf8(d.path().toStdString()); }

void write_text(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

void write_png(const fs::path& p, int w = 40, int h = 30) {
    fs::create_directories(p.parent_path());
    QVERIFY(cv::imwrite(p.string(), cv::Mat(h, w, CV_8UC3, cv::Scalar(20, 120, 220))));
}

// Every entry under `root`, recursively (relative paths).
std::set<std::string> tree(const fs::path& root) {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) out.insert(e.path().lexically_relative(root).generic_string());
    return out;
}

bool any_contains(const std::vector<std::string>& lines, const std::string& needle) {
    for (const std::string& l : lines)
        if (l.find(needle) != std::string::npos) return true;
    return false;
}

// The hostile paths every check must refuse, with a word of the reason.
struct Hostile {
    const char* path;
    const char* reason;
};
const Hostile kHostile[] = {
    {"../x.png", "'..'"},
    {"a/../../x.png", "'..'"},
    {"..\\x.png", "'..'"},
    {"a\\..\\..\\x.png", "'..'"},
    {"/etc/passwd", "absolute"},
    {"\\x.png", "absolute"},
    {"C:\\Windows\\x.png", "Windows drive"},
    {"C:/Windows/x.png", "Windows drive"},
    {"c:x.png", "Windows drive"},
    {"a/D:/x.png", "Windows drive"},
    {"\\\\server\\share\\x.png", "UNC"},
    {"//server/share/x.png", "UNC"},
    {"\\\\?\\C:\\x.png", "UNC"},
};

}  // namespace

class TestUntrustedPaths : public QObject {
    Q_OBJECT
private slots:
    void relativePathCheck() {
        for (const Hostile& h : kHostile) {
            const io::DatasetPathCheck c = io::check_dataset_relative_path(h.path);
            QVERIFY2(!c.ok(), h.path);
            QVERIFY2(c.problem.find(h.reason) != std::string::npos, (std::string(h.path) + ": " + c.problem).c_str());
        }
        QVERIFY(!io::check_dataset_relative_path("").ok());
        QVERIFY(!io::check_dataset_relative_path("./").ok());
        QVERIFY(!io::check_dataset_relative_path(std::string("a\0b.png", 7)).ok());
        // Harmless forms are normalised, not refused.
        QCOMPARE(io::check_dataset_relative_path("a.png").path, std::string("a.png"));
        QCOMPARE(io::check_dataset_relative_path("./sub//a.png").path, std::string("sub/a.png"));
        QCOMPARE(io::check_dataset_relative_path("sub\\a.png").path, std::string("sub/a.png"));
        QCOMPARE(io::check_dataset_relative_path("..a/b..png").path, std::string("..a/b..png"));  // dots in names are fine
        QVERIFY_THROWS_EXCEPTION(io::UnsafePathError, io::path_inside("/out", "../x"));
        QCOMPARE(io::path_inside("/out", "a/b.png"), fs::path("/out/a/b.png"));
    }

    void cocoFileNameLeavingTheFolderRefusesTheFile() {
        QTemporaryDir tmp;
        const fs::path root = temp_path(tmp) / "images";
        write_png(root / "sub" / "a.png");
        for (const Hostile& h : kHostile) {
            const nlohmann::json doc = {
                {"categories", {{{"id", 1}, {"name", "thing"}}}},
                {"images", {{{"id", 1}, {"file_name", "sub/a.png"}, {"width", 40}, {"height", 30}},
                            {{"id", 2}, {"file_name", h.path}, {"width", 40}, {"height", 30}}}},
                {"annotations", nlohmann::json::array()}};
            io::CocoImportOptions o;
            o.image_root = root;
            io::ImportReport report;
            try {
                io::import_coco_json(doc, "instances.json", o, report);
                QFAIL((std::string("accepted file_name ") + h.path).c_str());
            } catch (const io::UnsafePathError& e) {
                const std::string m = e.what();
                QVERIFY2(m.find("instances.json: images[1]: file_name '" + std::string(h.path) + "'") == 0, m.c_str());
                QVERIFY2(m.find(h.reason) != std::string::npos, m.c_str());
            }
        }
        // A Windows-made file's backslashes and "./" are fine.
        const nlohmann::json ok = {{"categories", {{{"id", 1}, {"name", "thing"}}}},
                                   {"images", {{{"id", 1}, {"file_name", ".\\sub\\a.png"}, {"width", 40}, {"height", 30}}}}};
        io::CocoImportOptions o;
        o.image_root = root;
        io::ImportReport report;
        const annotation::Project p = io::import_coco_json(ok, "instances.json", o, report);
        QVERIFY(p.find_image("sub/a.png") != nullptr);
        QCOMPARE(report.images, std::size_t(1));
    }

    void dataYamlFoldersMustBeInsideTheDataset() {
        for (const Hostile& h : kHostile) {
            QTemporaryDir tmp;
            const fs::path dir = temp_path(tmp) / "ds";
            write_png(dir / "images" / "train" / "a.png");
            std::string quoted;  // single-quoted YAML: backslashes stay as they are
            for (char c : std::string(h.path)) quoted += c == '\'' ? std::string("''") : std::string(1, c);
            write_text(dir / "data.yaml", "train: images/train\nval: '" + quoted + "'\nnames: [thing]\n");
            io::ImportReport report;
            try {
                io::import_yolo_dataset(dir, {}, report);
                QFAIL((std::string("accepted val: ") + h.path).c_str());
            } catch (const io::UnsafePathError& e) {
                const std::string m = e.what();
                QVERIFY2(m.find("data.yaml: val '" + std::string(h.path) + "'") != std::string::npos, m.c_str());
                QVERIFY2(m.find(h.reason) != std::string::npos, m.c_str());
                QVERIFY2(m.find("refused") != std::string::npos, m.c_str());
            }
        }
    }

    void dataYamlRoboflowLayoutAndPathAreNotFollowed() {
        QTemporaryDir tmp;
        const fs::path dir = temp_path(tmp) / "ds";
        write_png(dir / "train" / "images" / "a.png");
        write_png(dir / "valid" / "images" / "b.png");
        // Roboflow: "../train/images" means <dataset>/train/images; path points elsewhere (another machine).
        write_text(dir / "data.yaml",
                   "path: /somewhere/else\ntrain: ../train/images\nval: ../valid/images\nnc: 1\nnames: ['thing']\n");
        io::ImportReport report;
        const annotation::Project p = io::import_yolo_dataset(dir, {}, report);
        QCOMPARE(report.images, std::size_t(2));
        QVERIFY(any_contains(report.notes, "train '../train/images' read as train/images inside the dataset"));
        QVERIFY(any_contains(report.notes, "path '/somewhere/else' is not followed"));
        // A "../" that does not lead back into the dataset stays refused.
        write_text(dir / "data.yaml", "train: ../other/images\nnames: [thing]\n");
        io::ImportReport again;
        QVERIFY_THROWS_EXCEPTION(io::UnsafePathError, io::import_yolo_dataset(dir, {}, again));
    }

    void yoloLinksLeadingOutsideAreNotFollowed() {
        QTemporaryDir tmp;
        const fs::path outside = temp_path(tmp) / "private";
        write_png(outside / "secret.png");
        write_text(outside / "secret.txt", "0 0.5 0.5 0.2 0.2\n");
        write_png(outside / "elsewhere" / "e.png");
        const fs::path dir = temp_path(tmp) / "ds";
        write_text(dir / "data.yaml", "names: [thing]\n");
        write_png(dir / "images" / "train" / "ok.png");
        write_text(dir / "labels" / "train" / "ok.txt", "0 0.5 0.5 0.5 0.5\n");
        fs::create_symlink(outside / "secret.png", dir / "images" / "train" / "linked.png");  // an image leading out
        write_png(dir / "images" / "train" / "lab.png");
        fs::create_symlink(outside / "secret.txt", dir / "labels" / "train" / "lab.txt");  // a label leading out
        fs::create_directories(dir / "val");
        fs::create_directory_symlink(outside / "elsewhere", dir / "val" / "images");  // a whole images/ folder
        io::ImportReport report;
        const annotation::Project p = io::import_yolo_dataset(dir, {}, report);
        QVERIFY(p.find_image("images/train/ok.png") != nullptr);
        QCOMPARE(p.find_image("images/train/ok.png")->instances.size(), std::size_t(1));
        QVERIFY(p.find_image("images/train/linked.png") == nullptr);
        QVERIFY(p.find_image("val/images/e.png") == nullptr);
        QVERIFY(p.find_image("images/train/lab.png") != nullptr);  // the image is fine, its linked label is not
        QVERIFY(p.find_image("images/train/lab.png")->instances.empty());
        QVERIFY2(any_contains(report.problems, "linked.png: a link to " + (outside / "secret.png").string()),
                 "the linked image is not named");
        QVERIFY(any_contains(report.problems, "lab.txt: a link to " + (outside / "secret.txt").string()));
        QVERIFY(any_contains(report.problems, "val/images: a link to " + (outside / "elsewhere").string()));
        QCOMPARE(report.instances, std::size_t(1));
    }

    void exportWritesNothingOutsideItsFolder() {
        QTemporaryDir tmp;
        const fs::path root = temp_path(tmp) / "images";
        write_png(root / "good.png");
        write_png(temp_path(tmp) / "escape.png");  // what "../escape.png" names
        // A project built in memory (a file would not load with these paths):
        // image paths and imported dataset paths that climb out, class names with separators.
        annotation::Project p;
        const annotation::ClassId evil = p.add_class("../../evil", 0xff0000);
        p.add_class("a/b\\c", 0x00ff00);
        const auto add = [&](const std::string& rel) -> annotation::ImageAnnotations& {
            annotation::ImageAnnotations& img = p.ensure_image(rel, 40, 30);
            annotation::Instance inst;
            inst.id = p.allocate_instance_id();
            inst.class_id = evil;
            inst.polygons.push_back({{{5, 5}, {20, 5}, {20, 20}, {5, 20}}, {}});
            img.instances.push_back(inst);
            img.status = annotation::ImageStatus::Done;
            return img;
        };
        add("good.png");
        add("fine.png");
        add("../escape.png");
        annotation::Project placed = p;  // an imported image whose dataset path climbs out
        placed.find_image("good.png")->placement = annotation::DatasetPlacement{"train", "../../../placed.png"};
        write_png(root / "fine.png");

        const std::set<std::string> before = tree(temp_path(tmp));
        for (io::ExportFormat f : {io::ExportFormat::YoloSegment, io::ExportFormat::Coco, io::ExportFormat::PngMasks}) {
            for (const annotation::Project* project : {&p, &placed}) {
                io::ExportOptions o;
                o.format = f;
                o.output_dir = temp_path(tmp) / "out" / "dataset";
                o.split = io::SplitFractions{};
                o.replace_foreign_output = true;
                const io::ExportReport r = io::export_dataset(*project, root, o);
                QVERIFY2(any_contains(r.warnings, "'../escape.png' climbs out of the dataset folder"),
                         io::export_format_name(f));
                if (project == &placed) {
                    QVERIFY(any_contains(r.warnings, "'../../../placed.png' climbs out of the dataset folder"));
                    QCOMPARE(r.images, std::size_t(1));
                } else {
                    QCOMPARE(r.images, std::size_t(2));
                }
            }
            // Nothing appeared or vanished outside out/.
            std::set<std::string> now;
            for (const std::string& e : tree(temp_path(tmp)))
                if (e.rfind("out", 0) != 0) now.insert(e);
            std::set<std::string> expected;
            for (const std::string& e : before)
                if (e.rfind("out", 0) != 0) expected.insert(e);
            QVERIFY(now == expected);
            QVERIFY(!fs::exists(temp_path(tmp) / "placed.png") && !fs::exists(temp_path(tmp).parent_path() / "placed.png"));
        }
    }
};

QTEST_GUILESS_MAIN(TestUntrustedPaths)
#include "test_untrusted_paths.moc"
